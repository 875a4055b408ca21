"""Benchmark: tractability decision time (issue: analysis engine, T1-T3, T6).

Butterfly splits with r = 2^10 ... 2^16 rank-one supports, decided (a) in structured form
(Kronecker closed form, O(r)) and (b) from explicit sparse masks (the generic O(nnz) path),
plus random explicit patterns. Median of 3 runs. Prints a table and writes
benchmarks/results/bench_analysis.json.

Usage: python benchmarks/bench_analysis.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from fsmf_check import __version__
from fsmf_check.model import families
from fsmf_check.files import atomic_write_text
from fsmf_check.analysis import decide_tractability
from fsmf_check.model.supports import SupportPattern


def median_time(fn, repeats: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    parser.add_argument("--huge", action="store_true",
                        help="also a random pattern with 2^24 rank-one supports")
    args = parser.parse_args()
    exps = range(10, 13) if args.quick else range(10, 17)
    rows = []
    print(f"{'pattern':34} {'r':>7} {'nnz(I)+nnz(J)':>14} {'verdict':>14} {'classes':>8} "
          f"{'time [s]':>9}")
    for L in exps:
        N = 2**L
        s = L // 2
        structured = families.butterfly_split(N, s)
        t, res = median_time(lambda P=structured: decide_tractability(P))
        rows.append({"pattern": f"butterfly N=2^{L} split {s} (structured)", "r": N,
                     "nnz": structured.nnz, "verdict": res.verdict, "classes": res.n_classes,
                     "time_s": t})
        explicit = SupportPattern(structured.I, structured.J)
        t, res = median_time(lambda P=explicit: decide_tractability(P))
        rows.append({"pattern": f"butterfly N=2^{L} split {s} (explicit)", "r": N,
                     "nnz": explicit.nnz, "verdict": res.verdict, "classes": res.n_classes,
                     "time_s": t})
        for row in rows[-2:]:
            print(f"{row['pattern']:34} {row['r']:>7} {row['nnz']:>14} {row['verdict']:>14} "
                  f"{row['classes']:>8} {row['time_s']:>9.4f}")
    rng_sizes = [(1000, 1000, 2**10), (4000, 4000, 2**12)]
    if not args.quick:
        rng_sizes += [(20000, 20000, 2**14), (60000, 60000, 2**16)]
    if args.huge:
        rng_sizes += [(4096, 4096, 2**24)]
    for m, n, r in rng_sizes:
        density = 1 / m if r >= 2**24 else 8 / m
        P = families.random_pattern(m, n, r, density=density, seed=0)
        t, res = median_time(lambda P=P: decide_tractability(P))
        row = {"pattern": f"random {m}x{n}, density {density:.1e}", "r": r, "nnz": P.nnz,
               "verdict": res.verdict, "classes": res.n_classes, "time_s": t}
        rows.append(row)
        print(f"{row['pattern']:34} {row['r']:>7} {row['nnz']:>14} {row['verdict']:>14} "
              f"{row['classes']:>8} {row['time_s']:>9.4f}")
    out = {"benchmark": "analysis", "fsmf_check": __version__, "python": platform.python_version(),
           "numpy": np.__version__, "machine": platform.machine(), "cores": __import__("os").cpu_count(),
           "rows": rows}
    path = Path(__file__).resolve().parent / "results" / "bench_analysis.json"
    atomic_write_text(path, json.dumps(out, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

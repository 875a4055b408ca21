"""Benchmark: tractability decision time (issue: analysis engine, T1-T3, T6).

Butterfly splits with r = 2^10 ... 2^16 rank-one supports, decided (a) in structured form
(Kronecker closed form, O(r)) and (b) from explicit sparse masks (the generic O(nnz) path),
plus random explicit patterns. Median of 3 runs. Prints a table and writes
benchmarks/results/bench_analysis.json.

Usage: python benchmarks/bench_analysis.py [--quick] [--huge | --only-huge]

``--huge`` adds the random 4096 x 4096 pattern with r = 2^24 rank-one supports (density
1/4096, 3.4e7 nonzeros; also r = 2^22), measured once each as user CPU time of the decision
plus ``to_dict`` (resource.getrusage), the tracemalloc peak of a second, traced run, and the
peak RSS of the process (which includes the pattern). Its expected 2^25 nonzeros are above
MAX_RANDOM_NNZ, the limit for case files, so the benchmark draws the masks with the
generator's own ``_random_mask`` (the masks ``random_pattern`` would draw, seed 0).
``--only-huge`` skips the other rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
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


def huge_row(log_r: int) -> dict[str, object]:
    """One decision on a random 4096 x 4096 pattern with r = 2^log_r (CPU time, memory)."""
    m = n = 4096
    r = 2**log_r
    rng = np.random.default_rng(0)
    P = SupportPattern(families._random_mask(m, r, 1 / m, rng),
                       families._random_mask(n, r, 1 / m, rng))
    gc.collect()
    load = os.getloadavg()[0]
    u0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
    res = decide_tractability(P)
    res.to_dict()
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - u0
    wall = time.perf_counter() - t0
    del res
    gc.collect()
    tracemalloc.start()
    traced = decide_tractability(P)
    traced.to_dict()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    return {"pattern": f"random {m}x{n}, density 1/{m}", "r": r, "nnz": P.nnz,
            "verdict": traced.verdict, "classes": traced.n_classes, "time_s": wall,
            "user_cpu_s": cpu, "tracemalloc_peak_mib": peak / 2**20,
            "max_rss_mib": rss / 2**20, "load_average": load,
            "reason": traced.reason, "witness": traced.witness}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    parser.add_argument("--huge", action="store_true",
                        help="also a random pattern with 2^24 rank-one supports")
    parser.add_argument("--only-huge", action="store_true",
                        help="only the 2^22 and 2^24 random patterns (one run each)")
    parser.add_argument("--huge-row", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.huge_row:
        print(json.dumps(huge_row(args.huge_row)))
        return
    exps = range(10, 13) if args.quick else range(10, 17)
    if args.only_huge:
        exps = range(0)
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
    if args.only_huge:
        rng_sizes = []
    for m, n, r in rng_sizes:
        density = 8 / m
        P = families.random_pattern(m, n, r, density=density, seed=0)
        t, res = median_time(lambda P=P: decide_tractability(P))
        row = {"pattern": f"random {m}x{n}, density {density:.1e}", "r": r, "nnz": P.nnz,
               "verdict": res.verdict, "classes": res.n_classes, "time_s": t}
        rows.append(row)
        print(f"{row['pattern']:34} {row['r']:>7} {row['nnz']:>14} {row['verdict']:>14} "
              f"{row['classes']:>8} {row['time_s']:>9.4f}")
    if args.huge or args.only_huge:
        for log_r in (22, 24):
            # a fresh process per row, so that its peak RSS is this decision's (and pattern's)
            proc = subprocess.run([sys.executable, __file__, "--huge-row", str(log_r)],
                                  check=True, capture_output=True, text=True)
            row = json.loads(proc.stdout)
            rows.append(row)
            print(f"{row['pattern']:34} {row['r']:>7} {row['nnz']:>14} {row['verdict']:>14} "
                  f"{row['classes']:>8} {row['time_s']:>9.4f}  user CPU "
                  f"{row['user_cpu_s']:.2f} s, tracemalloc peak "
                  f"{row['tracemalloc_peak_mib']:.0f} MiB, max RSS {row['max_rss_mib']:.0f} MiB, "
                  f"load {row['load_average']:.1f}")
    out = {"benchmark": "analysis", "fsmf_check": __version__, "python": platform.python_version(),
           "numpy": np.__version__, "machine": platform.machine(), "cores": __import__("os").cpu_count(),
           "rows": rows}
    name = "bench_analysis_huge.json" if args.only_huge else "bench_analysis.json"
    path = Path(__file__).resolve().parent / "results" / name
    atomic_write_text(path, json.dumps(out, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

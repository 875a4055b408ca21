"""Benchmark the hierarchical butterfly factorization (T7/T9) for N = 2^6 ... 2^13.

Matrices: DFT_N with bit-reversed columns (complex, exactly a butterfly product), Sylvester
Hadamard, a random Gaussian butterfly product, and the same product plus Gaussian noise of
relative size 1e-2. For each matrix, size and tree the median of 3 runs of
``fsmf_check.numeric.hierarchical`` (orthonormalized, no T9 bound) is reported: wall time of
the call (validation + factorization + direct error evaluation), the factorization time, the
relative error and, for noisy inputs, the error divided by the norm of the noise. If
``pyfaust`` is importable (never a dependency of fsmf-check) its
``pyfaust.fact.butterfly(M, type='bbtree')`` runs on the same matrices and the speed ratio is
printed. Results go to benchmarks/results/bench_butterfly.json (written atomically).

Usage: python benchmarks/bench_butterfly.py [--max-log2 13] [--repeats 3] [--trees left,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy

from fsmf_check.model import families
from fsmf_check.files import atomic_write_text
from fsmf_check.numeric.hierarchical import hierarchical
from fsmf_check.inputs.matrix_specs import bitrev, dft, hadamard, random_butterfly

OUT = Path(__file__).resolve().parent / "results" / "bench_butterfly.json"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _matrices(n: int) -> list[tuple[str, np.ndarray, float]]:
    noisy = random_butterfly(n, seed=0, noise=1e-2)
    return [
        ("dft-bitrev", dft(n)[:, bitrev(n)], 0.0),
        ("hadamard", hadamard(n), 0.0),
        ("random-butterfly", random_butterfly(n, seed=0).A, 0.0),
        ("noisy-butterfly-1e-2", noisy.A, noisy.noise_norm),
    ]


def _pyfaust():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pyfaust.fact  # noqa: PLC0415
        return pyfaust.fact
    except Exception:  # noqa: BLE001 - optional comparison only
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-log2", type=int, default=6)
    ap.add_argument("--max-log2", type=int, default=13)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--trees", default="left,right,balanced")
    ap.add_argument("--no-pyfaust", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    trees = args.trees.split(",")
    fact = None if args.no_pyfaust else _pyfaust()
    rows = []
    header = (f"{'matrix':<22}{'N':>6} {'tree':<9}{'time_s':>9}{'fact_s':>9}{'rel_error':>11}"
              f"{'err/noise':>10}{'rss_MB':>8}" + (f"{'faust_s':>9}{'faust_err':>11}{'ratio':>7}"
                                                   if fact else ""))
    print(header)
    for L in range(args.min_log2, args.max_log2 + 1):
        n = 2**L
        chain = families.butterfly(n)
        for name, A, noise_norm in _matrices(n):
            faust_t = faust_err = None
            if fact is not None:
                ts = []
                for _ in range(args.repeats):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        t0 = time.perf_counter()
                        F = fact.butterfly(A, type="bbtree")
                        ts.append(time.perf_counter() - t0)
                faust_t = statistics.median(ts)
                faust_err = float(np.linalg.norm(F.toarray() - A) / np.linalg.norm(A))
                del F
            for tree in trees:
                walls, facts = [], []
                res = None
                for _ in range(args.repeats):
                    res = None
                    t0 = time.perf_counter()
                    res = hierarchical(A, chain, tree=tree, orthonormalize=True, bound=False)
                    walls.append(time.perf_counter() - t0)
                    facts.append(res.elapsed_s)
                assert res is not None
                row = {"matrix": name, "N": n, "tree": tree, "orthonormalized": True,
                       "time_s": statistics.median(walls),
                       "factorization_s": statistics.median(facts),
                       "rel_error": res.rel_error,
                       "error_over_noise": (res.error / noise_norm) if noise_norm else None,
                       "peak_rss_mb": _peak_rss_mb(),
                       "pyfaust_bbtree_s": faust_t, "pyfaust_rel_error": faust_err,
                       "speed_ratio_pyfaust_over_ours": (faust_t / statistics.median(walls)
                                                         if faust_t else None)}
                rows.append(row)
                eon = f"{row['error_over_noise']:.4f}" if noise_norm else "-"
                line = (f"{name:<22}{n:>6} {tree:<9}{row['time_s']:>9.4f}"
                        f"{row['factorization_s']:>9.4f}{row['rel_error']:>11.2e}{eon:>10}"
                        f"{row['peak_rss_mb']:>8.0f}")
                if fact is not None:
                    line += f"{faust_t:>9.4f}{faust_err:>11.2e}{row['speed_ratio_pyfaust_over_ours']:>7.2f}"
                print(line, flush=True)
                del res
            del A
    info = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                    "numpy": np.__version__, "scipy": scipy.__version__,
                    "pyfaust": getattr(sys.modules.get("pyfaust"), "__version__", None)
                    if fact else None},
        "settings": {"repeats": args.repeats, "statistic": "median", "orthonormalize": True,
                     "bound": False, "noise": "relative 1e-2 (||W||_F = 1e-2 ||B||_F)"},
        "rows": rows,
    }
    if fact is not None:
        import pyfaust  # noqa: PLC0415

        info["machine"]["pyfaust"] = pyfaust.version()
    atomic_write_text(args.out, json.dumps(info, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

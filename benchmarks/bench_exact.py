"""Benchmark: time to an exact certificate (exact engine, T7, T8, T9).

Cases: random rational butterfly products (entries p/q with |p| <= 19, q <= 9 on the supports,
seed 0) and Sylvester Hadamard matrices over Q for N = 16 ... 512, and DFT_N with bit-reversed
columns over Q(zeta_N) for N = 8 ... 128. For each: time to build the exact target, time to the
membership certificate (hierarchical exact recovery, balanced tree, exact product check; the
complementary low-rank cross-check is timed separately), time to the identifiability
certificate, and time for the independent re-check (verify_certificate). One run each (the
exact engine is deterministic). Prints a table and writes benchmarks/results/bench_exact.json
atomically.

Targets (SPEC brief): N = 256 rational <= 5 s, DFT_64 exact <= 10 s (time to certificate).

A second table times the whole process ``fsmf-check certify CASE`` (wall clock and user CPU
time, a fresh interpreter, imports included; the default memory budget) for the
DFT_N with bit-reversed columns over Q(zeta_N) and the random integer butterfly product
(seed 0), N = 256, 512, 1024 (performance issue item 2: <= 10 s each at N = 1024).
``--certify-only`` runs just that table.

Usage: python benchmarks/bench_exact.py [--quick] [--certify-only]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from fsmf_check import __version__
from fsmf_check.model import families
from fsmf_check.files import atomic_write_text
from fsmf_check.exact._backend import Field, get_backend
from fsmf_check.exact.chain import (
    clr_check,
    decide_chain_identifiability,
    decide_chain_membership,
)
from fsmf_check.exact.targets import (
    ExactTarget,
    chain_product,
    dft_matrix,
    hadamard_matrix,
)
from fsmf_check.verify.certificates import verify_certificate


def rational_butterfly(n: int, seed: int = 0) -> ExactTarget:
    """Product of random rational butterfly factors (exact, over Q)."""
    bk = get_backend("flint", Field(1))
    chain = families.butterfly(n)
    rng = np.random.default_rng(seed)
    factors = []
    for idx in range(chain.n_factors):
        mask = chain.factor_mask(idx).toarray()
        F = bk.zeros(n, n)
        for i, j in np.argwhere(mask):
            p = int(rng.integers(1, 20)) * (1 if rng.random() < 0.5 else -1)
            F[i, j] = bk.scalar(Fraction(p, int(rng.integers(1, 10))))
        factors.append(F)
    return ExactTarget(chain_product(factors, bk), Field(1), bk,
                       f"random rational butterfly product N={n}", planted=factors)


def timed(fn):  # noqa: ANN001, ANN201
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_case(kind: str, n: int) -> dict[str, object]:
    chain = families.butterfly(n)
    if kind == "rational":
        t_target, T = timed(lambda: rational_butterfly(n))
    elif kind == "hadamard":
        t_target, T = timed(lambda: hadamard_matrix(n))
    else:
        t_target, T = timed(lambda: dft_matrix(n, "bitrev"))
    t_mem, mem = timed(lambda: decide_chain_membership(T, chain, cross_check=False))
    t_clr, clr = timed(lambda: clr_check(T, chain))
    t_id, ident = timed(lambda: decide_chain_identifiability(T, chain, mem))
    t_ver, ok = timed(lambda: verify_certificate(mem.certificate))
    return {"case": kind, "N": n, "field": T.field.name, "membership": mem.verdict,
            "clr": clr["verdict"], "identifiability": ident.verdict, "verified": ok,
            "t_target_s": round(t_target, 4), "t_membership_s": round(t_mem, 4),
            "t_clr_s": round(t_clr, 4), "t_identifiability_s": round(t_id, 4),
            "t_verify_s": round(t_ver, 4),
            "t_certificate_s": round(t_target + t_mem, 4)}


_CASE = """name = "bench-{gen}-{n}"
kind = "chain"

[supports]
family = "butterfly"
n = {n}

[target]
{target}
"""
_TARGETS = {"dft": 'generator = "dft"\ncolumns = "bitrev"',
            "integer": 'generator = "random-butterfly"\nentries = "integer"\nseed = 0'}


def run_certify(gen: str, n: int) -> dict[str, object]:
    """Wall time, user CPU time and peak RSS of one ``python -m fsmf_check certify CASE``.

    User CPU time (``getrusage(RUSAGE_CHILDREN)``) is the number to compare on a shared box;
    the load average at the start is recorded with it.
    """
    import os
    import resource
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / f"{gen}-{n}.toml"
        case.write_text(_CASE.format(gen=gen, n=n, target=_TARGETS[gen]))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "fsmf_check", "certify", str(case)],
                              capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    verdict = next((ln.split(":", 1)[1].split("(")[0].strip() for ln in proc.stdout.splitlines()
                    if ln.strip().startswith("membership:")), "error")
    return {"case": f"certify {gen}", "N": n, "exit_code": proc.returncode,
            "membership": verdict, "wall_s": round(wall, 2),
            "user_s": round(after.ru_utime - before.ru_utime, 2),
            "max_rss_mib": round(after.ru_maxrss / 1024),  # the largest child so far (Linux KiB)
            "load": round(load, 1)}


def certify_table(sizes: list[int]) -> list[dict[str, object]]:
    """Whole-process ``certify`` rows (DFT bit-reversed and integer butterfly)."""
    print(f"{'whole process':18} {'N':>5} {'verdict':>10} {'wall s':>7} {'user s':>7} "
          f"{'load':>5}")
    rows = []
    for gen in ("dft", "integer"):
        for n in sizes:
            row = run_certify(gen, n)
            rows.append(row)
            print(f"{row['case']:18} {n:>5} {row['membership']:>10} {row['wall_s']:>7.2f} "
                  f"{row['user_s']:>7.2f} {row['load']:>5.1f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument("--certify-only", action="store_true",
                        help="only the whole-process certify table")
    args = parser.parse_args()
    whole = certify_table([64, 128] if args.quick else [256, 512, 1024])
    if args.certify_only:
        return
    sizes_q = [16, 64] if args.quick else [16, 32, 64, 128, 256, 512]
    sizes_z = [8, 16] if args.quick else [8, 16, 32, 64, 128]
    plan = ([("rational", n) for n in sizes_q] + [("hadamard", n) for n in sizes_q]
            + [("dft", n) for n in sizes_z])
    header = (f"{'case':9} {'N':>4} {'field':>12} {'verdict':>7} {'target':>7} {'member':>7} "
              f"{'clr':>7} {'ident':>7} {'verify':>7} {'to cert':>8}")
    print(header)
    rows = []
    for kind, n in plan:
        row = run_case(kind, n)
        rows.append(row)
        print(f"{kind:9} {n:>4} {row['field']:>12} {row['membership']:>7} "
              f"{row['t_target_s']:>7.2f} {row['t_membership_s']:>7.2f} {row['t_clr_s']:>7.2f} "
              f"{row['t_identifiability_s']:>7.2f} {row['t_verify_s']:>7.2f} "
              f"{row['t_certificate_s']:>8.2f}", flush=True)
    import flint
    import sympy

    out = {"benchmark": "bench_exact", "version": __version__, "quick": args.quick,
           "machine": {"python": platform.python_version(), "platform": platform.platform(),
                       "processor": platform.processor(), "cpus": _cpus()},
           "libraries": {"python-flint": flint.__version__, "sympy": sympy.__version__,
                         "numpy": np.__version__},
           "rows": rows, "certify_rows": whole}
    path = Path(__file__).resolve().parent / "results" / "bench_exact.json"
    atomic_write_text(path, json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


def _cpus() -> int | None:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count()


if __name__ == "__main__":
    main()

"""Side-by-side butterfly factorization: fsmf-check vs lazylinop vs pyfaust, whole processes.

For each matrix (Hadamard, random Gaussian butterfly product, DFT with bit-reversed columns)
and each N, one fresh Python process per tool and run (median of ``--repeats``):

* ``fsmf-check``: the default CLI call ``python -m fsmf_check butterfly SPEC --json``
  (factorization, direct error check and the rigorous T9 bound included), wall time of the
  whole process; "call" is the command's own ``run.elapsed_s`` (matrix generation included);
* ``lazylinop``: ``lazylinop.butterfly.ksd(A, Chain.square_dyadic(A.shape))`` (orthonormalized,
  left to right: the same algorithm), wall time from process start to the end of the call;
* ``pyfaust``: ``pyfaust.fact.butterfly(A, type="bbtree")``, the same way.

The competitors get the same matrices (built by ``fsmf_check.inputs.matrix_specs``, so their
whole-process times include the same generation cost as fsmf-check's) and their error
evaluation is outside the timed span; machine load changes all three tools differently (the
competitors use BLAS threads), so run it on a quiet machine and record ``uptime``. Peak memory is the peak RSS of the process (for
the competitors, at the end of the call). The physical limit is one read of the matrix in
memory (``np.add.reduce`` over a resident N x N array), the least any method must do.
The package is byte-compiled first (``python -m compileall fsmf_check``, git-ignored
``__pycache__``), as an installed package is: the competitors' modules are compiled by pip.
lazylinop and pyfaust come from the optional ``bench`` extra (``pip install .[bench]``); a tool
that is not importable is skipped with one line. Growth exponents are least-squares slopes of
log(time) over log(N). Results: benchmarks/results/bench_compare.json; ``--doc FILE`` rewrites
the block between ``<!-- bench_compare:begin -->`` and ``<!-- bench_compare:end -->``.

Usage: python benchmarks/bench_compare.py [--sizes 1024,2048,4096] [--repeats 3]
       [--doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # run as a script from anywhere: import this repository's package, not an installed one
    sys.path.insert(0, str(ROOT))
OUT = Path(__file__).resolve().parent / "results" / "bench_compare.json"
MATRICES = ("hadamard", "random-butterfly", "dft-bitrev")
TOOLS = ("fsmf-check", "lazylinop", "pyfaust")
BEGIN, END = "<!-- bench_compare:begin -->", "<!-- bench_compare:end -->"


def _spec(matrix: str, n: int) -> list[str]:
    if matrix == "dft-bitrev":
        return [f"dft:{n}", "--bitrev"]
    return [f"{matrix}:{n}"]


def _build(matrix: str, n: int) -> np.ndarray:
    from fsmf_check.inputs.matrix_specs import dft, hadamard, random_butterfly

    if matrix == "hadamard":
        return hadamard(n)
    if matrix == "dft-bitrev":
        return dft(n, "bitrev")
    return np.array(random_butterfly(n, seed=0).A)


def _worker(tool: str, matrix: str, n: int) -> None:
    """Run one competitor call in this (fresh) process and print a JSON line."""
    import resource
    import warnings

    warnings.simplefilter("ignore")
    A = _build(matrix, n)
    if tool == "lazylinop":
        from lazylinop.butterfly import Chain, ksd

        t0 = time.perf_counter()
        F = ksd(A, Chain.square_dyadic(A.shape))
        call = time.perf_counter() - t0
        end = time.time()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        approx = F @ np.eye(n, dtype=A.dtype)
    else:
        import pyfaust.fact

        t0 = time.perf_counter()
        F = pyfaust.fact.butterfly(A, type="bbtree")
        call = time.perf_counter() - t0
        end = time.time()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        approx = F.toarray()
    rel = float(np.linalg.norm(A - approx) / np.linalg.norm(A))
    print(json.dumps({"call_s": call, "end": end, "rss_mb": rss, "rel_error": rel}))


def _available(tool: str) -> str | None:
    mod = {"lazylinop": "lazylinop.butterfly", "pyfaust": "pyfaust.fact"}.get(tool)
    if mod is None:
        return None
    code = f"import warnings; warnings.simplefilter('ignore'); import {mod}"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    if r.returncode:
        return (r.stderr.strip().splitlines() or ["import failed"])[-1]
    return None


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str, float]:
    """(wall s, peak RSS MiB, stdout, spawn time) of one child process."""
    start_wall = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=ROOT)
    out = proc.stdout.read().decode() if proc.stdout else ""  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        msg = f"{' '.join(cmd)} exited with {proc.returncode}"
        raise RuntimeError(msg)
    return wall, usage.ru_maxrss / 1024.0, out, start_wall


def _one(tool: str, matrix: str, n: int, env: dict[str, str]) -> dict[str, float]:
    if tool == "fsmf-check":
        wall, rss, out, _ = _run([sys.executable, "-m", "fsmf_check", "butterfly",
                                  *_spec(matrix, n), "--json", "--quiet"], env)
        doc = json.loads(out)
        return {"wall_s": wall, "rss_mb": rss, "rel_error": doc["results"]["solve"]["rel_error"],
                "call_s": doc["run"]["elapsed_s"]}
    _, rss_end, out, spawn = _run([sys.executable, __file__, "--worker", tool, matrix, str(n)],
                                  env)
    r = json.loads(out.strip().splitlines()[-1])
    return {"wall_s": r["end"] - spawn, "rss_mb": r["rss_mb"], "rel_error": r["rel_error"],
            "call_s": r["call_s"]}


def _read_limit(n: int, complex_: bool, repeats: int) -> float:
    A = np.ones((n, n), dtype=np.complex128 if complex_ else np.float64)
    flat = A.reshape(-1).view(np.float64)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.add.reduce(flat)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _slope(ns: list[int], ts: list[float]) -> float | None:
    pts = [(np.log(n), np.log(t)) for n, t in zip(ns, ts, strict=True) if t > 0]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def _markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} on {res['machine']} ({res['cpus']} cores), Python "
             f"{res['python']}, numpy {res['numpy']}, "
             + ", ".join(f"{k} {v}" for k, v in res["versions"].items())
             + f"; median of {res['repeats']} fresh processes per cell.", ""]
    for line in res["skipped"]:
        lines.append(f"* skipped: {line}")
    if res["skipped"]:
        lines.append("")
    lines += ["| matrix | N | tool | whole process (s) | call (s) | time / fsmf-check | "
              "peak RSS (MiB) | RSS / matrix | rel. error |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for row in res["rows"]:
        lines.append(f"| {row['matrix']} | {row['n']} | {row['tool']} | {row['wall_s']:.3f} | "
                     f"{row['call_s']:.3f} | {row['ratio']:.2f} | {row['rss_mb']:.0f} | "
                     f"{row['rss_ratio']:.2f} | {row['rel_error']:.1e} |")
    lines += ["", "Growth exponents (slope of log time over log N, whole process / call):", "",
              "| matrix | tool | whole process | call |", "|---|---|---:|---:|"]
    for g in res["growth"]:
        w = "-" if g["wall"] is None else f"{g['wall']:.2f}"
        c = "-" if g["call"] is None else f"{g['call']:.2f}"
        lines.append(f"| {g['matrix']} | {g['tool']} | {w} | {c} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--matrices", default=",".join(MATRICES))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--doc", type=Path, default=None)
    ap.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(args.worker[0], args.worker[1], int(args.worker[2]))
        return 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # byte-compile the package first, as `pip install` does for every installed package
    # (lazylinop and pyfaust included): with PYTHONDONTWRITEBYTECODE set and no __pycache__,
    # each fsmf-check process would otherwise recompile its modules (0.06-0.08 s per process)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "fsmf_check")],
                   check=True, stdout=subprocess.DEVNULL)
    sizes = [int(x) for x in args.sizes.split(",")]
    tools = []
    skipped = []
    versions: dict[str, str] = {}
    for tool in args.tools.split(","):
        why = _available(tool)
        if why is None:
            tools.append(tool)
            if tool != "fsmf-check":
                from importlib.metadata import version

                versions[tool] = version(tool)
        else:
            line = (f"{tool} is not importable ({why}); install the optional bench extra: "
                    f"pip install '.[bench]'")
            print(line, file=sys.stderr)
            skipped.append(line)
    rows = []
    for matrix in args.matrices.split(","):
        for n in sizes:
            cplx = matrix == "dft-bitrev"
            limit = _read_limit(n, cplx, args.repeats)
            mat_mb = n * n * (16 if cplx else 8) / 2**20
            cells = {}
            for tool in tools:
                runs = [_one(tool, matrix, n, env) for _ in range(args.repeats)]
                cells[tool] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(f"{matrix} N={n} {tool}: {cells[tool]}", file=sys.stderr, flush=True)
            base = cells.get("fsmf-check", {}).get("wall_s")
            for tool, c in cells.items():
                rows.append({"matrix": matrix, "n": n, "tool": tool, **c,
                             "ratio": c["wall_s"] / base if base else float("nan"),
                             "rss_ratio": c["rss_mb"] / mat_mb})
            rows.append({"matrix": matrix, "n": n, "tool": "one read of the matrix",
                         "wall_s": limit, "call_s": limit,
                         "ratio": limit / base if base else float("nan"),
                         "rss_mb": mat_mb, "rss_ratio": 1.0, "rel_error": 0.0})
    growth = []
    for matrix in args.matrices.split(","):
        for tool in [*tools, "one read of the matrix"]:
            sel = [r for r in rows if r["matrix"] == matrix and r["tool"] == tool]
            growth.append({"matrix": matrix, "tool": tool,
                           "wall": _slope([r["n"] for r in sel], [r["wall_s"] for r in sel]),
                           "call": _slope([r["n"] for r in sel], [r["call_s"] for r in sel])})
    import scipy

    res = {"date": time.strftime("%Y-%m-%d"), "machine": platform.processor() or
           platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
           "numpy": np.__version__, "versions": {"scipy": scipy.__version__, **versions},
           "repeats": args.repeats, "skipped": skipped, "rows": rows, "growth": growth,
           "load_average": os.getloadavg()}
    from fsmf_check.files import atomic_write_text

    atomic_write_text(args.out, json.dumps(res, indent=1))
    md = _markdown(res)
    print(md)
    if args.doc is not None:
        text = args.doc.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            atomic_write_text(args.doc, f"{head}{BEGIN}\n{md}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

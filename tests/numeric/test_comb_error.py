"""The direct error check of left-comb rank-one chains equals the tree contraction (T6, T7).

``hierarchical._comb_error`` forms every entry of the product as ONE multiplication of a
path coefficient and a row of a small rebuilt piece (unique paths of butterfly supports);
``hierarchical._contract_error`` rebuilds the product along the tree. Both must give the
same ``||T0 - product||^2`` to rounding, and the engine's reported error must be the
directly computed dense error.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsmf_check.numeric.hierarchical  # noqa: F401 - the module object is taken below
from fsmf_check.analysis.chains import tree_nodes
from fsmf_check.inputs.matrix_specs import random_butterfly
from fsmf_check.model.families import butterfly
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain
from fsmf_check.numeric import _threads
from fsmf_check.numeric.factors import extract_twiddle

H = sys.modules["fsmf_check.numeric.hierarchical"]


def _both(A: np.ndarray, chain: Chain) -> tuple[float, float, bool]:
    res = H.hierarchical(A, chain, bound=False)
    pats = chain.patterns
    L = len(pats)
    nodes = tree_nodes(0, L, "left")
    part = H._Patterns(pats)
    T0 = extract_twiddle(A, part(0, L))
    plan = H._comb_plan(res.factors, nodes, part)
    generic = H._contract_error(T0, res.factors, nodes, part)
    fast = H._comb_error(T0, res.factors, nodes, part, plan) if plan is not None else generic
    return generic, fast, plan is not None


@given(seed=st.integers(0, 2**31), L=st.integers(3, 8), cplx=st.booleans(),
       noise=st.sampled_from([0.0, 1e-3, 0.3]))
def test_comb_error_equals_tree_contraction(seed: int, L: int, cplx: bool,
                                            noise: float) -> None:
    n = 2**L
    A = np.array(random_butterfly(n, seed=seed, noise=noise).A)
    if cplx:
        A = A + 1j * np.array(random_butterfly(n, seed=seed + 1, noise=noise).A)
    generic, fast, used = _both(A, butterfly(n))
    assert used
    scale = float(np.sum(np.abs(A) ** 2))
    assert abs(fast - generic) <= 1e-13 * scale


@pytest.mark.parametrize("workers", [1, 2])
def test_engine_error_is_the_dense_error(workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_threads, "WORKERS_CAP", workers)
    rng = np.random.default_rng(5)
    A = rng.standard_normal((1024, 1024)) + 1j * rng.standard_normal((1024, 1024))
    res = H.hierarchical(A, butterfly(1024), bound=False)  # 32 chunks of rows
    dense = float(np.linalg.norm(A - res.to_dense()))
    assert res.error == pytest.approx(dense, rel=1e-12)


def test_several_root_blocks() -> None:
    """``I_2 ⊗`` a butterfly of size 16: root pattern with a = 2, still one path per entry."""
    pats = (KronPattern(2, 2, 2, 8), KronPattern(4, 2, 2, 4), KronPattern(8, 2, 2, 2),
            KronPattern(16, 2, 2, 1))
    chain = Chain(pats)
    rng = np.random.default_rng(11)
    A = rng.standard_normal(chain.shape)
    generic, fast, used = _both(A, chain)
    assert used
    assert fast == pytest.approx(generic, rel=1e-12)
    res = H.hierarchical(A, chain, bound=False)
    assert res.error == pytest.approx(float(np.linalg.norm(A - res.to_dense())), rel=1e-12)


def test_other_trees_keep_the_contraction() -> None:
    A = np.array(random_butterfly(64, seed=2, noise=0.1).A)
    for tree in ("right", "balanced"):
        res = H.hierarchical(A, butterfly(64), tree=tree, bound=False)
        assert res.error == pytest.approx(float(np.linalg.norm(A - res.to_dense())), rel=1e-12)

"""Kronecker patterns, closed-form products and chainability (THEORY T6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.errors import MaskError, ShapeError, SizeLimitError
from fsmf_check.model.kronecker import (
    KronPattern,
    analyze_kronecker_chain,
    chain_product,
    is_chainable,
    product_pattern,
    remove_redundancy,
)
from fsmf_check.model.supports import Chain, bool_product

from .strategies import chainable_pairs, kron_patterns


def _dense_bool_product(masks: list[np.ndarray]) -> np.ndarray:
    acc = masks[0].astype(np.int64)
    for m in masks[1:]:
        acc = ((acc @ m.astype(np.int64)) > 0).astype(np.int64)
    return acc.astype(np.int8)


@given(kron_patterns())
def test_mask_matches_kron_definition(p: KronPattern) -> None:
    expected = np.kron(np.kron(np.eye(p.a), np.ones((p.b, p.c))), np.eye(p.d))
    np.testing.assert_array_equal(p.to_dense(), expected)
    np.testing.assert_array_equal(p.to_sparse().toarray(), expected)
    for j in range(p.shape[1]):
        np.testing.assert_array_equal(p.rows_of_col(j), np.flatnonzero(expected[:, j]))
    for i in range(p.shape[0]):
        np.testing.assert_array_equal(p.cols_of_row(i), np.flatnonzero(expected[i]))


@given(chainable_pairs())
def test_product_pattern_equals_boolean_product(pair: tuple[KronPattern, KronPattern]) -> None:
    left, right = pair
    assert is_chainable(left, right)
    prod = product_pattern(left, right)
    np.testing.assert_array_equal(prod.to_dense(),
                                  _dense_bool_product([left.to_dense(), right.to_dense()]))


@given(st.integers(2, 6), st.sampled_from(["standard", "reversed"]), st.data())
def test_butterfly_partial_products_are_closed_form(L: int, order: str, data) -> None:
    chain = families.butterfly(2**L, order)
    p = data.draw(st.integers(0, L - 1))
    q = data.draw(st.integers(p + 1, L))
    closed = chain.partial_support(p, q)
    assert isinstance(closed, KronPattern)
    dense = _dense_bool_product([chain.factor_mask(i).toarray() for i in range(p, q)])
    np.testing.assert_array_equal(closed.to_dense(), dense)
    if order == "standard":
        # THEORY §4.1: B_p..B_q = I_{2^(p-1)} ⊗ 1_{2^(q-p+1)} ⊗ I_{N/2^q} (1-based, inclusive)
        assert closed == KronPattern(2**p, 2 ** (q - p), 2 ** (q - p), 2**L // 2**q)


@given(st.integers(0, 2**31 - 1))
def test_partial_product_support_equals_generic_real_product(seed: int) -> None:
    """Support of a product of random real factors = exact boolean product (generic check)."""
    rng = np.random.default_rng(seed)
    masks = [(rng.random((4, 5)) < 0.4), (rng.random((5, 3)) < 0.5), (rng.random((3, 4)) < 0.5)]
    chain = Chain([m.astype(np.int8) for m in masks])
    support = chain.partial_support(0, 3).toarray()
    prod = np.eye(4)
    for m in masks:
        prod = prod @ (m * rng.standard_normal(m.shape))
    # generic real entries: no cancellation with probability one
    np.testing.assert_array_equal(support, (np.abs(prod) > 1e-12).astype(np.int8))


def test_reversed_pairs_use_the_transposed_closed_form() -> None:
    chain = Chain([KronPattern(2, 2, 2, 1), KronPattern(1, 2, 2, 2)])
    assert not is_chainable(*chain.factors)
    with pytest.raises(ShapeError, match="not chainable"):
        product_pattern(*chain.factors)
    assert chain.partial_support(0, 2) == KronPattern(1, 4, 4, 1)


def test_mixed_explicit_chain_falls_back_to_boolean_product() -> None:
    chain = Chain([KronPattern(2, 2, 2, 1), np.array([[1, 0, 0, 0], [0, 1, 0, 0],
                                                      [0, 0, 0, 1], [0, 0, 1, 0]])])
    support = chain.partial_support(0, 2)
    assert not isinstance(support, KronPattern)
    assert support.toarray().tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1],
                                          [0, 0, 1, 1]]


def test_chain_report_butterfly_and_redundancy() -> None:
    rep = analyze_kronecker_chain(families.butterfly(16).factors)
    assert rep.chainable and rep.product == KronPattern(1, 16, 16, 1)
    assert [p.rank for p in rep.pairs] == [1, 1, 1]
    assert not any(p.redundant for p in rep.pairs)
    assert rep.reduced == families.butterfly(16).factors
    # Kaleidoscope: the middle pair (8,2,2,1)(8,2,2,1) has r = 2 >= min(2, 2): redundant
    kal = analyze_kronecker_chain(families.kaleidoscope(16).factors)
    assert [p.index for p in kal.pairs if p.redundant] == [3]
    assert len(kal.reduced) == 7
    assert chain_product(kal.reduced) == chain_product(kal.patterns)


def test_remove_redundancy_keeps_the_product() -> None:
    pats = [KronPattern(1, 2, 4, 1), KronPattern(1, 4, 2, 1)]
    assert remove_redundancy(pats) == (KronPattern(1, 2, 2, 1),)


def test_kron_pattern_validation() -> None:
    with pytest.raises(MaskError, match="must be >= 1"):
        KronPattern(0, 1, 1, 1)
    with pytest.raises(MaskError, match="positive integer"):
        KronPattern(1.5, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(SizeLimitError, match="MAX_DIM"):
        KronPattern(2**20, 2**10, 1, 1)
    with pytest.raises(SizeLimitError, match="MAX_EXPLICIT_NNZ"):
        KronPattern(1, 2**12, 2**12, 2**4).to_sparse()


def test_bool_product_has_no_cancellation() -> None:
    import scipy.sparse as sp

    # +1 and -1 paths would cancel in a real product; the support product keeps the entry
    left = sp.csc_array(np.array([[1, 1]], dtype=np.int8))
    right = sp.csc_array(np.array([[1], [1]], dtype=np.int8))
    assert bool_product(left, right).toarray().tolist() == [[1]]

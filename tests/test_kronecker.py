"""Kronecker patterns, closed-form products and chainability (T6)."""

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
    monarch_patterns,
    parse_chain_spec,
    product_pattern,
    recognize_pattern,
    remove_redundancy,
    square_dyadic_patterns,
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
        # theory §4.1: B_p..B_q = I_{2^(p-1)} ⊗ 1_{2^(q-p+1)} ⊗ I_{N/2^q} (1-based, inclusive)
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


# ----------------------------------------------------------------------------------------
# chainability in each orientation (lazylinop's definition), recognition, chain specs


def _lazylinop_pair(p1: KronPattern, p2: KronPattern) -> bool:
    """lazylinop's ``Chain._is_chainable`` for one pair, written out as its docstring says."""
    a1, _, c1, d1 = p1.as_tuple()
    a2, b2, _, d2 = p2.as_tuple()
    if (a1 * c1) % a2 or (b2 * d2) % d1:
        return False
    return (a1 * c1) // a2 == (b2 * d2) // d1 and a2 % a1 == 0 and d1 % d2 == 0


@given(st.lists(kron_patterns(max_entry=4), min_size=2, max_size=4))
def test_chainable_flag_agrees_with_pairs_and_lazylinop(pats: list[KronPattern]) -> None:
    fixed = [pats[0]]
    for p in pats[1:]:  # make inner dimensions agree, keeping a and d when they divide
        rows = fixed[-1].shape[1]
        ad = p.a * p.d
        fixed.append(KronPattern(p.a, rows // ad, p.c, p.d) if rows % ad == 0
                     else KronPattern(1, rows, p.c, 1))
    rep = analyze_kronecker_chain(fixed)
    for pr, (left, right) in zip(rep.pairs, zip(fixed, fixed[1:], strict=False), strict=True):
        assert pr.chainable == _lazylinop_pair(left, right)
        assert pr.chainable_transposed == _lazylinop_pair(right.transpose(), left.transpose())
    assert rep.chainable == all(p.chainable for p in rep.pairs)
    assert rep.chainable_transposed == all(p.chainable_transposed for p in rep.pairs)
    d = rep.to_dict()
    assert d["chainable"] == all(p["chainable"] for p in d["pairs"])  # type: ignore[union-attr]


def test_reversed_butterfly_is_chainable_only_transposed() -> None:
    rep = analyze_kronecker_chain(families.butterfly(16, "reversed").factors)
    assert not rep.chainable and rep.chainable_transposed
    assert rep.orientation == "transposed"
    assert [p.orientation for p in rep.pairs] == ["transposed"] * 3
    assert rep.product == KronPattern(1, 16, 16, 1)
    std = analyze_kronecker_chain(families.butterfly(16).factors)
    assert std.chainable and not std.chainable_transposed and std.orientation == "as-given"
    # lazylinop's Monarch chain and its transpose (``Chain.T``)
    mon = monarch_patterns(64, 16)
    assert analyze_kronecker_chain(mon).orientation == "as-given"
    mon_t = [p.transpose() for p in reversed(mon)]
    assert [p.as_tuple() for p in mon_t] == [(4, 4, 8, 1), (1, 4, 8, 8)]
    assert analyze_kronecker_chain(mon_t).orientation == "transposed"
    # ksd refuses Chain([(2,1,1,2)]*2) although chainable by the definition: both orientations
    assert analyze_kronecker_chain([KronPattern(2, 1, 1, 2)] * 2).orientation == "both"
    # lazylinop's fuse docstring chain: neither orientation, but a closed-form product
    fuse = analyze_kronecker_chain([KronPattern(2, 2, 2, 4), KronPattern(4, 2, 2, 2),
                                    KronPattern(2, 4, 4, 2)])
    assert fuse.orientation == "none" and fuse.product == KronPattern(2, 4, 4, 2)


@given(kron_patterns(max_entry=4))
def test_recognize_pattern_round_trip(p: KronPattern) -> None:
    found = recognize_pattern(p.to_sparse())
    assert p in found
    for q in found:
        np.testing.assert_array_equal(q.to_dense(), p.to_dense())
    if p.b * p.c > 1:
        assert found == (p,)


def test_recognize_pattern_rejects_non_kronecker_masks() -> None:
    assert recognize_pattern(np.array([[1, 1], [0, 1]])) == ()
    assert recognize_pattern(np.zeros((3, 3))) == ()
    perm = np.eye(4)[[1, 0, 3, 2]]
    assert recognize_pattern(perm) == ()
    assert [q.as_tuple() for q in recognize_pattern(np.eye(6))] == [
        (6, 1, 1, 1), (3, 1, 1, 2), (2, 1, 1, 3), (1, 1, 1, 6)]


@given(kron_patterns(max_entry=4), st.integers(0, 2**16))
def test_off_support_sumsq_is_the_masked_sum(p: KronPattern, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal(p.shape)
    mask = p.to_dense().astype(bool)
    assert p.off_support_sumsq(Z) == pytest.approx(float((Z[~mask] ** 2).sum()), rel=1e-12)
    # a matrix on the support has exactly zero outside mass (no cancellation: was ~1e-16 |Z|^2)
    W = np.where(mask, 1e3 * Z, 0.0)
    assert p.off_support_sumsq(W) == 0.0


def test_lazylinop_chain_builders() -> None:
    # the examples of lazylinop's Chain.square_dyadic / Chain.monarch docstrings
    assert [p.as_tuple() for p in square_dyadic_patterns(32)] == [
        (1, 2, 2, 16), (2, 2, 2, 8), (4, 2, 2, 4), (8, 2, 2, 2), (16, 2, 2, 1)]
    cases = {(21, 16): [(1, 3, 4, 7), (4, 7, 4, 1)], (12, 25): [(1, 4, 5, 3), (5, 3, 5, 1)],
             (12, 16): [(1, 4, 4, 3), (4, 3, 4, 1)], (64, 16): [(1, 8, 4, 8), (4, 8, 4, 1)],
             (32, 32): [(1, 4, 4, 8), (4, 8, 8, 1)]}
    for shape, want in cases.items():
        assert [p.as_tuple() for p in monarch_patterns(*shape)] == want
    assert [p.as_tuple() for p in monarch_patterns(12, 16, 2, 4)] == [(1, 2, 4, 6), (4, 6, 4, 1)]


def test_parse_chain_spec_values_and_errors() -> None:
    assert parse_chain_spec("square-dyadic", (8, 8)) == square_dyadic_patterns(8)
    assert parse_chain_spec(" monarch:2:4 ", (12, 16)) == monarch_patterns(12, 16, 2, 4)
    assert parse_chain_spec("1,4,8,4;8,4,8,1;", (16, 64)) == (KronPattern(1, 4, 8, 4),
                                                            KronPattern(8, 4, 8, 1))
    bad = {("square-dyadic", (8, 4)): "the matrix is 8 x 4",
           ("square-dyadic", (12, 12)): "power of two",
           ("monarch:5:3", (12, 12)): "P must divide M",
           ("monarch:2", (12, 12)): "both P and Q",
           ("monarch:x:2", (12, 12)): "positive integers",
           ("1,2,2", (4, 4)): "4 entries",
           ("1,2,2,2;1,2,3,1", (4, 3)): "mismatched inner dimensions",
           ("1,2,2,2;2,2,3,1", (12, 12)): "product shape 4 x 6 but the matrix is 12 x 12",
           ("butterfly", (8, 8)): "unknown chain"}
    for (spec, shape), msg in bad.items():
        with pytest.raises((ShapeError, MaskError), match=msg):
            parse_chain_spec(spec, shape)

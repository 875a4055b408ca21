"""Support model: validation errors, immutability, splits (docs/theory.md §1)."""

from __future__ import annotations

import numpy as np
import pytest

from fsmf_check.model import families
from fsmf_check.errors import InvalidInputError, MaskError, ShapeError, SizeLimitError
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern, as_mask


def test_mask_errors_name_the_rule_and_the_value() -> None:
    with pytest.raises(MaskError, match="only 0 and 1; found 2 at row 1, column 0"):
        SupportPattern([[1, 0], [2, 1]], [[1, 0], [0, 1]])
    with pytest.raises(MaskError, match="found 'x' at row 0, column 1"):
        as_mask(["1x"], "I")
    with pytest.raises(MaskError, match="two-dimensional"):
        as_mask(np.ones(3), "I")
    with pytest.raises(MaskError, match="at least one row"):
        as_mask(np.zeros((0, 2)), "I")
    with pytest.raises(MaskError, match="found nan"):
        as_mask(np.array([[1.0, np.nan]]), "I")
    with pytest.raises(MaskError, match="same length"):
        as_mask(["10", "1"], "J")


def test_shape_errors() -> None:
    with pytest.raises(ShapeError, match="r = 2 columns but J has r = 1"):
        SupportPattern(["10"], ["1"])
    with pytest.raises(ShapeError, match="F\\[0\\] has 4 columns but F\\[1\\] has 2 rows"):
        Chain([KronPattern(1, 2, 2, 2), KronPattern(1, 2, 2, 1)])
    with pytest.raises(ShapeError, match="split 3 must satisfy"):
        families.butterfly(8).split(3)


def test_size_limits() -> None:
    with pytest.raises(SizeLimitError, match="MAX_DENSE_ENTRIES"):
        families.lu(2**14)
    with pytest.raises(SizeLimitError, match="MAX_FACTORS"):
        Chain([KronPattern(1, 1, 1, 1)] * 65)
    with pytest.raises(SizeLimitError, match="MAX_DIM"):
        families.butterfly(2**25)


def test_masks_are_read_only_and_inputs_untouched() -> None:
    I = np.array([[1, 0], [1, 1]], dtype=np.int64)
    before = I.copy()
    P = SupportPattern(I, I)
    np.testing.assert_array_equal(I, before)
    with pytest.raises(ValueError, match="read-only"):
        P.I.indices[0] = 1


def test_structured_split_is_never_materialized() -> None:
    P = families.butterfly_split(2**16, 1)
    # the J side would hold 2^31 ones; the structured pattern answers without it
    assert P.is_structured and P.shape == (2**16, 2**16, 2**16)
    assert P.rows(5).tolist() == [5, 5 + 2**15]
    with pytest.raises(SizeLimitError, match="MAX_EXPLICIT_NNZ"):
        _ = P.J


def test_structured_and_explicit_rank_one_supports_agree() -> None:
    P = families.butterfly(16).split(2)
    E = SupportPattern(P.I, P.J)
    for k in range(P.r):
        np.testing.assert_array_equal(P.rows(k), E.rows(k))
        np.testing.assert_array_equal(P.cols(k), E.cols(k))


def test_family_parameter_errors() -> None:
    with pytest.raises(InvalidInputError, match="power of two"):
        families.butterfly(12)
    with pytest.raises(InvalidInputError, match="order must be"):
        families.butterfly(8, "sideways")
    with pytest.raises(InvalidInputError, match="distinct indices"):
        families.truncated_butterfly(8, [0, 0])
    with pytest.raises(InvalidInputError, match="density"):
        families.random_pattern(3, 3, 3, density=0.0)


def test_families_reference_shapes_and_counts() -> None:
    # theory §4.1, N = 4: B_1 = 1_2 ⊗ I_2, B_2 = I_2 ⊗ 1_2
    chain = families.butterfly(4)
    assert chain.factor_mask(0).toarray().tolist() == [[1, 0, 1, 0], [0, 1, 0, 1],
                                                        [1, 0, 1, 0], [0, 1, 0, 1]]
    assert chain.factor_mask(1).toarray().tolist() == [[1, 1, 0, 0], [1, 1, 0, 0],
                                                        [0, 0, 1, 1], [0, 0, 1, 1]]
    kal = families.kaleidoscope(16, w=2)
    assert kal.n_factors == 16
    # T12: 4 w n log2 n parameters
    assert sum(f.nnz for f in kal.factors) == 4 * 2 * 16 * 4
    for n, ell in [(16, 4), (64, 8), (256, 2), (256, 256)]:
        T = families.truncated_butterfly(n, ell)
        assert T.weights <= T.bound
    assert families.truncated_butterfly(16, 16).weights == 2 * 16 * 4
    assert families.block_diagonal([[2, 3, 1], [1, 1, 2]]).I_dense().tolist() == [
        [1, 0, 0], [1, 0, 0], [0, 1, 1]]

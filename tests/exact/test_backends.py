"""The exact-matrix layer: flint and sympy agree on every routine, floats are refused."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.exact._backend import (
    Field,
    field_of,

    get_backend,
    parse_scalar,
)
from fsmf_check.model.cyclotomic import (
    CyclotomicNumber,
    cyclotomic_poly,
    parse_cyclotomic,
)
from fsmf_check.model.numbers import GaussianRational, format_exact

BACKENDS = ["flint", "sympy"]
FIELDS = [1, 4, 8, 12]


def _random_entries(draw, m: int, n: int, N: int) -> list[list[object]]:
    rows = []
    for _ in range(m):
        row = []
        for _ in range(n):
            kind = draw(st.integers(0, 3))
            c = Fraction(draw(st.integers(-4, 4)), draw(st.integers(1, 3)))
            if kind == 0 or N == 1:
                row.append(c)
            else:
                row.append(CyclotomicNumber.root_of_unity(N, draw(st.integers(0, N - 1)), c))
        rows.append(row)
    return rows


@st.composite
def exact_matrices(draw):
    N = draw(st.sampled_from(FIELDS))
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rows = _random_entries(draw, m, n, N)
    if draw(st.booleans()) and m > 1:  # force rank deficiency sometimes
        rows[-1] = list(rows[0])
    return N, rows


@settings(max_examples=25, deadline=None)
@given(exact_matrices())
def test_flint_and_sympy_agree(data):
    N, rows = data
    res = {}
    for name in BACKENDS:
        bk = get_backend(name, Field(N))
        M = bk.array(rows)
        R, piv = bk.rref(M)
        ns = bk.nullspace(M)
        square = M[:, : min(M.shape)][: min(M.shape)]
        res[name] = (bk.rank(M), piv, bk.to_public_array(R), ns.shape,
                     bk.to_public(bk.det(square)),
                     bk.to_public_array(bk.matmul(M, M.T.copy())))
        # nullspace vectors are killed by M; solve reproduces the right-hand side
        assert bk.equal(bk.matmul(M, ns), bk.zeros(M.shape[0], ns.shape[1]))
        rhs = bk.matmul(M, bk.array([[1]] * M.shape[1]))
        X = bk.solve(M, rhs)
        assert X is not None and bk.equal(bk.matmul(M, X), rhs)
    assert res["flint"] == res["sympy"]


@pytest.mark.parametrize("name", BACKENDS)
def test_inconsistent_solve_returns_none(name):
    bk = get_backend(name, Field(1))
    assert bk.solve(bk.array([[1, 1], [1, 1]]), bk.array([[1], [2]])) is None


@pytest.mark.parametrize("name", BACKENDS)
def test_gaussian_arithmetic(name):
    bk = get_backend(name, Field(4))
    a = bk.scalar(GaussianRational(Fraction(1), Fraction(2)))
    b = bk.scalar(GaussianRational(Fraction(3), Fraction(-1)))
    assert bk.to_public(a * b) == GaussianRational(Fraction(5), Fraction(5))
    assert bk.to_public(a / b) == GaussianRational(Fraction(1, 10), Fraction(7, 10))


@pytest.mark.parametrize("name", BACKENDS)
def test_float_entries_are_refused(name):
    bk = get_backend(name, Field(1))
    with pytest.raises(ExactnessError, match="float"):
        bk.array([[0.5, 1]])
    with pytest.raises(ExactnessError, match="float64"):
        bk.array(np.eye(2))


@pytest.mark.parametrize("name", BACKENDS)
def test_entry_outside_the_field_is_refused(name):
    bk = get_backend(name, Field(1))
    with pytest.raises(ExactnessError, match="does not lie in Q"):
        bk.scalar(GaussianRational(Fraction(0), Fraction(1)))


def test_cyclotomic_strings_round_trip():
    z = CyclotomicNumber.root_of_unity(12, 1)
    for e in range(24):
        w = z ** e
        assert parse_cyclotomic(12, w.to_exact_string()) == w
    assert cyclotomic_poly(12) == (1, 0, -1, 0, 1)
    assert (z ** 6).to_exact_string() == "-1"
    assert parse_scalar("z^3 + 1/2", Field(8)) == CyclotomicNumber(8, [Fraction(1, 2), 0, 0, 1])
    assert format_exact(Fraction(-3, 6)) == "-1/2"


def test_bad_numbers():
    with pytest.raises(ExactnessError, match="decimal"):
        parse_cyclotomic(8, "0.5*z")
    with pytest.raises(InvalidInputError, match="not c, z"):
        parse_cyclotomic(8, "2*w")
    with pytest.raises(ExactnessError, match="float"):
        field_of(1.5)
    with pytest.raises(InvalidInputError, match="backend"):
        get_backend("numpy")


def test_multimodular_rank_matches_exact_rank():
    # 210 x 210 of rank 100: above the modular threshold, checked against fmpz_mat.rank
    bk = get_backend("flint", Field(1))
    rng = np.random.default_rng(3)
    U = rng.integers(-5, 6, size=(210, 100))
    V = rng.integers(-5, 6, size=(100, 210))
    M = bk.array((U @ V).astype(object))
    from fsmf_check.exact import _flint

    Z = bk._qmat(M).numer_denom()[0]
    assert _flint._multimodular_rank(Z) == Z.rank() == 100
    assert bk.rank(M) == 100

"""Two-factor global optimum by block SVDs (T2, T3): values, supports, optimality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.model import families
from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.inputs.cases import load_case
from fsmf_check.errors import NonFiniteError, NotApplicableError, ShapeError
from fsmf_check.numeric import closed_form_value, solve_tractable
from fsmf_check.model.supports import SupportPattern
from tests.strategies import two_factor_masks

CASES = Path(__file__).resolve().parents[2] / "cases"


def _loss(A: np.ndarray, X: np.ndarray, Y: np.ndarray) -> float:
    return float(np.sum(np.abs(A - X @ Y.T) ** 2))


def _independent_value(I: np.ndarray, J: np.ndarray, A: np.ndarray) -> float:
    """Compute the closed form of T2 by brute force (group columns in Python)."""
    classes: dict[tuple[bytes, bytes], int] = {}
    for k in range(I.shape[1]):
        if I[:, k].any() and J[:, k].any():
            key = (I[:, k].tobytes(), J[:, k].tobytes())
            classes[key] = classes.get(key, 0) + 1
    covered = np.zeros(A.shape, dtype=bool)
    total = 0.0
    for (ib, jb), size in classes.items():
        R = np.flatnonzero(np.frombuffer(ib, dtype=I.dtype))
        C = np.flatnonzero(np.frombuffer(jb, dtype=J.dtype))
        covered[np.ix_(R, C)] = True
        s = np.linalg.svd(A[np.ix_(R, C)], compute_uv=False)
        total += float(np.sum(s[size:] ** 2))
    return total + float(np.sum(np.abs(A[~covered]) ** 2))


def _assert_in_support(sol, I: np.ndarray, J: np.ndarray) -> None:
    assert np.all((sol.X.toarray() != 0) <= (I != 0))
    assert np.all((sol.Y.toarray() != 0) <= (J != 0))


def test_e1_value_13() -> None:
    P = SupportPattern(["10", "01"], ["10", "01"])
    sol = solve_tractable(P, [[1, 2], [3, 4]])
    # closed form 2^2 + 3^2 = 13 (uncovered off-diagonal entries), to rounding
    assert sol.objective == pytest.approx(13.0, abs=1e-12)
    assert sol.residual == pytest.approx(13.0, abs=1e-12)
    assert (sol.outside_mass, sol.discarded) == (13.0, 0.0)
    np.testing.assert_allclose(sol.product(), [[1, 0], [0, 4]], atol=1e-14)
    assert (sol.theorem, sol.rule) == ("T2", "disjoint-or-identical")


def test_e2_value_5_eckart_young() -> None:
    P = SupportPattern(["1", "1", "1"], ["1", "1", "1"])
    sol = solve_tractable(P, np.diag([3.0, 2.0, 1.0]))
    # sigma_2^2 + sigma_3^2 = 4 + 1
    assert sol.objective == pytest.approx(5.0, abs=1e-12)
    assert sol.residual == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(sol.product(), np.diag([3.0, 0, 0]), atol=1e-12)


def test_e3_complete_class_is_exact() -> None:
    P = SupportPattern(["11", "11"], ["11", "11"])
    A = np.array([[1.0, 2.0], [3.0, 5.0]])
    sol = solve_tractable(P, A)
    assert sol.objective == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(sol.product(), A, atol=1e-13)


def test_lu_refused_naming_the_pair() -> None:
    with pytest.raises(NotApplicableError, match=r"S_0 and S_1 overlap at \(1, 1\)"):
        solve_tractable(families.lu(2), np.eye(2))


def test_bad_targets() -> None:
    P = SupportPattern(["10", "01"], ["10", "01"])
    with pytest.raises(ShapeError, match="shape 3 x 2"):
        solve_tractable(P, np.ones((3, 2)))
    with pytest.raises(NonFiniteError, match="non-finite"):
        solve_tractable(P, [[1.0, np.nan], [0.0, 1.0]])


@settings(max_examples=40, deadline=None)
@given(two_factor_masks(max_m=6, max_n=6, max_r=5), st.integers(0, 2**32 - 1), st.booleans())
def test_random_patterns_closed_form_and_no_better_point(masks, seed, cplx) -> None:
    I, J = masks
    P = SupportPattern(I, J)
    try:
        res = decide_tractability(P)
    except NotApplicableError:
        return  # every support empty: nothing to solve
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((P.m, P.n))
    if cplx:
        A = A + 1j * rng.standard_normal((P.m, P.n))
    if not res.tractable:
        with pytest.raises(NotApplicableError):
            solve_tractable(P, A, res)
        return
    sol = solve_tractable(P, A, res)
    _assert_in_support(sol, I, J)
    # rounding-level agreement of closed form, direct residual and independent references
    tol = 1e-9 * max(1.0, float(np.sum(np.abs(A) ** 2)))
    assert abs(sol.objective - sol.residual) <= tol
    assert abs(sol.objective - closed_form_value(P, A)) <= tol
    if res.rule == "disjoint-or-identical":
        assert abs(sol.objective - _independent_value(I, J, A)) <= tol
    # no random feasible point (nor a perturbation of the optimum) beats it
    for _ in range(20):
        X = rng.standard_normal(I.shape) * I
        Y = rng.standard_normal(J.shape) * J
        assert _loss(A, X, Y) >= sol.objective - tol
    X0, Y0 = sol.X.toarray(), sol.Y.toarray()
    for eps in (1e-3, 1e-1):
        X = X0 + eps * rng.standard_normal(I.shape) * I
        Y = Y0 + eps * rng.standard_normal(J.shape) * J
        assert _loss(A, X, Y) >= sol.objective - tol


@pytest.mark.parametrize("name", ["cec-two-rounds", "cec-with-residual-block", "closed-cec-2x2"])
def test_cec_cases_optimal(name: str) -> None:
    case = load_case(CASES / f"{name}.toml")
    P = case.pattern
    res = decide_tractability(P)
    assert res.rule == "cec-reduction"
    rng = np.random.default_rng(7)
    I, J = P.I_dense(), P.J_dense()
    for trial in range(3):
        A = rng.standard_normal((P.m, P.n))
        if trial == 2:
            A = A + 1j * rng.standard_normal((P.m, P.n))
        sol = solve_tractable(P, A, res)
        assert sol.theorem == "T3"
        _assert_in_support(sol, I, J)
        tol = 1e-10 * max(1.0, float(np.sum(np.abs(A) ** 2)))
        assert abs(sol.objective - sol.residual) <= tol
        assert abs(sol.objective - closed_form_value(P, A)) <= tol
        for _ in range(200):
            X = rng.standard_normal(I.shape) * I
            Y = rng.standard_normal(J.shape) * J
            assert _loss(A, X, Y) >= sol.objective - tol


def test_cec_with_residual_block_value() -> None:
    # T3 by hand: T = {0} x {0,1,2}, representative rows {1,2} x cols {0,1,2} rank 1,
    # column 2 covers (3,3); uncovered: row 3 cols 0..2 and rows 0..2 col 3.
    case = load_case(CASES / "cec-with-residual-block.toml")
    A = np.arange(16.0).reshape(4, 4) ** 1.5
    sol = solve_tractable(case.pattern, A)
    s = np.linalg.svd(A[1:3, 0:3], compute_uv=False)
    expected = float(s[1] ** 2 + np.sum(A[3, 0:3] ** 2) + np.sum(A[0:3, 3] ** 2))
    assert sol.objective == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n,split", [(8, 1), (16, 2), (32, 3)])
@pytest.mark.parametrize("cplx", [False, True])
def test_kronecker_path_equals_explicit(n: int, split: int, cplx: bool) -> None:
    P = families.butterfly_split(n, split)
    E = SupportPattern(P.I, P.J)
    rng = np.random.default_rng(n + split)
    A = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0)
    a, b = solve_tractable(P, A), solve_tractable(E, A)
    assert a.objective == pytest.approx(b.objective, rel=1e-12)
    assert a.residual == pytest.approx(a.objective, rel=1e-10)
    np.testing.assert_allclose(a.product(), b.product(), atol=1e-12)
    _assert_in_support(a, P.I.toarray(), P.J.toarray())


def test_complex_uses_plain_transpose() -> None:
    # X Y^T (plain transpose) must reproduce a complex rank-one block exactly (theory §1)
    P = SupportPattern(["1", "1"], ["1", "1", "1"])
    x = np.array([1 + 2j, -1j])
    y = np.array([2 - 1j, 1j, 3.0])
    sol = solve_tractable(P, np.outer(x, y))
    np.testing.assert_allclose(sol.product(), np.outer(x, y), atol=1e-13)
    assert sol.objective == pytest.approx(0.0, abs=1e-24)


def test_rank2_monarch_pair_planted() -> None:
    chain = families.monarch(2, 3, 4, 5, rank=2)
    P = chain.split(1)
    rng = np.random.default_rng(3)
    M0, M1 = chain.factor_mask(0), chain.factor_mask(1)
    L = sp.csr_array(M0.multiply(rng.standard_normal(M0.shape)))
    R = sp.csr_array(M1.multiply(rng.standard_normal(M1.shape)))
    A = (L @ R).toarray()
    sol = solve_tractable(P, A)
    # planted product: optimum 0 up to rounding
    assert np.sqrt(sol.residual) <= 1e-12 * np.linalg.norm(A)

"""Landscape counterexamples (T10): E7 exactly, E8 and the LU divergence numerically."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.errors import ShapeError
from fsmf_check.landscape.search import (
    E7_POINT,
    E7_TARGET,
    e7_certificate,
    e8_example,
    lu_divergence,
    network_gradient,
    network_hessian,
    network_loss,
    search_local_minima,
)


def _e7_loss_exact(w):
    """Independent exact E7 loss with Fractions (no sympy, no shared code)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = w
    P = [[w1 * w5, w1 * w6, 0], [w2 * w5, w2 * w6 + w3 * w7, w3 * w8], [0, w4 * w7, w4 * w8]]
    return Fraction(1, 2) * sum((Fraction(E7_TARGET[i][j]) - P[i][j]) ** 2
                                for i in range(3) for j in range(3))


def test_e7_exact_values():
    cert = e7_certificate()
    assert cert.loss == "8" and set(cert.gradient) == {"0"}
    assert _e7_loss_exact([Fraction(v) for v in E7_POINT]) == 8
    # independent exact gradient: central difference of a quartic with step h is exact up to
    # an h^2 term; use the symbolic derivative instead
    w = sympy.symbols("w1:9")
    L = _e7_loss_exact(w)
    grad = [sympy.diff(L, v).subs(dict(zip(w, E7_POINT, strict=True))) for v in w]
    assert grad == [0] * 8
    assert cert.better_loss == "9/50"
    s10 = sympy.sqrt(10)
    better = dict(zip(w, (s10 / 5, s10, 0, 2, s10 / 5, s10, 0, 2), strict=True))
    assert sympy.nsimplify(sympy.expand(L.subs(better))) == sympy.Rational(9, 50)
    assert cert.is_spurious_local_minimum
    assert cert.numeric == ()
    d = cert.to_dict()
    assert d["exact"] is True and d["verdict"] == "spurious-local-minimum"


def test_e7_hessian_kernel_is_the_scalings():
    cert = e7_certificate()
    H = sympy.Matrix([[sympy.Rational(x) for x in row] for row in cert.hessian])
    assert H == H.T
    for v in cert.scaling_directions:
        assert H * sympy.Matrix([sympy.Rational(x) for x in v]) == sympy.zeros(8, 1)
    assert H.rank() == 6
    lam = sympy.Symbol("x")
    assert sympy.expand(H.charpoly(lam).as_expr() - sympy.sympify(cert.charpoly)) == 0
    # numeric cross-check (float, tolerance 1e-9): PSD with exactly two zero eigenvalues
    ev = np.linalg.eigvalsh(np.array(H.tolist(), dtype=float))
    assert np.sum(np.abs(ev) < 1e-9) == 2 and ev.min() > -1e-9


_small = st.fractions(min_value=-3, max_value=3, max_denominator=50)
_tiny = st.fractions(min_value=Fraction(-1, 5), max_value=Fraction(1, 5), max_denominator=50)


@given(st.tuples(_small, _small, _tiny, _small, _small, _small, _tiny, _small))
def test_e7_expansion_inequality_holds_exactly(delta):
    w = [Fraction(v) + dv for v, dv in zip(E7_POINT, delta, strict=True)]
    L = _e7_loss_exact(w)
    d3, d4, d7, d8 = delta[2], delta[3], delta[6], delta[7]
    assert 2 * L >= 2 * ((2 + d3) * (3 + d7) - 4) * abs(d4 * d8) + 16
    assert L >= 8


def test_network_hessian_matches_finite_differences():
    rng = np.random.default_rng(0)
    MU = np.array([[1, 0], [1, 1], [0, 1]], dtype=float)
    MV = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], dtype=float)
    Y = rng.standard_normal((3, 5))
    X = rng.standard_normal((4, 5))
    U = rng.standard_normal((3, 2)) * MU
    V = rng.standard_normal((2, 4)) * MV
    H = network_hessian(Y, X, U, V, MU, MV)
    theta = np.concatenate([U[MU.astype(bool)], V[MV.astype(bool)]])

    def grad(th):
        U2, V2 = np.zeros_like(U), np.zeros_like(V)
        U2[MU.astype(bool)] = th[: int(MU.sum())]
        V2[MV.astype(bool)] = th[int(MU.sum()):]
        return network_gradient(Y, X, U2, V2, MU, MV)

    h = 1e-6
    fd = np.array([(grad(theta + h * e) - grad(theta - h * e)) / (2 * h)
                   for e in np.eye(theta.size)]).T
    # central differences of a cubic gradient: error O(h^2) ~ 1e-11; tolerance 1e-6
    np.testing.assert_allclose(H, fd, atol=1e-6)


def test_e8_example_has_a_spurious_local_minimum():
    res = e8_example(n_starts=12)
    assert len(res.minima) == 2
    low, high = res.minima
    np.testing.assert_allclose([low.loss, high.loss], [0.6062694603777, 0.6213318634295],
                               rtol=1e-9)  # documented values, float64 reproducibility
    for mn in res.minima:
        assert mn.grad_norm <= 1e-8
        assert mn.n_zero_eigenvalues == mn.symmetry_dimension == 2
        assert mn.is_local_minimum and min(mn.hessian_eigenvalues[2:]) > 0.1
    assert res.spurious == (high,)
    d = res.to_dict()
    assert d["exact"] is False and d["tolerances"]["grad_norm"] == 1e-8
    assert d["inputs"]["seed"] == 10


def test_search_on_dto_pattern_finds_only_the_global_minimum():
    # a DTO FSMF instance (X = I, one full class) has no spurious local minima (T10)
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((4, 3))
    res = search_local_minima(Y, np.eye(3), np.ones((4, 1)), np.ones((1, 3)), n_starts=6)
    assert len(res.minima) == 1 and res.spurious == ()
    s = np.linalg.svd(Y, compute_uv=False)
    np.testing.assert_allclose(res.minima[0].loss, 0.5 * np.sum(s[1:] ** 2), rtol=1e-9)


def test_lu_divergence():
    res = lu_divergence(steps=5000, record=5)
    assert all(a > b for a, b in zip(res.losses, res.losses[1:], strict=False))
    assert res.norms[-1] > 2 * res.norms[0]
    assert res.losses[-1] < 0.02
    assert res.to_dict()["verdict"] == "diverges"


def test_bad_network_input():
    with pytest.raises(ShapeError, match="network shapes disagree"):
        search_local_minima(np.ones((2, 2)), np.eye(3), np.ones((2, 1)), np.ones((1, 2)))
    assert network_loss(np.eye(2), np.eye(2), np.zeros((2, 1)), np.zeros((1, 2))) == 1.0

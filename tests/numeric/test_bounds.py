"""Rigorous T9 bounds (T9, docs/numeric-bounds.md): rounding never fakes a lower bound
and never breaks an upper bound.

* exact butterfly products (Hadamard, bit-reversed DFT, integer random butterflies) never get
  a positive lower bound on the error of the best product;
* on noisy inputs the enclosures contain the level errors recomputed by LAPACK's SVD, the
  error upper bound contains the error of the computed factors recomputed in exact rational
  arithmetic, and the T9 upper bound is never below it (hundreds of seeds, small N).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from fsmf_check.commands.solve import butterfly_matrix
from fsmf_check.inputs.matrix_specs import dft, hadamard, random_butterfly
from fsmf_check.model import families
from fsmf_check.numeric._levels import level_enclosure, level_margin
from fsmf_check.numeric.hierarchical import hierarchical, level_error_bounds

SIZES = (4, 8, 16, 32, 64, 128, 256)


def _svd_level_errors(A: np.ndarray) -> np.ndarray:
    """E_l of the standard butterfly by a full SVD per level block (independent recomputation)."""
    n = A.shape[0]
    L = n.bit_length() - 1
    out = []
    for s in range(1, L):
        b1, c2 = 2**s, n // 2**s
        B = A.reshape(b1, c2, b1, c2).transpose(1, 2, 0, 3)  # (e, f, b1, c2)
        sv = np.linalg.svd(B, compute_uv=False)
        out.append(np.sqrt((sv[..., 1:] ** 2).sum()))
    return np.array(out)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["hadamard", "dft-bitrev", "integer-butterfly"])
def test_exact_products_never_get_a_positive_lower_bound(n: int, kind: str) -> None:
    chain = families.butterfly(n)
    if kind == "hadamard":
        A = hadamard(n)
    elif kind == "dft-bitrev":
        A = dft(n, "bitrev")
    else:
        A = random_butterfly(n, seed=n, entries="integer").A
    est, lo, hi = level_error_bounds(A, chain)
    assert lo.tolist() == [0.0] * (chain.n_factors - 1)
    assert (hi >= est).all() and (hi >= _svd_level_errors(A)).all()
    res = hierarchical(A, chain)
    assert res.lower_bound == 0.0
    assert res.bound_holds is True
    assert res.error <= res.error_upper  # type: ignore[operator]
    assert res.error <= res.bound  # type: ignore[operator]


@pytest.mark.parametrize("spec", ["hadamard:256", "dft:256", "random-butterfly:256"])
def test_cli_json_exact_products_lower_bound_zero(spec: str) -> None:
    out = butterfly_matrix(spec, bitrev_columns=spec.startswith("dft"))
    s = out.results["solve"]
    assert s["lower_bound"] == 0.0 and s["bound_holds"] is True
    assert s["bound"] >= s["bound_estimate"] and s["bound_margin"] >= 0
    assert "u = 2^-53" in s["rounding_model"]


def _exact_error(A: np.ndarray, res) -> float:
    """||A - F[0] ... F[L-1]||_F of the computed float factors, in exact rational arithmetic."""
    mats = [res.factors.factor_sparse(i).toarray() for i in range(res.factors.n_factors)]
    P = [[Fraction(float(x)) for x in row] for row in mats[0]]
    for M in mats[1:]:
        Mf = [[Fraction(float(x)) for x in row] for row in M]
        P = [[sum((P[i][k] * Mf[k][j] for k in range(len(Mf))), Fraction(0))
              for j in range(len(Mf[0]))] for i in range(len(P))]
    tot = sum((Fraction(float(A[i, j])) - P[i][j]) ** 2
              for i in range(A.shape[0]) for j in range(A.shape[1]))
    return float(tot) ** 0.5


@pytest.mark.parametrize("block", range(4))
def test_noisy_inputs_bounds_contain_recomputed_values(block: int) -> None:
    """100 seeds per block (400 in all) at N = 8 and 16, noise from 1e-14 to 1e-1."""
    noises = (1e-14, 1e-10, 1e-6, 1e-3, 1e-1)
    for seed in range(block * 100, block * 100 + 100):
        n = 8 if seed % 2 else 16
        noise = noises[seed % len(noises)]
        A = random_butterfly(n, seed=seed, noise=noise).A
        chain = families.butterfly(n)
        res = hierarchical(A, chain)
        E_svd = _svd_level_errors(A)
        assert (res.level_errors_lower <= E_svd).all(), (seed, noise)
        assert (E_svd <= res.level_errors_upper).all(), (seed, noise)
        assert res.bound_holds is True
        assert res.error <= res.bound
        if n == 8 and seed % 10 == 1:
            err = _exact_error(A, res)
            assert err <= res.error_upper, (seed, noise)
            assert err <= res.bound, (seed, noise)


def test_complex_noisy_enclosure_contains_svd_value() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        B = rng.standard_normal((6, 3, 9)) + 1j * rng.standard_normal((6, 3, 9))
        B[:, 2] = B[:, 0] * (1 + 1e-9j)
        enc = level_enclosure(B, 2)
        sv = np.linalg.svd(B, compute_uv=False)
        exact = np.sqrt((sv[:, 2:] ** 2).sum())
        assert enc.lower <= exact <= enc.upper


def test_margin_scales_with_mass_and_block_side() -> None:
    small = level_margin((16, 2, 8), 1, False, 1.0, 1.0)
    assert level_margin((16, 2, 8), 1, False, 2.0, 2.0) == pytest.approx(2 * small)
    assert level_margin((16, 8, 8), 1, False, 1.0, 1.0) > small
    assert level_margin((16, 2, 8), 2, False, 1.0, 1.0) < small  # nothing discarded


def test_progress_callback_counts_every_step() -> None:
    calls: list[tuple[int, int, str]] = []
    butterfly_matrix("hadamard:32", progress=lambda d, t, m: calls.append((d, t, m)))
    # 4 splits of the left tree + 4 level errors, in order, ending at total
    assert [c[0] for c in calls] == list(range(1, 9)) and {c[1] for c in calls} == {8}
    assert calls[0][2].startswith("split 1/4") and "level error" in calls[-1][2]


def test_no_progress_bar_without_a_terminal_or_with_json_quiet() -> None:
    from fsmf_check import cli

    assert cli._progress("butterfly", True, False) is None
    assert cli._progress("butterfly", False, True) is None
    assert cli._progress("butterfly", False, False) is None  # pytest's stderr is no terminal

r"""Level-split errors ``E_l`` with rigorous floating-point enclosures (T9).

For a chainable Kronecker split of rank ``r`` the level error is
``E_l^2 = outside + sum_blocks sum_{i > r} lambda_i(G_b)`` with ``G_b`` the Gram matrix of the
short side (``k = min(p, q)``) of block ``b`` (``p x q``). One pass per level computes, per
cache-sized chunk of blocks (a contiguous copy of a few MB, never of the whole matrix), the
Gram matrices by one batched product and their eigenvalues only (``eigvalsh``: no
eigenvectors, no residual); the chunks are shared by two threads.

Rounding model (docs/numeric-bounds.md). IEEE double, unit roundoff ``u = 2^-53``,
``gamma_n = n u / (1 - n u)``; a dot product of length ``n`` has error at most
``gamma_n |x|^T |y|`` (sums in any order); complex products count as ``n + 2``. The computed
Gram matrix (made exactly Hermitian by averaging) is ``G + dG`` with
``||dG||_2 <= ||dG||_F <= gamma_{q+4} s_b``, ``s_b = ||B||_F^2``; LAPACK's symmetric
eigensolver returns the exact eigenvalues of ``G + dG + dE`` with
``||dE||_2 <= C_EIG k u ||G + dG||_2`` (LAPACK Users' Guide §4.7, backward stability; the
constant ``C_EIG = 16`` is our stated assumption on its "modest function of n"). By Weyl and
Ky Fan, the sum of the ``k - r`` smallest eigenvalues moves by at most
``(k - r) (||dG||_2 + ||dE||_2)``. Summation errors of the per-block and per-level sums are
added with ``gamma_k`` and ``gamma_{#blocks}``; the mass outside the root support with
``gamma_{#entries}``. The enclosure ``lo_l <= E_l <= hi_l`` is then rigorous under this model:
exact products get ``lo_l = 0`` and the T9 upper bound cannot fail through rounding.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["LevelEnclosure", "level_enclosure", "level_margin", "ROUNDING_MODEL", "C_EIG",
           "UNIT_ROUNDOFF",
           "gamma"]

#: Unit roundoff of IEEE double precision.
UNIT_ROUNDOFF = 2.0**-53
#: Stated constant of the backward error of LAPACK's symmetric eigensolver (``C_EIG k u``).
C_EIG = 16.0
#: One-line description of the rounding model, reported in the JSON output.
ROUNDING_MODEL = (
    "IEEE double, u = 2^-53, gamma_n = n u / (1 - n u): dot products of length n err by at "
    "most gamma_n |x|^T |y|; Gram matrices of the level blocks err by gamma_{q+4} ||B||_F^2; "
    "LAPACK eigvalsh is backward stable with ||dE||_2 <= 16 k u ||G||_2 (stated constant); "
    "Weyl and Ky Fan bound the discarded eigenvalue sums; sums add gamma_n; "
    "see docs/numeric-bounds.md")

#: Entries per chunk (cache-sized contiguous copy of the blocks).
_CHUNK_ENTRIES = 1 << 17


def gamma(n: float) -> float:
    """``gamma_n = n u / (1 - n u)`` (Higham, Accuracy and Stability, §3.1).

    Examples
    --------
    >>> gamma(1) > 2.0**-53
    True
    """
    nu = n * UNIT_ROUNDOFF
    if nu >= 0.5:
        return float("inf")
    return nu / (1.0 - nu)


@dataclass(frozen=True, slots=True)
class LevelEnclosure:
    """Estimate and rigorous enclosure ``lower <= E_l <= upper`` of one level error."""

    estimate: float
    lower: float
    upper: float
    margin_sq: float


def _chunks(shape: tuple[int, ...]) -> tuple[int, list[slice]]:
    """Axis of the batch to cut and its slices (chunks of about ``_CHUNK_ENTRIES`` entries)."""
    batch = shape[:-2]
    ax = int(np.argmax(batch))
    per = int(np.prod(shape)) // max(batch[ax], 1)
    step = max(1, _CHUNK_ENTRIES // max(per, 1))
    return ax, [slice(i, min(batch[ax], i + step)) for i in range(0, batch[ax], step)]


def _chunk_sums(B: np.ndarray, r: int) -> tuple[float, float, float]:
    """``(sum of discarded eigenvalues, sum of |eigenvalues|, sum of ||B_b||_F^2)`` of a chunk."""
    p, q = B.shape[-2:]
    Bc = np.ascontiguousarray(B).reshape(-1, p, q)
    BH = np.swapaxes(Bc.conj(), -1, -2)
    G = np.matmul(Bc, BH) if p <= q else np.matmul(BH, Bc)
    G = (G + np.swapaxes(G.conj(), -1, -2)) * 0.5
    lam = np.linalg.eigvalsh(G)  # ascending
    k = lam.shape[-1]
    disc = float(lam[:, : max(k - r, 0)].sum())
    absum = float(np.abs(lam).sum())
    flat = Bc.reshape(-1)
    s = float(np.vdot(flat, flat).real)
    return disc, absum, s


def level_margin(shape: tuple[int, ...], r: int, complex_: bool, s_tot: float, absum: float,
                 n_parts: int = 1, outside_margin: float = 0.0) -> float:
    """Bound on ``|computed E^2 - E^2|`` for a level of blocks ``shape`` (module doc).

    ``s_tot`` is the computed ``sum_b ||B_b||_F^2``, ``absum`` the computed sum of the moduli
    of all Gram eigenvalues (``s_tot`` may stand for it a priori: they agree to rounding).

    Examples
    --------
    >>> 0 < level_margin((8, 2, 4), 1, False, 1.0, 1.0) < 1e-13
    True
    """
    p, q = shape[-2:]
    k = min(p, q)
    nb = int(np.prod(shape[:-2]))
    s_up = s_tot * (1 + gamma(p * q * nb + 2))
    per_block = max(k - r, 0) * (gamma(max(p, q)) + gamma(4 if complex_ else 0) + gamma(4)
                                 + C_EIG * k * UNIT_ROUNDOFF) * (1 + gamma(max(p, q) + 4))
    n_terms = nb * k + n_parts + 2
    return (per_block * s_up + gamma(n_terms) * absum + outside_margin) * (1 + gamma(n_terms))


def level_enclosure(B: np.ndarray, r: int, outside: float = 0.0, outside_margin: float = 0.0,
                    workers: int | None = None) -> LevelEnclosure:
    r"""Enclosure of ``E = sqrt(outside + sum_b sum_{i>r} sigma_i(B_b)^2)`` for a block stack.

    ``B`` is a (strided) stack of shape ``(..., p, q)``, ``r`` the truncation rank, ``outside``
    the computed squared mass outside the root support and ``outside_margin`` a bound on its
    rounding error.

    Notes
    -----
    T9 (level errors), T2 (Eckart-Young per block). Rounding model in the module doc.
    O(#blocks * p * q * k) flops for the Gram products plus O(#blocks * k^3) for eigvalsh.

    Examples
    --------
    >>> B = np.array([[[3.0, 0.0], [0.0, 1.0]]])
    >>> enc = level_enclosure(B, 1)
    >>> enc.estimate, enc.lower <= 1.0 <= enc.upper
    (1.0, True)
    >>> level_enclosure(np.ones((4, 2, 8)), 1).lower
    0.0
    """
    ax, slices = _chunks(B.shape)
    index = [slice(None)] * B.ndim

    def work(sl: slice) -> tuple[float, float, float]:
        idx = list(index)
        idx[ax] = sl
        return _chunk_sums(B[tuple(idx)], r)

    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if n_workers > 1 and len(slices) > 1:
        from concurrent.futures import ThreadPoolExecutor  # stdlib, loads logging: on use only

        with ThreadPoolExecutor(n_workers) as pool:
            parts = list(pool.map(work, slices))
    else:
        parts = [work(sl) for sl in slices]
    disc = sum(pt[0] for pt in parts)
    absum = sum(pt[1] for pt in parts)
    s_tot = sum(pt[2] for pt in parts)
    margin = level_margin(B.shape, r, np.iscomplexobj(B), s_tot, absum, len(parts),
                          outside_margin)
    est_sq = disc + max(outside, 0.0)
    lower = np.sqrt(max(est_sq - margin, 0.0)) * (1 - 4 * UNIT_ROUNDOFF)
    upper = np.sqrt(max(est_sq + margin, 0.0)) * (1 + 4 * UNIT_ROUNDOFF)
    return LevelEnclosure(float(np.sqrt(max(est_sq, 0.0))), float(lower), float(upper),
                          float(margin))

r"""Level-split errors ``E_l`` with proven floating-point enclosures (T9).

For a chainable Kronecker split of rank ``r`` the level error is
``E_l^2 = outside + sum_blocks sum_{i > r} lambda_i(G_b)`` with ``G_b`` the Gram matrix of the
short side (``k = min(p, q)``) of block ``b`` (``p x q``). One pass per level computes, per
cache-sized chunk of blocks (a contiguous copy of a few MB, never of the whole matrix), the
Gram matrices by one batched product and verified enclosures of their discarded eigenvalue
sums; the chunks are shared by two threads.

Rounding model (docs/numeric-bounds.md, "The model"): the eigensolver is NOT trusted. Its
output ``(lambda, V)`` is checked a posteriori with floating-point arithmetic whose rounding
errors are bounded by Higham's ``gamma_n = n u / (1 - n u)``, ``u = 2^-53``:

* a chunk whose largest entry is outside ``[2^-60, 2^60]`` is scaled by a power of two
  into ``[1/2, 1)``: no overflow; a multiplication that underflows errs by at most
  ``2^-1075`` absolutely (gradual underflow, additions are exact there), and every such term
  is added explicitly (``_UF``);
* a dot product of length ``n`` evaluated in any order errs by at most ``c_n |x|^T |y|`` with
  ``c_n = gamma_n`` (real) or ``sqrt(2) gamma_{2n}`` (complex: real and imaginary parts are
  real dot products of length ``2n``);
* the computed, exactly Hermitian Gram matrix ``Gh`` is ``G + dG`` with
  ``||dG||_F <= (c_n (1 + u) + u) ||B||_F^2``;
* ``F = Gh - V diag(lambda) V^H`` and ``H = V^H V - I`` are evaluated in floats;
  ``||F||_F <= ||fl(F)||_F / (1 - u) + (c_k (1 + u) + u) (1 + delta) sum |lambda|`` and
  ``delta = ||H||_2 <= ||fl(H)||_F / (1 - u) + (c_k (1 + u) + u) ||V||_F^2``;
* Ostrowski (``delta < 1``): the eigenvalues of ``V diag(lambda) V^H`` are
  ``theta_i lambda_(i)`` (sorted), ``|theta_i - 1| <= delta``; Ky Fan (sums of the ``j``
  smallest eigenvalues are superadditive) and Cauchy-Schwarz: the sum of the ``j = k - r``
  smallest eigenvalues of ``G`` is within ``sqrt(j) (||F||_F + ||dG||_F) + delta sum_{i <= j}
  |lambda_(i)|`` of ``sum_{i <= j} lambda_(i)``;
* every margin is a nonnegative expression evaluated in at most ``D`` operations per term, so
  its exact value is at most the computed one times ``1 + gamma_D``; sums of the signed
  eigenvalues add ``gamma_m`` times the sum of their moduli.

A block whose check fails (``delta >= 1/2``, non-finite output) falls back to the trivial
enclosure ``[0, ||B||_F^2]``. Rank ``r = 1`` (every butterfly level) first tries a cheaper
route without eigendecomposition: ``tail = tr(G) - lambda_1``, a Rayleigh quotient from a few
power steps bounds ``lambda_1`` from below and Temple's inequality from above
(:func:`_temple_route`). Exact products get ``lower = 0`` and the T9 upper bound cannot
fail through rounding; the only assumption left is IEEE double arithmetic with
round-to-nearest and products evaluated as sums of products (no Strassen-like or 3M
schemes).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check.errors import NotApplicableError

if TYPE_CHECKING:
    from fsmf_check.model.supports import SupportPattern

__all__ = ["LevelEnclosure", "level_enclosure", "level_margin", "ROUNDING_MODEL",
           "UNIT_ROUNDOFF", "gamma", "dot_gamma", "split_enclosure"]

#: Unit roundoff of IEEE double precision.
UNIT_ROUNDOFF = 2.0**-53
#: One-line description of the rounding model, reported in the JSON output.
ROUNDING_MODEL = (
    "a-posteriori eigen-check (no trusted eigensolver constant): IEEE double, u = 2^-53, "
    "gamma_n = n u / (1 - n u); dot products of length n err by at most gamma_n |x|^T |y| "
    "(complex: sqrt(2) gamma_2n); blocks scaled by powers of two (underflow allowance 2^-800 "
    "per block); Gram matrices err by gamma_q ||B||_F^2; the computed eigendecomposition "
    "G ~ V diag(lambda) V^H is verified by ||G - V diag(lambda) V^H||_F and ||V^H V - I||_F "
    "evaluated in floats with gamma terms; Ostrowski, Weyl and Ky Fan enclose the discarded "
    "eigenvalue sums (rank 1: verified Rayleigh quotient and Temple bound); "
    "see docs/numeric-bounds.md")

#: Entries per chunk (cache-sized contiguous copy of the blocks).
_CHUNK_ENTRIES = 1 << 17
#: Bound on the absolute error of one underflowing multiplication (``2^-1075``, rounded up to
#: the smallest subnormal ``2^-1074``).
_UF = 2.0**-1074
#: Power steps for the Rayleigh vector of the rank-one route (blocks not converged fall back).
_POWER_STEPS = 4
#: Smallest positive normal double.
_TINY = 2.0**-1022


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


def dot_gamma(n: int, complex_: bool) -> float:
    r"""Relative error factor ``c_n`` of a dot product of length ``n`` (any order).

    Real: ``gamma_n``. Complex: the real and imaginary parts are real dot products of length
    ``2n`` whose absolute terms sum to at most ``|x|^T |y|`` (Cauchy-Schwarz per term), so
    each errs by ``gamma_{2n} |x|^T |y|`` and the modulus by ``sqrt(2)`` times that (valid for
    any summation order and with or without fused multiply-adds).

    Examples
    --------
    >>> dot_gamma(4, False) == gamma(4) and dot_gamma(4, True) > gamma(8)
    True
    """
    return 1.4143 * gamma(2 * n) if complex_ else gamma(n)


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


def _sumsq(X: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Return the sums of squared moduli over ``axes`` (nonnegative terms, no cancellation)."""
    if np.iscomplexobj(X):
        return np.square(X.real).sum(axis=axes) + np.square(X.imag).sum(axis=axes)
    return np.square(X).sum(axis=axes)


@dataclass(frozen=True, slots=True)
class _ChunkSums:
    """Scaled sums of one chunk: the true discarded sum is in ``[disc - rad, disc + rad]``.

    All values are in units of ``2^(-2 e)``: the chunk was multiplied by ``2^e``.
    """

    e: int
    disc: float
    rad: float
    dabs: float
    s: float
    depth: int


def _scale_exponent(Bc: np.ndarray) -> int:
    """``e`` with ``2^e Bc`` safe from overflow and underflow-dominated results (module doc).

    0 (no scaling pass) when the largest real or imaginary part is in ``[2^-60, 2^60]``,
    otherwise the exponent that brings it into ``[1/2, 1)``.
    """
    if Bc.size == 0:
        return 0
    v = Bc.view(np.float64) if np.iscomplexobj(Bc) else Bc
    amax = max(float(v.max()), -float(v.min()))
    if amax == 0 or 2.0**-60 <= amax <= 2.0**60:
        return 0
    return -math.frexp(amax)[1]


def _eigen_route(G: np.ndarray, s_b: np.ndarray, j: int, n: int, cplx: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(S_b, rad_b, dabs_b)`` from a checked eigendecomposition of each ``G_b`` (any ``j``).

    The true sum of the ``j`` smallest eigenvalues of the exact Gram matrix is within
    ``rad_b`` of ``S_b`` (before the final ``1 + gamma_D`` inflation, module doc).
    """
    nb, k = G.shape[0], G.shape[-1]
    u = UNIT_ROUNDOFF
    m_sq = 2 if cplx else 1
    c_n, c_k = dot_gamma(n, cplx), dot_gamma(k, cplx)
    try:
        lam, V = np.linalg.eigh(G)
    except np.linalg.LinAlgError:
        lam = np.full((nb, k), np.nan)
        V = np.full((nb, k, k), np.nan)
    VH = np.swapaxes(V.conj(), -1, -2)
    Fh = G - np.matmul(V * lam[:, None, :], VH)
    Hh = np.matmul(VH, V)
    Hh[:, np.arange(k), np.arange(k)] -= 1.0
    m_f = m_sq * k * k  # real squares in ||.||_F^2 of a k x k block
    low = np.sort(lam, axis=-1)[:, :j]
    S_b = low.sum(axis=1)
    dabs_b = np.abs(low).sum(axis=1)
    tabs_b = np.abs(lam).sum(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        # computed squares err by u relative plus 2^-1075 each (underflow)
        vn_b = _sumsq(V, (1, 2)) + m_f * _UF
        delta = (np.sqrt(_sumsq(Hh, (1, 2)) + m_f * _UF) / (1 - u) + k * k * _UF
                 + (c_k * (1 + u) + u) * vn_b)
        f_b = (np.sqrt(_sumsq(Fh, (1, 2)) + m_f * _UF) / (1 - u) + 4 * k * k * _UF
               + (c_k * (1 + u) + u) * (1 + delta) * tabs_b)
        dG_b = (c_n * (1 + u) + u) * s_b + k * (n + 2) * 2 * _UF
        rad_b = math.sqrt(j) * (f_b + dG_b) + delta * dabs_b
        bad = ~(np.isfinite(rad_b) & np.isfinite(S_b) & (delta < 0.5))
    if bad.any():  # the trivial enclosure [0, ||B_b||_F^2] of a PSD tail
        S_b = np.where(bad, 0.5 * s_b, S_b)
        rad_b = np.where(bad, 0.5 * s_b, rad_b)
        dabs_b = np.where(bad, 0.5 * s_b, dabs_b)
    return S_b, rad_b, dabs_b


def _temple_route(G: np.ndarray, tr_c: np.ndarray, s_b: np.ndarray, n: int, cplx: bool,
                  depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(S_b, rad_b, dabs_b, ok)`` for rank ``r = 1``: Rayleigh quotient and Temple's bound.

    ``tail = tr(G) - lambda_1(G)``. A vector ``x`` from a few power steps gives
    ``rho = x^H G x / x^H x <= lambda_1`` (Rayleigh) and, with ``eta = ||G x - rho x|| / ||x||``
    and any ``beta >= lambda_2`` below ``rho``, ``lambda_1 <= rho + eta^2 / (rho - beta)``
    (Temple: ``(lambda_1 - rho)(rho - beta) <= eta^2``); ``beta`` is the upper bound of the
    tail itself (``lambda_2 <= tail`` for a PSD matrix). Every quantity is evaluated in floats
    with its ``gamma`` and underflow terms (docs/numeric-bounds.md). ``ok`` is False where the
    gap condition fails: those blocks take :func:`_eigen_route`. Cost ``O(k^2)`` per block.
    """
    k = G.shape[-1]
    u = UNIT_ROUNDOFF
    m_sq = 2 if cplx else 1
    c_n, c_k = dot_gamma(n, cplx), dot_gamma(k, cplx)
    inflate = 1 + gamma(depth)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        idx = np.argmax(np.diagonal(G, axis1=1, axis2=2).real, axis=1)
        x = np.take_along_axis(G, idx[:, None, None], axis=2)[:, :, 0]
        for _ in range(_POWER_STEPS):
            x = x / np.abs(x).max(axis=1, keepdims=True)
            x = np.matmul(G, x[:, :, None])[:, :, 0]
        x = x / np.abs(x).max(axis=1, keepdims=True)  # max |x_i| = 1 (to rounding)
        y = np.matmul(G, x[:, :, None])[:, :, 0]
        num = (x.conj() * y).sum(axis=1).real
        nx = _sumsq(x, (1,))
        rho = num / nx
        rc = y - rho[:, None] * x
        rn = np.sqrt(_sumsq(rc, (1,)) + m_sq * k * _UF) * (1 + gamma(m_sq * k + 2))
        axy = (np.abs(x) * np.abs(y)).sum(axis=1) * (1 + gamma(k + 4))
        g_tr = gamma(m_sq * n + k + 2)
        e_tr = 2 * g_tr * tr_c + 2 * k * n * _UF
        dG = (c_n * (1 + u) + u) * s_b + k * (n + 2) * 2 * _UF
        g_f = tr_c * (1 + 2 * g_tr) + dG + 2 * k * n * _UF  # >= ||Gh||_F
        g_nx = gamma(m_sq * k + 2) + 4 * m_sq * k * _UF  # nx >= 1/4
        e_num = c_k * (axy + g_f * nx * (1 + g_nx)) + 4 * m_sq * (k * k + k) * _UF
        e_rho = (e_num / nx) * (1 + 2 * g_nx) + np.abs(rho) * (3 * g_nx + 3 * u)
        e_p = (e_rho + dG) * inflate  # |rho_true - rho_c|
        s_c = tr_c - rho
        # >= the tail >= lambda_2 (also when s_c < 0 by rounding: then the tail <= e_tr + e_p)
        beta = ((np.maximum(s_c, 0.0) + (e_tr + e_p) * inflate) * (1 + 4 * u)
                + 4 * u * np.abs(s_c))
        b_c = beta + e_p
        den = (rho - b_c) * (1 - 8 * u) - 8 * u * b_c  # <= rho_true - beta
        eta = ((rn + 4 * m_sq * k * k * _UF) / np.sqrt(nx) * (1 + g_nx + 2 * u) + c_k * g_f
               + 2 * u * np.abs(rho) + e_p + dG) * inflate
        quad = eta * eta / den
        rad = e_tr + e_p + quad + 2 * u * (tr_c + np.abs(rho))
        # the quadratic term must not dominate (else the power steps have not converged)
        ok = (np.isfinite(rad) & np.isfinite(s_c) & (nx >= 0.25) & (den > 0.25 * rho)
              & (quad <= e_tr + e_p))
    return s_c, rad, np.abs(s_c), ok


def _chunk_sums(B: np.ndarray, r: int) -> _ChunkSums:
    """Enclose the discarded eigenvalue sum of a chunk of blocks, verified (module doc).

    Every rounding error is bounded by ``gamma`` terms and every underflow by an explicit
    absolute term (``2^-1075`` per operation: the ``* _UF`` terms). Rank ``r = 1`` (every
    butterfly level) takes the Rayleigh-Temple route, other ranks and the blocks it cannot
    separate the checked eigendecomposition.
    """
    p, q = B.shape[-2:]
    k, n = min(p, q), max(p, q)
    j = max(k - r, 0)
    Bc = np.ascontiguousarray(B).reshape(-1, p, q)
    nb = Bc.shape[0]
    cplx = bool(np.iscomplexobj(Bc))
    e = _scale_exponent(Bc)
    X = Bc if e == 0 else (np.ldexp(Bc.real, e) + 1j * np.ldexp(Bc.imag, e) if cplx
                           else np.ldexp(Bc, e))
    m_sq = (2 if cplx else 1)  # real squares per entry in a sum of squared moduli
    depth = 2 * m_sq * (n + k * k) + nb + 64
    XH = np.swapaxes(X.conj(), -1, -2)
    G = np.matmul(X, XH) if p <= q else np.matmul(XH, X)
    G = (G + np.swapaxes(G.conj(), -1, -2)) * 0.5  # exactly Hermitian
    # ||B_b||_F^2 = tr(G_b) up to gamma_{2n} (nonnegative terms), underflow k n 2^-1075
    tr_c = np.trace(G, axis1=1, axis2=2).real
    s_b = tr_c * (1 + gamma(m_sq * n + k + 2)) + k * n * _UF
    if e < 0:  # scaling down may round entries to subnormals: Mirsky on 2^e B vs X
        s_b = s_b + (p * q + 1) * 8 * _UF
    s = float(s_b.sum())
    if j == 0:  # nothing discarded: the tail is exactly 0
        return _ChunkSums(e, 0.0, 0.0, 0.0, s, depth)
    if r == 1:
        S_b, rad_b, dabs_b, ok = _temple_route(G, tr_c, s_b, n, cplx, depth)
        if not ok.all():
            rest = ~ok
            S_b[rest], rad_b[rest], dabs_b[rest] = _eigen_route(G[rest], s_b[rest], j, n, cplx)
    else:
        S_b, rad_b, dabs_b = _eigen_route(G, s_b, j, n, cplx)
    if e < 0:
        rad_b = rad_b + 2 * (p * q + 1) * 8 * _UF * (np.sqrt(s_b) + 1)
    return _ChunkSums(e, float(S_b.sum()), float(rad_b.sum()), float(dabs_b.sum()), s, depth)


def level_margin(shape: tuple[int, ...], r: int, complex_: bool, s_tot: float, absum: float,
                 n_parts: int = 1, outside_margin: float = 0.0) -> float:
    """A-priori part of the margin on ``computed E^2`` for a level of blocks ``shape``.

    The rounding of the Gram matrices alone contributes
    ``sqrt(k - r) (c_q (1 + u) + u) s_tot`` to every margin (``s_tot`` the computed
    ``sum_b ||B_b||_F^2``, module doc), to which the eigen-check adds its a-posteriori terms.
    A level whose squared error is provably below this part cannot get a lower bound above it:
    :func:`fsmf_check.numeric.hierarchical` skips it (a heuristic for cost only; the skipped
    level gets the always valid enclosure ``[0, cap]``). ``absum`` bounds the sum of the
    moduli of the discarded eigenvalues (their summation error is added with ``gamma``).

    Examples
    --------
    >>> 0 < level_margin((8, 2, 4), 1, False, 1.0, 1.0) < 1e-14
    True
    """
    p, q = shape[-2:]
    k = min(p, q)
    nb = int(np.prod(shape[:-2]))
    j = max(k - r, 0)
    u = UNIT_ROUNDOFF
    gram = math.sqrt(j) * (dot_gamma(max(p, q), complex_) * (1 + u) + u) * s_tot
    return ((gram + gamma(nb * j + n_parts + 2) * absum * (j > 0) + outside_margin)
            * (1 + gamma(nb + n_parts + 64)))


def _lower_unscaled(x: float, e: int) -> float:
    """``x 2^(-e)`` rounded down (``x >= 0``)."""
    try:
        y = math.ldexp(x, -e)
    except OverflowError:
        return float(np.finfo(float).max)
    return float(np.nextafter(y, 0.0)) if 0 < y < _TINY else y


def _upper_unscaled(x: float, e: int) -> float:
    """``x 2^(-e)`` rounded up (``x >= 0``)."""
    try:
        y = math.ldexp(x, -e)
    except OverflowError:
        return math.inf
    return float(np.nextafter(y, math.inf)) if y < _TINY else y


def _run_chunks(B: np.ndarray, r: int, workers: int | None) -> list[_ChunkSums]:
    """``_chunk_sums`` of the cache-sized chunks of a block stack (two threads by default)."""
    ax, slices = _chunks(B.shape)
    index = [slice(None)] * B.ndim

    def work(sl: slice) -> _ChunkSums:
        idx = list(index)
        idx[ax] = sl
        return _chunk_sums(B[tuple(idx)], r)

    n_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if n_workers > 1 and len(slices) > 1:
        from concurrent.futures import ThreadPoolExecutor  # stdlib, loads logging: on use only

        with ThreadPoolExecutor(n_workers) as pool:
            return list(pool.map(work, slices))
    return [work(sl) for sl in slices]


def _combine(parts: list[_ChunkSums], n_terms: int, outside: float,
             outside_margin: float) -> LevelEnclosure:
    """Enclosure of ``sqrt(outside + sum of the chunks' discarded sums)`` (module doc).

    ``n_terms`` bounds the number of signed eigenvalues summed (their summation error).
    """
    u = UNIT_ROUNDOFF
    if not (math.isfinite(outside) and math.isfinite(outside_margin)):
        return LevelEnclosure(math.inf, 0.0, math.inf, math.inf)
    outside = max(outside, 0.0)
    e = min((pt.e for pt in parts), default=0)  # common scale: that of the largest chunk
    if outside > 0:  # and small enough for the scaled outside mass not to overflow
        e = min(e, -math.frexp(math.sqrt(outside))[1])
    # rescaling to the common exponent only shrinks: exact unless subnormal (2^-1075 each)
    disc = sum(math.ldexp(pt.disc, 2 * (e - pt.e)) for pt in parts)
    dabs = sum(math.ldexp(pt.dabs, 2 * (e - pt.e)) for pt in parts)
    rad = sum(math.ldexp(pt.rad, 2 * (e - pt.e)) + 2.0**-1070 for pt in parts)
    depth = max((pt.depth for pt in parts), default=64) + len(parts) + 8
    out_s = math.ldexp(outside, 2 * e)
    out_m = math.ldexp(outside_margin, 2 * e) + 2.0**-1070
    est_sq = disc + out_s
    margin = ((rad + out_m) * (1 + gamma(depth))
              + gamma(n_terms + len(parts) + 4) * (dabs + out_s)) * (1 + gamma(8))
    lower_s = math.sqrt(max(est_sq - margin, 0.0)) * (1 - 4 * u)
    upper_s = math.sqrt(max(est_sq + margin, 0.0)) * (1 + 4 * u)
    est = _lower_unscaled(math.sqrt(max(est_sq, 0.0)), e)
    try:
        margin_sq = math.ldexp(margin, -2 * e)
    except OverflowError:
        margin_sq = math.inf
    return LevelEnclosure(est, _lower_unscaled(lower_s, e), _upper_unscaled(upper_s, e),
                          margin_sq)


def level_enclosure(B: np.ndarray, r: int, outside: float = 0.0, outside_margin: float = 0.0,
                    workers: int | None = None) -> LevelEnclosure:
    r"""Enclosure of ``E = sqrt(outside + sum_b sum_{i>r} sigma_i(B_b)^2)`` for a block stack.

    ``B`` is a (strided) stack of shape ``(..., p, q)``, ``r`` the truncation rank, ``outside``
    the computed squared mass outside the root support and ``outside_margin`` a bound on its
    rounding error (both unscaled).

    Notes
    -----
    T9 (level errors), T2 (Eckart-Young per block). Rounding model and proof sketch in the
    module doc (docs/numeric-bounds.md in full): the computed eigendecomposition of every Gram
    matrix is verified a posteriori, no eigensolver constant is assumed.
    O(#blocks * p * q * k) flops for the Gram products plus O(#blocks * k^3) for ``eigh`` and
    the two verification products.

    Examples
    --------
    >>> B = np.array([[[3.0, 0.0], [0.0, 1.0]]])
    >>> enc = level_enclosure(B, 1)
    >>> enc.estimate, enc.lower <= 1.0 <= enc.upper
    (1.0, True)
    >>> level_enclosure(np.ones((4, 2, 8)), 1).lower
    0.0
    """
    parts = _run_chunks(B, r, workers)
    n_terms = int(np.prod(B.shape[:-2])) * min(B.shape[-2:])
    return _combine(parts, n_terms, outside, outside_margin)


def split_enclosure(A: np.ndarray, pattern: SupportPattern) -> LevelEnclosure:
    r"""Enclosure of the optimal two-factor error ``sqrt(min ||A - X Y^T||_F^2)`` (T2, T3).

    For a certified (tractable) explicit pattern: the mass outside the covered entries plus,
    per class ``P`` on its rectangle ``A[R_P, C_P]``, the squared singular values beyond
    ``|P|`` (the closed form of :func:`fsmf_check.numeric.tractable.closed_form_value`),
    enclosed as in :func:`level_enclosure`. The complete rectangles of the CEC reduction (T3)
    are reproduced exactly and count as covered.

    Raises
    ------
    NotApplicableError
        If the pattern is not certified (T2/T3).

    Examples
    --------
    >>> from fsmf_check.model.supports import SupportPattern
    >>> enc = split_enclosure(np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                       SupportPattern(["10", "01"], ["10", "01"]))
    >>> round(enc.estimate ** 2, 12), enc.lower <= 13 ** 0.5 <= enc.upper
    (13.0, True)
    """
    from fsmf_check.analysis.tractability import decide_tractability

    res = decide_tractability(pattern)
    if not res.tractable:
        msg = "split_enclosure needs a certified pattern (T2/T3)"
        raise NotApplicableError(msg)
    covered = np.zeros(A.shape, dtype=bool)
    for c in res.covered:
        covered[np.ix_(c.rows, c.cols)] = True
    classes = res.representatives if res.rule == "cec-reduction" else res.classes
    groups: dict[tuple[int, int, int], list[int]] = {}
    for idx, c in enumerate(classes):
        covered[np.ix_(c.rows, c.cols)] = True
        groups.setdefault((c.rows.size, c.cols.size, c.size), []).append(idx)
    parts: list[_ChunkSums] = []
    n_terms = 0
    for (p, q, size), ids in groups.items():
        R = np.stack([classes[i].rows for i in ids])
        C = np.stack([classes[i].cols for i in ids])
        parts += _run_chunks(A[R[:, :, None], C[:, None, :]], size, 1)
        n_terms += len(ids) * min(p, q)
    rest = A[~covered]
    out = float(_sumsq(rest, (0,))) if rest.size else 0.0
    # nonnegative sum: gamma relative error; each square underflows by at most 2^-1075
    out_margin = gamma(2 * rest.size + 2) * out + rest.size * 2.0**-1073
    return _combine(parts, n_terms, out, out_margin)

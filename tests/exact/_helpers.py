"""Helpers for the exact-engine tests: planted exact factors on masks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from fsmf_check.exact._backend import ExactBackend


def planted(mask: np.ndarray, bk: ExactBackend, rng: np.random.Generator,
            rational: bool = True, nonzero: bool = True) -> np.ndarray:
    """Random exact values on the ones of ``mask`` (rationals p/q, p in [-9, 9])."""
    out = bk.zeros(*mask.shape)
    for i, j in np.argwhere(mask):
        p = int(rng.integers(1, 10)) * (1 if rng.random() < 0.5 else -1)
        if not nonzero and rng.random() < 0.1:
            p = 0
        q = int(rng.integers(1, 6)) if rational else 1
        out[i, j] = bk.scalar(Fraction(p, q))
    return out


def public(M: np.ndarray, bk: ExactBackend) -> list[list[object]]:
    """Rows of public exact scalars."""
    return bk.to_public_array(M)

"""Random explicit-mask chains with planted exact factors (tests and benchmarks).

Masks have empty rows and columns, optionally duplicated columns, and zero blocks; the
factor values are nonzero integers in [-5, 5] on the mask, so the target is a product.
"""

from __future__ import annotations

import numpy as np

from fsmf_check.model.supports import Chain


def random_masks(rng: np.random.Generator, duplicated_columns: bool = False,
                 ) -> list[np.ndarray]:
    """2 to 4 random 0/1 masks with chained inner dimensions 1..4."""
    L = int(rng.integers(2, 5))
    dims = [int(rng.integers(1, 5)) for _ in range(L + 1)]
    masks = []
    for l in range(L):
        M = rng.random((dims[l], dims[l + 1])) < rng.uniform(0.3, 0.9)
        if rng.random() < 0.2 and M.shape[0] > 1:
            M[: M.shape[0] // 2, : max(1, M.shape[1] // 2)] = False  # a zero block
        if duplicated_columns and M.shape[1] > 1:
            j = int(rng.integers(0, M.shape[1]))
            M[:, (j + 1) % M.shape[1]] = M[:, j]
        masks.append(M)
    return masks


def random_chain_case(seed: int, duplicated_columns: bool = False,
                      ) -> tuple[list[np.ndarray], list[list[int]], Chain, list[np.ndarray]]:
    """(masks, planted product A as int lists, Chain, planted factors) for one seed."""
    rng = np.random.default_rng(seed)
    masks = random_masks(rng, duplicated_columns)
    F = []
    for M in masks:
        vals = rng.integers(1, 6, size=M.shape) * rng.choice([-1, 1], size=M.shape)
        F.append(np.where(M, vals, 0).astype(object))
    A = F[0]
    for f in F[1:]:
        A = A.dot(f)
    chain = Chain([["".join("1" if v else "0" for v in row) for row in M] for M in masks])
    return masks, [[int(v) for v in row] for row in A], chain, F

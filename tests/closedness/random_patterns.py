"""Seeded generator of random small two-factor support patterns (closedness benchmarks).

``random_pattern(seed)``: ``m, n`` uniform in ``{2, 3}``, ``r`` uniform in ``{1, 2, 3}``, every
entry of the masks ``I`` (``m x r``) and ``J`` (``n x r``) equal to 1 with probability 1/2,
independently (``numpy.random.default_rng(seed)``); ``max_side = max_rank = 4`` gives the
larger generator. ``RANDOM_SEEDS`` is the benchmark set.
"""

from __future__ import annotations

import numpy as np

from fsmf_check.model.supports import SupportPattern

__all__ = ["RANDOM_SEEDS", "random_pattern"]

#: The seeds of the published undecided-rate measurement (docs/benchmarks.md).
RANDOM_SEEDS = range(340)


def random_pattern(seed: int, *, max_side: int = 3, max_rank: int = 3) -> SupportPattern:
    """The random pattern of ``seed`` (deterministic); ``m, n <= max_side``, ``r <= max_rank``."""
    rng = np.random.default_rng(seed)
    m, n = (int(v) for v in rng.integers(2, max_side + 1, size=2))
    r = int(rng.integers(1, max_rank + 1))
    I = rng.integers(0, 2, size=(m, r))
    J = rng.integers(0, 2, size=(n, r))
    return SupportPattern(["".join(str(int(v)) for v in row) for row in I],
                          ["".join(str(int(v)) for v in row) for row in J])

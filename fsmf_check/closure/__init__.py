"""Closure of the set of products: whether it is closed, so an optimum always exists (T5).

:func:`decide_closedness` answers ``closed`` with the theorem that proves it,
``not-closed`` with an exact witness (a sequence of products converging to a matrix that is
not a product), or ``unknown`` with what was tried.
"""

from __future__ import annotations

from fsmf_check.closure.decide import ClosednessResult, decide_closedness, find_lu_embedding

__all__ = ["ClosednessResult", "decide_closedness", "find_lu_embedding"]

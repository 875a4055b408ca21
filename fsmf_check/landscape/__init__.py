"""The loss landscape: local-minimum search and certified spurious local minima (T10)."""

from __future__ import annotations

from fsmf_check.landscape.search import lu_divergence, search_local_minima

__all__ = ["search_local_minima", "lu_divergence"]

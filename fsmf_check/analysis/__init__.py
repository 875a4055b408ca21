"""Analysis engine: rank-one supports, equivalence classes, overlap graph, tractability.

networkx is used in this subpackage only (class-level overlap graph and its components).
"""

from __future__ import annotations

from fsmf_check.analysis.chains import ChainAnalysis, SplitVerdict, TreeVerdict, decide_chain
from fsmf_check.analysis.tractability import (
    SupportClass,
    TractabilityResult,
    decide_tractability,
    find_overlap,
    is_tractable,
    overlap_graph,
)

__all__ = [
    "SupportClass",
    "TractabilityResult",
    "decide_tractability",
    "is_tractable",
    "find_overlap",
    "overlap_graph",
    "ChainAnalysis",
    "SplitVerdict",
    "TreeVerdict",
    "decide_chain",
]

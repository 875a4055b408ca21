"""Every verdict vocabulary, one :class:`enum.StrEnum` each.

The values are the lower-case strings of the JSON output (``docs/reference/json-schema.md``);
a StrEnum member compares equal to its string, so ``result["verdict"] == "closed"`` and
``result["verdict"] == ClosednessVerdict.CLOSED`` agree.

Examples
--------
>>> ClosednessVerdict.NOT_CLOSED == "not-closed"
True
>>> [v.value for v in MembershipVerdict]
['member', 'not-member', 'undecided']
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "TractabilityVerdict",
    "ClosednessVerdict",
    "MembershipVerdict",
    "IdentifiabilityVerdict",
    "SolveVerdict",
    "LandscapeVerdict",
]


class TractabilityVerdict(StrEnum):
    """Whether block SVDs solve FSMF with these supports (T2, T3)."""

    TRACTABLE = "tractable"
    NOT_CERTIFIED = "not-certified"


class ClosednessVerdict(StrEnum):
    """Whether the set of products is closed, so that an optimum always exists (T5)."""

    CLOSED = "closed"
    NOT_CLOSED = "not-closed"
    UNKNOWN = "unknown"


class MembershipVerdict(StrEnum):
    """Whether the target is exactly a product with these supports."""

    MEMBER = "member"
    NOT_MEMBER = "not-member"
    UNDECIDED = "undecided"


class IdentifiabilityVerdict(StrEnum):
    """Whether the factors are unique up to the unavoidable scalings (T8)."""

    IDENTIFIABLE = "identifiable"
    NOT_IDENTIFIABLE = "not-identifiable"
    UNDECIDED = "undecided"


class SolveVerdict(StrEnum):
    """Whether the numeric solution is a proven global optimum."""

    OPTIMAL = "optimal"
    LOCAL = "local"


class LandscapeVerdict(StrEnum):
    """Whether the landscape search found a certified spurious local minimum (T10)."""

    SPURIOUS_MINIMUM = "spurious-minimum"
    NO_SPURIOUS_FOUND = "no-spurious-found"
    NOT_APPLICABLE = "not-applicable"

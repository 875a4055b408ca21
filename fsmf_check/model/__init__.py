"""The model: support patterns, chains, Kronecker patterns, families and exact scalars.

Pure data and their invariants, no I/O and no engine: :class:`SupportPattern` (two factors,
masks ``I`` and ``J``), :class:`Chain` (factors left to right), :class:`KronPattern`
(``I_a ⊗ 1_{b x c} ⊗ I_d``), the generators of :mod:`fsmf_check.model.families`, and the exact
scalars (:mod:`~fsmf_check.model.numbers`, :mod:`~fsmf_check.model.cyclotomic`,
:mod:`~fsmf_check.model.fields`).
"""

from __future__ import annotations

from fsmf_check.model.cyclotomic import CyclotomicNumber
from fsmf_check.model.fields import Field
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.numbers import GaussianRational, format_exact, parse_exact
from fsmf_check.model.supports import Chain, SupportPattern

__all__ = ["SupportPattern", "Chain", "KronPattern", "GaussianRational", "CyclotomicNumber",
           "Field", "format_exact", "parse_exact"]

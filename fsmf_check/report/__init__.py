"""Reports: render results as ``report.md``, ``report.json`` and PNG pictures.

This layer renders what :mod:`fsmf_check.commands` computed and computes nothing itself;
matplotlib is imported only in :mod:`fsmf_check.report.pictures` (Agg backend).
"""

from __future__ import annotations

from fsmf_check.report.build import write_report
from fsmf_check.report.envelope import SCHEMA, dumps, envelope, to_jsonable

__all__ = ["write_report", "SCHEMA", "dumps", "envelope", "to_jsonable"]

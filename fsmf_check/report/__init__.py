"""Reports: render results as ``report.md``, ``report.json`` and PNG pictures.

This layer renders what :mod:`fsmf_check.commands` computed and computes nothing itself;
matplotlib is imported only in :mod:`fsmf_check.report.pictures` (Agg backend). Names are
imported on first use, so that rendering one JSON envelope (``report.envelope``) does not
load the report builder and the engines behind it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fsmf_check._lazy import lazy_names

if TYPE_CHECKING:
    from fsmf_check.report.build import write_report
    from fsmf_check.report.envelope import SCHEMA, dumps, envelope, to_jsonable

_LAZY = {"write_report": "fsmf_check.report.build", "SCHEMA": "fsmf_check.report.envelope",
         "dumps": "fsmf_check.report.envelope", "envelope": "fsmf_check.report.envelope",
         "to_jsonable": "fsmf_check.report.envelope"}

__all__ = ["write_report", "SCHEMA", "dumps", "envelope", "to_jsonable"]


__getattr__, __dir__ = lazy_names("fsmf_check.report", _LAZY, globals(), __all__)

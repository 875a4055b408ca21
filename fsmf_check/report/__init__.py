"""Reports: ``report.md``, ``report.json`` (SPEC §5 envelope) and PNG pictures for one case.

matplotlib is imported only in :mod:`fsmf_check.report.pictures` (Agg backend).
"""

from __future__ import annotations

from .build import collect_results, report_outcome, write_report

__all__ = ["write_report", "report_outcome", "collect_results"]

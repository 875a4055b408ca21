"""What a command returns: results, human text and the exit code.

Every command of :mod:`fsmf_check.commands` returns an :class:`Outcome`; the CLI renders it
as text or as the JSON envelope (:mod:`fsmf_check.report.envelope`). The exit codes are the
documented ones (docs/reference/errors.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome", "EXIT_OK", "EXIT_REFUTED", "EXIT_USAGE", "EXIT_UNDECIDED",
           "EXIT_INTERNAL", "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_REFUTED = 1
EXIT_USAGE = 2
EXIT_UNDECIDED = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


@dataclass
class Outcome:
    """What a command produced: the JSON ``results``, human text and the exit code.

    ``results`` maps a question (``"tractability"``, ``"membership"``, ...) to an object with
    at least ``verdict``, ``theorem``, ``explanation`` and ``exact``. ``extra`` adds top-level
    keys; its ``"run"`` entry (volatile data: timings) is merged into the ``run`` section.
    """

    command: str
    results: dict[str, dict[str, Any]]
    text: str
    exit_code: int = EXIT_OK
    case: dict[str, object] | None = None
    shape: dict[str, int] | None = None
    extra: dict[str, object] = field(default_factory=dict)

"""The JSON envelope of every ``--json`` output and the one JSON serializer.

Commands return an :class:`~fsmf_check.commands.outcome.Outcome`; this module turns it into
the documented object (``schema``, ``tool``, ``command``, ``case``, ``shape``, ``results``,
``run``). Exact numbers become strings through
:func:`~fsmf_check.model.numbers.format_exact`; the output is deterministic outside ``run``.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np

from fsmf_check._version import __version__
from fsmf_check.commands.outcome import Outcome
from fsmf_check.model.numbers import format_exact

__all__ = ["SCHEMA", "to_jsonable", "envelope", "dumps"]

SCHEMA = "fsmf-check/1"


def to_jsonable(obj: object) -> object:
    """Recursively convert results to JSON-ready values (exact numbers become strings)."""
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        if not math.isfinite(value):
            return str(value)
        return value
    if isinstance(obj, Fraction):
        return format_exact(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return [to_jsonable(v) for v in sorted(obj)]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if hasattr(obj, "to_dict"):
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "to_exact_string"):
        return obj.to_exact_string()
    if hasattr(obj, "value") and isinstance(obj.value, str):
        return obj.value
    return str(obj)


def envelope(outcome: Outcome, elapsed_s: float) -> dict[str, object]:
    """Build the JSON object; everything outside ``run`` is deterministic."""
    out: dict[str, object] = {
        "schema": SCHEMA,
        "tool": {"name": "fsmf-check", "version": __version__},
        "command": outcome.command,
        "case": outcome.case,
        "shape": outcome.shape,
        "results": outcome.results,
    }
    extra: dict[str, Any] = dict(outcome.extra)
    run_extra = extra.pop("run", {})
    out.update(extra)
    out["run"] = {"elapsed_s": round(elapsed_s, 6), **run_extra}
    return to_jsonable(out)  # type: ignore[return-value]


def dumps(obj: object) -> str:
    """Serialize deterministically (sorted sets, no NaN)."""
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False, ensure_ascii=False)

"""The SPEC §5 JSON envelope, exact-number formatting, and atomic file writes.

Every command returns an :class:`Outcome`; the CLI renders it as human text or as the one
JSON object of SPEC §5. This module is the only place where objects are turned into JSON.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import __version__
from .errors import InvalidInputError

__all__ = ["Outcome", "SCHEMA", "EXIT_OK", "EXIT_REFUTED", "EXIT_USAGE", "EXIT_UNDECIDED",
           "EXIT_INTERNAL", "to_jsonable", "envelope", "dumps", "atomic_write_bytes",
           "atomic_write_text", "format_exact", "make_dir"]

SCHEMA = "fsmf-check/1"
EXIT_OK = 0
EXIT_REFUTED = 1
EXIT_USAGE = 2
EXIT_UNDECIDED = 3
EXIT_INTERNAL = 4


@dataclass
class Outcome:
    """What a command produced: SPEC §5 ``results``, human text and the exit code.

    ``results`` maps a question (``"tractability"``, ``"membership"``, ...) to an object with
    at least ``verdict``, ``theorem``, ``explanation`` and ``exact``. ``extra`` adds top-level
    keys; its ``"run"`` entry (volatile data: timings) is merged into the ``run`` section.
    """

    command: str
    results: dict[str, dict[str, object]]
    text: str
    exit_code: int = EXIT_OK
    case: dict[str, object] | None = None
    shape: dict[str, int] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def format_exact(x: object) -> str:
    """Format an exact number as SPEC §5 wants: ``"3"``, ``"-1/2"``, ``"1+2i"``.

    Examples
    --------
    >>> format_exact(Fraction(-1, 2)), format_exact(3)
    ('-1/2', '3')
    """
    if isinstance(x, bool):
        msg = "a bool is not an exact number"
        raise TypeError(msg)
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if hasattr(x, "to_exact_string"):
        return x.to_exact_string()
    return str(x)


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
    """Build the SPEC §5 object; everything outside ``run`` is deterministic."""
    out: dict[str, object] = {
        "schema": SCHEMA,
        "tool": {"name": "fsmf-check", "version": __version__},
        "command": outcome.command,
        "case": outcome.case,
        "shape": outcome.shape,
        "results": outcome.results,
    }
    extra = dict(outcome.extra)
    run_extra = extra.pop("run", {})
    out.update(extra)
    out["run"] = {"elapsed_s": round(elapsed_s, 6), **run_extra}
    return to_jsonable(out)  # type: ignore[return-value]


def dumps(obj: object) -> str:
    """Serialize deterministically (sorted sets, no NaN)."""
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False, ensure_ascii=False)


def make_dir(path: Path) -> None:
    """Create an output folder (and its parents); an OSError becomes one usage-error line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise InvalidInputError(msg) from None


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    An interrupted write leaves either the old file or no file, never a partial one.
    """
    path = Path(path)
    make_dir(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise InvalidInputError(msg) from None
    umask = os.umask(0)
    os.umask(umask)
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would have
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            msg = f"cannot write {path}: {exc.strerror or exc}"
            raise InvalidInputError(msg) from None
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Atomic UTF-8 text write (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))

"""Output files: folders and atomic writes.

Every file the tool writes goes through :func:`atomic_write_bytes`: a temporary file in the
target folder, flushed and renamed over the target, so an interrupted run leaves the previous
file or none, never a partial one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fsmf_check.errors import InvalidInputError

__all__ = ["make_dir", "atomic_write_bytes", "atomic_write_text", "check_outputs",
           "remove_stale"]


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def check_outputs(outputs: Sequence[Path], inputs: Sequence[Path | None]) -> None:
    """Refuse (exit 2) when an output path is one of the input files (resolved, same file).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "a.npz").write_bytes(b"")
    0
    >>> check_outputs([d / "b.npz"], [d / "a.npz"])
    >>> check_outputs([d / "x" / ".." / "a.npz"], [d / "a.npz"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: output .../a.npz is an input file ...
    """
    for out in outputs:
        for inp in inputs:
            if inp is not None and _same_file(Path(out), Path(inp)):
                msg = (f"output {out} is an input file ({inp}) and would be overwritten; "
                       "choose another output path")
                raise InvalidInputError(msg)


def remove_stale(folder: Path, names: list[str]) -> None:
    """Delete the files ``names`` in ``folder`` if present (stale outputs of an earlier run)."""
    for name in names:
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError as exc:
            msg = f"cannot remove stale {folder / name}: {exc.strerror or exc}"
            raise InvalidInputError(msg) from None


def _clean_dead_temporaries(path: Path) -> None:
    """Remove ``.NAME.PID.*.tmp`` left by a killed writer (its process no longer exists)."""
    prefix = f".{path.name}."
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix):]
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        pid = rest.split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            entry.unlink(missing_ok=True)
        except (PermissionError, OverflowError, OSError):
            continue


def make_dir(path: Path) -> None:
    """Create an output folder (and its parents); an OSError becomes one usage-error line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot write {path}: {exc.strerror or exc}"
        raise InvalidInputError(msg) from None


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    An interrupted write leaves either the old file or no file, never a partial one. The
    temporary file is named ``.NAME.PID.XXXX.tmp``; those of killed writers (dead PID) are
    removed by the next write of the same file, and readers never look at them.
    """
    path = Path(path)
    make_dir(path.parent)
    _clean_dead_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                   dir=path.parent)
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

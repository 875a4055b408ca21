"""Output files: folders and atomic writes.

Every file the tool writes goes through :func:`atomic_write_bytes`: a temporary file in the
target folder, flushed and renamed over the target, so an interrupted run leaves the previous
file or none, never a partial one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fsmf_check.errors import InvalidInputError

__all__ = ["make_dir", "atomic_write_bytes", "atomic_write_text"]


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

r"""Run the batched kernels with one BLAS thread (restored afterwards).

Measured on the 2-core dev box (docs/benchmarks.md, numeric engine): the engine makes
thousands of tiny LAPACK/BLAS calls per split (one per block of a stacked array), and
OpenBLAS with 2 threads synchronizes its threads on every call: ``np.linalg.eigh`` on 2048
stacked 32 x 32 matrices took 0.6-1.3 s with 2 threads and 0.18-0.23 s with 1. The
large-array work (copies, element-wise products) does not use BLAS threads at all. So the
engine pins the OpenBLAS that numpy loaded to one thread for the duration of a call and
restores the previous count. Only OpenBLAS builds that export
``*openblas*_set_num_threads*`` are touched (found through ``/proc/self/maps``); elsewhere
this is a no-op.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["single_blas_thread"]

_LOCK = threading.Lock()
_HANDLES: list[tuple[object, object]] | None = None
_DEPTH = 0
_SAVED: list[int] = []


def _find() -> list[tuple[object, object]]:
    handles: list[tuple[object, object]] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = sorted({ln.split()[-1] for ln in fh
                            if "openblas" in ln.lower() and ".so" in ln})
    except OSError:
        return handles
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    getter.restype = ctypes.c_int
                    setter.argtypes = [ctypes.c_int]
                    handles.append((setter, getter))
                    break
            else:
                continue
            break
    return handles


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Context manager: one OpenBLAS thread inside, the previous setting restored on exit.

    Examples
    --------
    >>> with single_blas_thread():
    ...     pass
    """
    global _HANDLES, _DEPTH, _SAVED
    with _LOCK:
        if _HANDLES is None:
            _HANDLES = _find()
        if _DEPTH == 0:
            _SAVED = [int(get()) for _, get in _HANDLES]  # type: ignore[operator]
            for set_, _ in _HANDLES:
                set_(1)  # type: ignore[operator]
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                for (set_, _), n in zip(_HANDLES, _SAVED, strict=True):
                    set_(max(1, n))  # type: ignore[operator]

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
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["single_blas_thread", "parallel_map", "worker_count"]

T = TypeVar("T")
_LOCK = threading.Lock()
_HANDLES: list[tuple[object, object]] | None = None
_DEPTH = 0
_SAVED: list[int] = []
#: Upper limit on the engine's worker threads (the dev box and CI have two cores).
WORKERS_CAP = 2
#: Items per worker below which :func:`parallel_map` stays on the calling thread.
MIN_ITEMS_PER_WORKER = 2


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


def worker_count() -> int:
    """Threads the batched kernels may use now: 1 outside :func:`single_blas_thread`.

    Inside it (BLAS pinned to one thread, so ``k`` Python workers run ``k`` BLAS calls, never
    ``k`` times the BLAS threads), ``min(WORKERS_CAP, usable cores)``.

    Examples
    --------
    >>> worker_count()
    1
    """
    if _DEPTH == 0:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(WORKERS_CAP, cores))


def parallel_map(fn: Callable[[T], None], items: Iterable[T]) -> None:
    """Call ``fn`` on every item, on :func:`worker_count` threads (numpy releases the GIL).

    The items must write disjoint outputs. Work is dealt round-robin in order, the calling
    thread taking the first share (fewer than ``2 * MIN_ITEMS_PER_WORKER`` items run
    serially); the first exception of any worker is raised after all have stopped.

    Examples
    --------
    >>> seen = []
    >>> parallel_map(seen.append, range(3))
    >>> sorted(seen)
    [0, 1, 2]
    """
    todo = list(items)
    # a few items are not worth a thread (starting one costs 0.05-0.1 ms on a quiet box, and a
    # busy box may not schedule it for milliseconds)
    workers = min(worker_count(), len(todo) // MIN_ITEMS_PER_WORKER)
    if workers <= 1:
        for item in todo:
            fn(item)
        return
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            for item in todo[k::workers]:
                fn(item)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,), daemon=True) for k in range(1, workers)]
    for th in threads:
        th.start()
    run(0)
    for th in threads:
        th.join()
    if errors:
        raise errors[0]

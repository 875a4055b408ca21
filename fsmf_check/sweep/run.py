r"""Run a sweep: cases in chunks on this process, a process pool or Dask; resumable output.

Output folder ``DIR``:

* ``sweep.json``: the sweep's fingerprint; a rerun into ``DIR`` with a different sweep is
  refused (one line), with the same sweep it resumes;
* ``results.jsonl``: one line per case **in enumeration order**, whatever the number of
  workers: results arriving out of order wait in memory until every earlier case is written.
  A line is appended with one ``write`` and the file is flushed and fsynced per chunk, so a
  killed run leaves complete lines and at most one truncated last line, which the next run
  discards (it computes only the cases after the last complete line);
* ``counterexamples/<index>-<question>.json``: the full result (witness included) of each
  ``not-closed``, ``not-identifiable`` and ``spurious-local-minimum`` answer, written
  atomically before its results line.

Schedulers: ``workers = 1`` runs in this process; ``workers > 1`` a
:class:`concurrent.futures.ProcessPoolExecutor`; ``scheduler = "dask"`` a local
``dask.distributed`` cluster of ``workers`` processes; any other scheduler string is the
address of a running Dask scheduler (``tcp://host:port``). Work is sent in chunks of cases
(one task per chunk), with a bounded number of chunks in flight.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fsmf_check.errors import InvalidInputError
from fsmf_check.files import atomic_write_text, make_dir
from fsmf_check.sweep.chains import ChainCase
from fsmf_check.sweep.classify import CaseResult, classify_chunk
from fsmf_check.sweep.enumeration import CaseFamily, SweepCase
from fsmf_check.sweep.spec import SweepSpec

__all__ = ["SweepRun", "run_sweep", "read_results", "counterexample_path", "META_SCHEMA"]

META_SCHEMA = "fsmf-check/sweep/1"
RESULTS = "results.jsonl"
#: Largest chunk of cases sent as one task.
MAX_CHUNK = 32

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SweepRun:
    """What a run did: ``total`` cases, ``resumed`` lines found complete, ``computed`` now."""

    spec: SweepSpec
    out_dir: Path
    total: int
    resumed: int
    computed: int
    scheduler: str
    workers: int


def _certificate_of(full: dict[str, Any]) -> dict[str, Any] | None:
    """Return the ``fsmf-check/certificate/2`` object of a full result, if it has one."""
    for cand in ((full.get("witness") or {}).get("certificate"), full.get("certificate")):
        if isinstance(cand, dict) and cand.get("schema") == "fsmf-check/certificate/2":
            return cand
    return None


def counterexample_path(index: int, question: str) -> str:
    """Relative path of a counterexample file (zero-padded index, so files sort by case)."""
    return f"counterexamples/{index:06d}-{question}.json"


def _dumps_line(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, allow_nan=False)


class _Journal:
    """Append-only ``results.jsonl``: recovers complete lines, appends whole lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = 0
        if path.exists():
            self.done = self._recover()
        try:
            self._fh = open(path, "ab")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            msg = f"cannot write {path}: {exc.strerror or exc}"
            raise InvalidInputError(msg) from None

    def _recover(self) -> int:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            # a killed run left a partial last line: drop it, the case is computed again
            os.truncate(self.path, end)
        count = 0
        for count, raw in enumerate(data[:end].splitlines(), start=1):
            try:
                index = json.loads(raw)["index"]
            except (ValueError, KeyError, TypeError):
                msg = (f"{self.path}: line {count} is not a sweep results line; "
                       "use a new output folder")
                raise InvalidInputError(msg) from None
            if index != count - 1:
                msg = (f"{self.path}: line {count} holds case {index}, expected case "
                       f"{count - 1}; use a new output folder")
                raise InvalidInputError(msg)
        return count

    def append(self, line: dict[str, Any]) -> None:
        self._fh.write((_dumps_line(line) + "\n").encode("utf-8"))
        self.done += 1

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self.sync()
        self._fh.close()


def _check_meta(spec: SweepSpec, out_dir: Path, total: int) -> None:
    meta_path = out_dir / "sweep.json"
    meta = {"schema": META_SCHEMA, "name": spec.name, "fingerprint": spec.fingerprint(),
            "cases": total}
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict) or old.get("fingerprint") != meta["fingerprint"]:
            name = old.get("name") if isinstance(old, dict) else None
            msg = (f"{out_dir} holds the results of another sweep ({name!r}, or a different "
                   f"definition of {spec.name!r}); use a new output folder")
            raise InvalidInputError(msg)
        return
    if (out_dir / RESULTS).exists():
        msg = f"{out_dir / RESULTS} exists without {meta_path.name}; use a new output folder"
        raise InvalidInputError(msg)
    atomic_write_text(meta_path, json.dumps(meta, indent=2) + "\n")


def _chunks(family: CaseFamily, start: int, total: int, size: int
            ) -> Iterator[list[SweepCase | ChainCase]]:
    for lo in range(start, total, size):
        yield [family.case(i) for i in range(lo, min(total, lo + size))]


def preload_engines(spec: SweepSpec) -> None:
    """Import the engine modules the sweep's questions use (before forking workers)."""
    import importlib

    modules = {"tractability": "fsmf_check.analysis.chains" if spec.kind == "chain" else
               "fsmf_check.analysis.tractability",
               "closedness": "fsmf_check.closure.decide", "membership": "fsmf_check.exact",
               "identifiability": "fsmf_check.exact", "landscape": "fsmf_check.landscape.search"}
    for q in spec.questions:
        importlib.import_module(modules[q])


def _local_results(spec: SweepSpec, chunks: Iterator[list[SweepCase | ChainCase]], workers: int
                   ) -> Iterator[list[CaseResult]]:
    if workers == 1:
        for chunk in chunks:
            yield classify_chunk(spec, chunk)
        return
    import multiprocessing

    # import the engines once here, so that forked workers start warm (about 1.5 s of
    # sympy/scipy imports per worker otherwise)
    preload_engines(spec)
    # fork where it exists: spawn would re-run ``python -m fsmf_check`` in every child
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: set[Future] = set()
        try:
            for chunk in chunks:
                pending.add(pool.submit(classify_chunk, spec, chunk))
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        yield fut.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _dask_results(spec: SweepSpec, chunks: Iterator[list[SweepCase | ChainCase]], workers: int,
                  scheduler: str) -> Iterator[list[CaseResult]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        msg = ("--scheduler needs dask.distributed; install it with "
               "pip install 'fsmf-check[dask]'")
        raise InvalidInputError(msg) from None
    cluster = None
    try:
        if scheduler == "dask":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                msg = f"cannot reach the Dask scheduler {scheduler}: {exc}"
                raise InvalidInputError(msg) from None
        with client:
            slots = max(2, 2 * sum(client.nthreads().values()))
            first = [client.submit(classify_chunk, spec, c, pure=False)
                     for _, c in zip(range(slots), chunks, strict=False)]
            ac = as_completed(first)
            for fut in ac:
                yield fut.result()
                nxt = next(chunks, None)
                if nxt is not None:
                    ac.add(client.submit(classify_chunk, spec, nxt, pure=False))
    finally:
        if cluster is not None:
            cluster.close()


def run_sweep(spec: SweepSpec, out_dir: Path | str, *, workers: int = 1,
              scheduler: str | None = None, progress: Progress | None = None,
              chunk_size: int | None = None) -> SweepRun:
    """Compute every missing case of a sweep into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    spec : SweepSpec
        The validated sweep.
    out_dir : path
        Output folder; created if needed; a previous run of the same sweep is resumed.
    workers : int
        Processes (local pool, or local Dask cluster with ``scheduler="dask"``).
    scheduler : None, "dask" or a Dask scheduler address
        None: this process (``workers = 1``) or a process pool.
    progress : callable(done, total), optional
        Called after each chunk is written.
    chunk_size : int, optional
        Cases per task (default: up to :data:`MAX_CHUNK`, about 8 tasks per worker).

    Returns
    -------
    SweepRun
        Counts of cases found complete and computed now.

    Raises
    ------
    InvalidInputError
        ``workers < 1``, an output folder holding another sweep, or an unreachable scheduler.

    Notes
    -----
    Deterministic: ``results.jsonl`` depends only on the sweep (no timing, enumeration
    order), so it is byte-identical for any ``workers`` and scheduler.
    """
    if workers < 1:
        msg = f"--workers must be >= 1; got {workers}"
        raise InvalidInputError(msg)
    out_dir = Path(out_dir)
    family = CaseFamily(spec)
    total = len(family)
    make_dir(out_dir)
    _check_meta(spec, out_dir, total)
    journal = _Journal(out_dir / RESULTS)
    start = journal.done
    if start > total:
        journal.close()
        msg = f"{out_dir / RESULTS} has {start} lines but the sweep has {total} cases"
        raise InvalidInputError(msg)
    size = chunk_size or max(1, min(MAX_CHUNK, math.ceil((total - start) / (8 * workers))))
    chunks = _chunks(family, start, total, size)
    if scheduler is None:
        stream = _local_results(spec, chunks, workers)
    else:
        stream = _dask_results(spec, chunks, workers, scheduler)
    buffered: dict[int, CaseResult] = {}
    try:
        if progress is not None:
            progress(start, total)
        for results in stream:
            for res in results:
                buffered[res.index] = res
            while journal.done in buffered:
                res = buffered.pop(journal.done)
                line = res.line
                for question, full in res.counterexamples.items():
                    rel = counterexample_path(res.index, question)
                    doc = {"schema": "fsmf-check/sweep-counterexample/1", "sweep": spec.name,
                           "index": res.index}
                    # the case: "supports" (two factors) or "chain" (chain sweeps)
                    key = "chain" if "chain" in line else "supports"
                    doc[key] = line[key]
                    doc.update(question=question, result=full)
                    if "target" in line:
                        doc["target"] = line["target"]
                    atomic_write_text(out_dir / rel, json.dumps(doc, indent=1,
                                                                ensure_ascii=False,
                                                                allow_nan=False) + "\n")
                    line["results"][question]["certificate"] = rel
                    cert = _certificate_of(full)
                    if cert is not None:
                        cert_rel = rel.removesuffix(".json") + ".cert.json"
                        atomic_write_text(out_dir / cert_rel, json.dumps(
                            cert, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
                        line["results"][question]["certificate_file"] = cert_rel
                journal.append(line)
            journal.sync()
            if progress is not None:
                progress(journal.done, total)
    finally:
        journal.close()
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    name = "process" if scheduler is None and workers == 1 else \
        ("pool" if scheduler is None else scheduler)
    return SweepRun(spec=spec, out_dir=out_dir, total=total, resumed=start,
                    computed=journal.done - start, scheduler=name, workers=workers)


def read_results(out_dir: Path | str) -> list[dict[str, Any]]:
    """Read the complete lines of ``DIR/results.jsonl`` (a truncated last line is ignored)."""
    path = Path(out_dir) / RESULTS
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InvalidInputError(msg) from None
    end = data.rfind(b"\n") + 1
    return [json.loads(raw) for raw in data[:end].splitlines()]


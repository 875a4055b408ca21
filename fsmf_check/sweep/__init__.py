"""Sweeps: classify whole families of two-factor supports (enumerated or sampled).

:mod:`~fsmf_check.sweep.spec` reads sweep files, :mod:`~fsmf_check.sweep.enumeration` lists the
cases (one per symmetry orbit if asked), :mod:`~fsmf_check.sweep.classify` answers the
questions for one case with the engines, :mod:`~fsmf_check.sweep.run` runs the cases on a
process pool or a Dask cluster and keeps ``results.jsonl`` deterministic and resumable.
"""

from __future__ import annotations

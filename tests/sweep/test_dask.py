"""The Dask scheduler gives the same bytes as the local runs (skipped without dask)."""

from __future__ import annotations

import pytest

from fsmf_check.commands.sweep import sweep_command
from fsmf_check.sweep.spec import parse_sweep

pytest.importorskip("dask.distributed")

SPEC = parse_sweep({"name": "dask", "kind": "two-factor",
                    "questions": ["tractability", "closedness"],
                    "enumerate": {"shape": [2, 2, 2], "symmetry": "permutations"}})


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_dask_local_cluster_matches_local_run(tmp_path):
    local = sweep_command(SPEC, tmp_path / "local")
    dask = sweep_command(SPEC, tmp_path / "dask", workers=2, scheduler="dask")
    assert dask.run.scheduler == "dask" and dask.run.computed == 58
    assert (tmp_path / "dask" / "results.jsonl").read_bytes() == \
        (tmp_path / "local" / "results.jsonl").read_bytes()
    assert dask.summary == local.summary

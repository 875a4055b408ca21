"""Running sweeps: reference counts, determinism across workers, resume, counterexamples."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fsmf_check.commands.sweep import sweep_command
from fsmf_check.errors import InvalidInputError
from fsmf_check.sweep.run import read_results, run_sweep
from fsmf_check.sweep.spec import parse_sweep
from fsmf_check.verify.closedness import verify_closedness

FULL_2X2X2 = parse_sweep({"name": "full", "kind": "two-factor",
                          "questions": ["tractability", "closedness"],
                          "enumerate": {"shape": [2, 2, 2]}})
ORBITS_2X2X2 = parse_sweep({"name": "orbits", "kind": "two-factor",
                            "questions": ["tractability", "closedness", "identifiability"],
                            "enumerate": {"shape": [2, 2, 2], "symmetry": "permutations"}})


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    data = sweep_command(FULL_2X2X2, out)
    return out, data


def test_every_2x2x2_pair_reference_counts(full_run):
    out, data = full_run
    s = data.summary
    # the only non-closed 2 x 2 x 2 patterns are the 8 relabelings of LU (T5 §3.3)
    assert s["cases"] == 256
    assert s["counts"]["closedness"] == {"closed": 248, "not-closed": 8}
    assert s["counts"]["tractability"] == {"not-certified": 8, "tractable": 248}
    assert s["combined"] == {"not-certified/not-closed": 8, "tractable/closed": 248}
    lines = read_results(out)
    assert [ln["index"] for ln in lines] == list(range(256))
    lu = lines[187]
    assert lu["supports"] == {"X": ["10", "11"], "Y": ["10", "11"]}
    assert lu["results"]["closedness"]["verdict"] == "not-closed"
    assert lu["results"]["closedness"]["certificate"] == "counterexamples/000187-closedness.json"
    assert s["smallest"]["closedness"]["not-closed"]["nnz"] == 6


def test_counterexample_files_reverify(full_run):
    out, data = full_run
    files = [c["file"] for c in data.summary["counterexamples"]]
    assert len(files) == 8
    for rel in files:
        doc = json.loads((out / rel).read_text())
        assert doc["question"] == "closedness"
        check = verify_closedness(doc["result"])
        assert check.verified and check.verdict == "not-closed"


def test_orbits_weighted_counts_agree_with_full_enumeration(full_run, tmp_path):
    data = sweep_command(ORBITS_2X2X2, tmp_path)
    s = data.summary
    assert s["cases"] == 58 and s["pairs_covered"] == 256
    assert s["pair_counts"]["closedness"] == full_run[1].summary["counts"]["closedness"]
    assert s["pair_counts"]["tractability"] == full_run[1].summary["counts"]["tractability"]
    for c in s["counterexamples"]:
        if c["question"] == "identifiability":
            doc = json.loads((tmp_path / c["file"]).read_text())
            assert doc["result"]["verdict"] == "not-identifiable"


def test_workers_give_byte_identical_results(full_run, tmp_path):
    out, _ = full_run
    sweep_command(FULL_2X2X2, tmp_path, workers=2)
    for name in ("results.jsonl", "summary.json"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_resume_discards_truncated_line_and_keeps_finished_ones(full_run, tmp_path):
    out, _ = full_run
    reference = (out / "results.jsonl").read_bytes()
    sweep_command(FULL_2X2X2, tmp_path)
    # simulate a run killed in the middle of writing line 101
    cut = reference.index(b"\n", reference.index(b'{"index": 100,')) + 1 + 17
    (tmp_path / "results.jsonl").write_bytes(reference[:cut])
    seen = []
    run = run_sweep(FULL_2X2X2, tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert (run.resumed, run.computed) == (101, 155)
    assert seen[0] == (101, 256) and seen[-1] == (256, 256)
    assert (tmp_path / "results.jsonl").read_bytes() == reference
    # a complete rerun computes nothing and changes nothing
    again = run_sweep(FULL_2X2X2, tmp_path)
    assert again.computed == 0
    assert (tmp_path / "results.jsonl").read_bytes() == reference


def test_other_sweep_into_same_folder_is_refused(full_run):
    out, _ = full_run
    with pytest.raises(InvalidInputError, match="another sweep"):
        run_sweep(ORBITS_2X2X2, out)


def test_planted_targets_are_never_refuted(tmp_path):
    spec = parse_sweep({"name": "planted", "kind": "two-factor",
                        "questions": ["tractability", "membership", "identifiability"],
                        "sample": {"shape": [3, 2, 3], "count": 30, "seed": 0,
                                   "density": 0.6, "target": "planted"}})
    s = sweep_command(spec, tmp_path).summary
    # A = X Y^T with X, Y on the supports: a member; never "not-member"
    assert "not-member" not in s["counts"]["membership"]
    assert s["counts"]["membership"].get("member", 0) >= 25
    assert sum(s["counts"]["identifiability"].values()) == 30


def test_landscape_is_labeled_numeric(tmp_path):
    spec = parse_sweep({"name": "land", "kind": "two-factor", "questions": ["landscape"],
                        "enumerate": {"shape": [1, 2, 2], "symmetry": "permutations"},
                        "landscape": {"n_starts": 3, "max_iter": 500}})
    lines = read_results(sweep_command(spec, tmp_path).outcome and tmp_path)
    assert lines[0]["results"]["landscape"]["rule"] == "no-free-entries"
    for ln in lines[1:]:
        res = ln["results"]["landscape"]
        assert res["exact"] is False and res["numeric"] is True
        assert res["verdict"] in ("none-found", "spurious-local-minimum")


def test_cli_sweep_writes_all_files(tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text('name = "cli"\nkind = "two-factor"\nquestions = ["closedness"]\n'
                     '[enumerate]\nshape = [2, 1, 2]\n')
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fsmf_check", "sweep", str(sweep), "-o",
                           str(out), "--json"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)
    assert env["command"] == "sweep"
    assert env["results"]["sweep"]["counts"] == {"closedness": {"closed": 16}}
    for name in ("results.jsonl", "summary.json", "summary.md", "verdicts.png", "sweep.json"):
        assert (out / name).is_file()
    assert "closedness | closed | 16" in (out / "summary.md").read_text()


def test_counterexamples_come_with_certificate_files_that_verify(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from fsmf_check.cli import cli
    from fsmf_check.verify.certificates import check_certificate_file

    tmp_path = Path(tmp_path)

    spec = tmp_path / "s.toml"
    spec.write_text('name = "c"\nkind = "two-factor"\nquestions = ["closedness"]\n'
                    '[enumerate]\nshape = [2, 2, 2]\n')
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["sweep", str(spec), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(ln) for ln in (out / "results.jsonl").read_text().splitlines()]
    not_closed = [ln for ln in lines if ln["results"]["closedness"]["verdict"] == "not-closed"]
    assert len(not_closed) == 8  # the relabellings of the LU pattern
    for ln in not_closed:
        cert = out / ln["results"]["closedness"]["certificate_file"]
        assert check_certificate_file(cert).status == "verified"

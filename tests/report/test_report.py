"""Reports (``fsmf-check report``) and the ``closedness`` / ``report`` CLI commands.

Files are atomic and deterministic, and their witnesses re-verify from report.json alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.verify.closedness import verify_report_closedness
from fsmf_check.report import write_report
from fsmf_check.errors import InvalidInputError

CASES = Path(__file__).resolve().parents[2] / "cases"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _without_run(text: str) -> str:
    data = json.loads(text)
    data.pop("run")
    return json.dumps(data, sort_keys=False)


@pytest.mark.parametrize("name", ["e4-lu-2x2", "nonclosed-lu-3x3", "lu-4x4",
                                  "nonclosed-lu-embedded", "nonclosed-chain-diag-lu",
                                  "landscape-e7-sparse-network"])
def test_every_witness_reverifies_from_report_json(name, tmp_path):
    out = write_report(CASES / f"{name}.toml", tmp_path, pictures=False, qe=False)
    assert out.results["closedness"]["verdict"] == "not-closed"
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["schema"] == "fsmf-check/1" and data["command"] == "report"
    assert set(data) >= {"tool", "case", "shape", "results", "run"}
    check = verify_report_closedness(tmp_path / "report.json")
    assert check.verified and len(check.checks) >= 3
    assert data["results"]["closedness"]["independent_check"]["verified"] is True


def test_report_files_pictures_and_determinism(tmp_path):
    case = CASES / "nonclosed-lu-3x3.toml"
    first = write_report(case, tmp_path / "a", qe=False)
    write_report(case, tmp_path / "b", qe=False)
    files = first.extra["files"]
    assert files == ["closedness.cert.json", "identifiability.cert.json", "membership.cert.json",
                     "overlap_graph.png", "rank_one_supports.png", "report.json", "report.md",
                     "supports.png", "witness.png"]
    for name in files:
        a, b = (tmp_path / d / name for d in "ab")
        if name.endswith(".png"):
            data = a.read_bytes()
            assert data.startswith(PNG_MAGIC) and len(data) > 1000
            assert data == b.read_bytes()
        elif name == "report.json":
            assert _without_run(a.read_text()) == _without_run(b.read_text())
            # outside "run" the file is byte-identical: "run" is the last key
            ta, tb = a.read_text(), b.read_text()
            assert ta[: ta.index('"run"')] == tb[: tb.index('"run"')]
        else:
            assert a.read_bytes() == b.read_bytes()
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]


def test_report_markdown_reads_well(tmp_path):
    write_report(CASES / "e4-lu-2x2.toml", tmp_path, pictures=False, qe=False)
    md = (tmp_path / "report.md").read_text()
    for needle in ("# fsmf-check report: e4-lu-2x2", "## Closedness of the set of products",
                   "**Verdict:** not-closed", "### Witness", "Three-entry argument",
                   "Gröbner basis", "verify_report_closedness", "## Reproduce",
                   "fsmf-check closedness", "| 10 | 1/100 |"):
        assert needle in md
    # the embedded sympy snippet re-checks the limit
    snippet = md.split("```python\n")[1].split("```")[0]
    exec(compile(snippet, "<report snippet>", "exec"), {})  # noqa: S102


def test_e7_report_has_the_exact_landscape_certificate(tmp_path):
    write_report(CASES / "landscape-e7-sparse-network.toml", tmp_path, pictures=False, qe=False)
    land = json.loads((tmp_path / "report.json").read_text())["results"]["landscape"]
    assert land["verdict"] == "spurious-minimum" and land["exact"] is True
    spurious = [mn for mn in land["minima"] if mn["spurious"]]
    assert [mn["objective"] for mn in spurious] == ["8"]
    assert spurious[0]["certified"] and spurious[0]["kind"] == "strict"


def test_report_is_written_atomically(tmp_path, monkeypatch):
    case = CASES / "closed-cec-2x2.toml"
    write_report(case, tmp_path, pictures=False, qe=False)
    before = (tmp_path / "report.json").read_bytes()

    def boom(src, dst):
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InvalidInputError, match="cannot write .*disk full"):
        write_report(case, tmp_path, pictures=False, qe=False)
    assert (tmp_path / "report.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]


def test_report_for_a_large_structured_case_skips_pictures(tmp_path):
    out = write_report(CASES / "butterfly-65536-split-8.toml", tmp_path, qe=False)
    assert out.results["closedness"]["verdict"] == "closed"
    assert "supports.png" in out.extra["skipped_pictures"]
    assert out.extra["files"] == ["report.json", "report.md"]


@pytest.mark.parametrize(("name", "code"), [("closed-block-diagonal-3", 0),
                                            ("nonclosed-lu-embedded", 1),
                                            ("kaleidoscope-16", 3)])
def test_cli_closedness_exit_codes(name, code):
    res = CliRunner().invoke(cli, ["closedness", str(CASES / f"{name}.toml"), "--json",
                                   "--no-qe"])
    assert res.exit_code == code, res.output
    data = json.loads(res.stdout)
    assert data["command"] == "closedness"
    assert data["results"]["closedness"]["verdict"] == {0: "closed", 1: "not-closed",
                                                        3: "unknown"}[code]


def test_cli_report(tmp_path):
    res = CliRunner().invoke(cli, ["report", str(CASES / "closed-output-dim-1.toml"), "-o",
                                   str(tmp_path / "out"), "--no-pictures", "--no-qe"])
    assert res.exit_code == 0, res.output
    assert "report for case closed-output-dim-1" in res.stdout
    assert (tmp_path / "out" / "report.md").is_file()
    bad = CliRunner().invoke(cli, ["report", str(CASES / "closed-output-dim-1.toml"), "-o",
                                   str(tmp_path / "out" / "report.md")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output

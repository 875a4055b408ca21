"""Sweep-file errors: one line, naming the key; absurd sizes refused before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fsmf_check.errors import CaseFormatError, SizeLimitError
from fsmf_check.sweep.spec import load_sweep, parse_sweep

BASE = {"name": "x", "kind": "two-factor", "questions": ["closedness"],
        "enumerate": {"shape": [2, 2, 2]}}


def _with(**kw):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    data.update(kw)
    return data


@pytest.mark.parametrize(("data", "exc", "fragment"), [
    (_with(colour="red"), CaseFormatError, "unknown key 'colour'"),
    (_with(enumerate={"shape": [2, 2, 2], "size": 3}), CaseFormatError,
     "unknown key 'enumerate.size'"),
    (_with(enumerate={"shape": [2, 2]}), CaseFormatError, "must be [m, r, n]"),
    (_with(enumerate={"shape": [2, 0, 2]}), CaseFormatError, "must be [m, r, n]"),
    (_with(questions=["beauty"]), CaseFormatError, "key 'questions'"),
    (_with(kind="three-factor"), CaseFormatError, "key 'kind'"),
    (_with(sample={"shape": [2, 2, 2], "count": 3}), CaseFormatError, "exactly one of"),
    (_with(questions=["membership"]), CaseFormatError, "needs a target"),
    (_with(enumerate={"shape": [2, 2, 2], "symmetry": "all"}), CaseFormatError,
     "enumerate.symmetry"),
    (_with(enumerate={"shape": [4, 4, 4]}), SizeLimitError, "MAX_SWEEP_CASES"),
    (_with(enumerate={"shape": [1000, 1000, 1000]}), SizeLimitError, "MAX_SWEEP_CASES"),
    (_with(enumerate={"shape": [1, 9, 1], "symmetry": "permutations"}), SizeLimitError,
     "inner permutations"),
])
def test_bad_sweep_files(data, exc, fragment):
    with pytest.raises(exc) as info:
        parse_sweep(data)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_sample_limits():
    data = {k: v for k, v in BASE.items() if k != "enumerate"}
    with pytest.raises(SizeLimitError, match="MAX_SWEEP_CASES"):
        parse_sweep({**data, "sample": {"shape": [2, 2, 2], "count": 10**9}})
    with pytest.raises(CaseFormatError, match="sample.density"):
        parse_sweep({**data, "sample": {"shape": [2, 2, 2], "count": 3, "density": 0}})
    with pytest.raises(CaseFormatError, match="sample.count"):
        parse_sweep({**data, "sample": {"shape": [2, 2, 2]}})


def test_questions_are_put_in_canonical_order():
    spec = parse_sweep(_with(questions=["closedness", "tractability"]))
    assert spec.questions == ("tractability", "closedness")


def test_shipped_sweep_files_load():
    for name in ("two-factor-2x2x2", "census-3x3x3", "planted-sample-3x2x3"):
        spec = load_sweep(Path(__file__).resolve().parents[2] / "sweeps" / f"{name}.toml")
        assert spec.name == name


def test_cli_bad_sweep_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkind = "two-factor"\nquestions = ["closedness"]\n'
                   '[enumerate]\nshape = [5, 5, 5]\n')
    proc = subprocess.run([sys.executable, "-m", "fsmf_check", "sweep", str(bad), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("Error: ")
    assert "MAX_SWEEP_CASES" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()

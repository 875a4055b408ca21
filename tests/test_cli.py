"""CLI (docs/reference/cli.md): exit codes, one-line errors, JSON envelope (docs/reference/json-schema.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmf_check.cli import cli

CASES = Path(__file__).resolve().parent.parent / "cases"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result, code: int, fragment: str) -> None:
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output + result.stderr


def test_analyze_json_envelope_is_deterministic() -> None:
    a = run("analyze", str(CASES / "e4-lu-2x2.toml"), "--json")
    b = run("analyze", str(CASES / "e4-lu-2x2.toml"), "--json")
    assert a.exit_code == 0, a.output
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    assert set(da) == {"schema", "tool", "command", "case", "shape", "results", "run"}
    assert da["schema"] == "fsmf-check/1" and da["command"] == "analyze"
    assert da["case"]["name"] == "e4-lu-2x2" and da["shape"] == {"m": 2, "n": 2, "r": 2}
    tract = da["results"]["tractability"]
    assert (tract["verdict"], tract["theorem"], tract["exact"]) == ("not-certified", None, True)
    assert tract["witness"]["supports"] == [0, 1]
    for key in ("verdict", "theorem", "explanation", "exact"):
        assert key in da["results"]["closedness"]
    da.pop("run")
    db.pop("run")
    assert da == db


def test_analyze_human_output_names_the_theorem() -> None:
    res = run("analyze", str(CASES / "butterfly-16-standard.toml"))
    assert res.exit_code == 0
    assert "tractability: tractable (disjoint-or-identical) [T7]" in res.stdout
    assert "tree balanced: all nodes certified" in res.stdout
    assert run("analyze", str(CASES / "e1-dto-singletons.toml"), "--quiet").stdout == ""


def test_check_passes_on_selected_cases_and_prints_summary() -> None:
    res = run("check", str(CASES / "e1-dto-singletons.toml"), str(CASES / "lu-4x4.toml"))
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == "2 passed, 0 failed"


def test_check_exit_1_on_failed_expectation(tmp_path: Path) -> None:
    p = tmp_path / "wrong.toml"
    p.write_text('name = "wrong"\n[supports]\nfamily = "lu"\nn = 2\n[expect]\ntractable = true\n')
    res = run("check", str(p))
    assert res.exit_code == 1
    assert "FAIL tractable: expected true, got not-certified" in res.stdout
    assert res.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
    res = run("check", str(p), "--json")
    data = json.loads(res.stdout)
    assert data["results"]["check"]["failed"] == 1 and res.exit_code == 1


def test_check_exit_2_on_invalid_case_but_runs_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('name = "bad"\n[supports]\nI = ["12"]\nJ = ["1"]\n')
    (tmp_path / "good.toml").write_text((CASES / "lu-4x4.toml").read_text())
    res = run("check", str(tmp_path))
    assert res.exit_code == 2
    assert "invalid case" in res.stdout and "1 passed, 1 failed" in res.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (["analyze", "/nonexistent.toml"], "does not exist"),
    (["analyze"], "Missing argument"),
    (["frobnicate"], "No such command"),
    (["analyze", "--bogus", "x"], "No such option"),
])
def test_usage_errors_exit_2_with_one_line(args: list[str], fragment: str) -> None:
    assert_one_line_error(run(*args), 2, fragment)


def test_bad_case_file_exits_2_with_one_line(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('name = "c"\n[supports]\nI = ["10"]\nJ = ["1"]\nsize = 3\n')
    assert_one_line_error(run("analyze", str(p)), 2, "unknown key 'supports.size'")
    p.write_bytes(b"\xff\xfe\x00")
    assert_one_line_error(run("analyze", str(p)), 2, "not valid UTF-8")


def test_unknown_key_with_a_newline_is_named_on_one_line(tmp_path: Path) -> None:
    from fsmf_check.errors import CaseFormatError
    from fsmf_check.inputs.cases import parse_case

    with pytest.raises(CaseFormatError) as info:
        parse_case({"name": "c", "supports": {"I": ["1"], "J": ["1"]}, "a\nb": 1})
    assert "\n" not in str(info.value) and "unknown key 'a\\nb'" in str(info.value)


def test_internal_error_exits_4_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import fsmf_check.commands.analyze as commands

    def boom(case):  # noqa: ANN001, ANN202
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(commands, "analyze_case", boom)
    res = run("analyze", str(CASES / "e1-dto-singletons.toml"))
    assert_one_line_error(res, 4, "internal error: RuntimeError: simulated bug")
    res = run("--debug", "analyze", str(CASES / "e1-dto-singletons.toml"))
    assert res.exit_code == 4 and "Traceback" in res.stderr


def test_version_and_help_have_examples() -> None:
    res = run("--version")
    assert res.exit_code == 0 and "0.1.0" in res.stdout
    for cmd in ("analyze", "check"):
        out = run(cmd, "--help")
        assert out.exit_code == 0 and "Example: fsmf-check" in out.stdout


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    import hashlib

    target = tmp_path / "e4.toml"
    target.write_bytes((CASES / "e4-lu-2x2.toml").read_bytes())
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    run("analyze", str(target), "--json")
    run("check", str(target))
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before


def test_atomic_write_respects_umask_and_leaves_no_temp(tmp_path: Path) -> None:
    import os

    from fsmf_check.files import atomic_write_text

    target = tmp_path / "out.json"
    atomic_write_text(target, "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]

"""Fuzz the command line: random option strings for every command (docs/reference/cli.md).

Arguments are drawn from every option name of every command (right or wrong for the
command drawn), option values (valid, out of range, NaN, empty, unicode, paths that exist,
do not exist, are folders or files) and junk tokens. Outputs go to a fresh folder. Every run
must exit 0/1/2/3, print one ``Error:`` line when it exits 2, and never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._util import CASES, assert_clean, assert_one_error_line, run_cli

COMMANDS = ["analyze", "solve", "certify", "closedness", "butterfly", "report", "check"]
_SMALL_CASES = [str(CASES / f"{n}.toml") for n in ("e1-dto-singletons", "closed-cec-2x2",
                                                   "hadamard-16", "butterfly-16-standard")]
_OPTIONS = ["--json", "--quiet", "-q", "--help", "-h", "--version", "--debug", "--tree", "--order",
            "--backend", "--qe", "--no-qe", "--qe-timeout", "--save", "-o", "--out",
            "--pictures", "--no-pictures", "--bitrev", "--perm", "--orthonormalize",
            "--no-orthonormalize", "--bogus", "-x", "--", "--json=1", "--tree=left"]
_VALUES = ["left", "right", "balanced", "standard", "reversed", "flint", "sympy", "diagonal",
           "0", "-1", "0.05", "1e9", "nan", "inf", "", " ", "\u00e9\u00e8", "x" * 300,
           "dft:8", "hadamard:4", "random-butterfly:8:1", "dft:x", "dft:3", "dft:-8",
           "out", "out/f.npz", "f.npz", "f.txt", "missing.toml", "missing.npy", ".", "..",
           "folder", "folder/", "file.txt", "perm.txt", *_SMALL_CASES]


# a real command line cannot carry a NUL byte (argv strings are NUL-terminated)
_JUNK = st.text(st.characters(exclude_characters="\x00"), max_size=12)


@st.composite
def argument_lists(draw) -> list[str]:
    command = draw(st.sampled_from(COMMANDS))
    tokens = draw(st.lists(st.one_of(st.sampled_from(_OPTIONS), st.sampled_from(_VALUES),
                                     _JUNK), max_size=6))
    if command in ("analyze", "solve", "certify", "closedness", "report", "check") and (
            draw(st.booleans())):
        tokens.insert(0, draw(st.sampled_from(_SMALL_CASES)))
    if command == "butterfly" and draw(st.booleans()):
        tokens.insert(0, draw(st.sampled_from(["dft:8", "hadamard:8", "random-butterfly:16:2"])))
    if command == "check" and not any(t.endswith(".toml") for t in tokens):
        tokens.append(_SMALL_CASES[0])  # a bare `check` would run the whole shipped library
    if command == "report" and "--no-pictures" not in tokens:
        tokens.append("--no-pictures")
    return [command, *tokens]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argument_lists())
def test_random_argument_lists_exit_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir(exist_ok=True)
    (tmp_path / "file.txt").write_text("not a case\n")
    (tmp_path / "perm.txt").write_text("1 0 3 2 5 4 7 6\n")
    res = run_cli(*args)
    assert_clean(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_option_is_one_line_naming_it(command: str) -> None:
    res = run_cli(command, "--frobnicate")
    assert res.exit_code == 2
    assert "--frobnicate" in assert_one_error_line(res)


@pytest.mark.parametrize(("args", "fragment"), [
    (["certify", "CASE", "--backend", "maple"], "'maple' is not one of 'flint', 'sympy'"),
    (["certify", "CASE", "--tree", "diagonal"], "'diagonal' is not one of"),
    (["closedness", "CASE", "--qe-timeout", "0"], "0.1<=x<=3600"),
    (["closedness", "CASE", "--qe-timeout", "soon"], "'soon' is not a valid float"),
    (["butterfly", "dft:8", "--order", "sideways"], "'sideways' is not one of"),
    (["butterfly", "dft:12"], "power of two"),
    (["butterfly", "dft:x"], "needs an integer N"),
    (["butterfly", "cube:8"], "neither a .npy/.npz/.mtx file nor a generator spec"),
    (["solve", "CASE", "--save", "f.txt"], "needs a .npz file name"),
    (["report", "CASE"], "Missing option '-o' / '--out'"),
    (["analyze", "missing.toml"], "does not exist"),
    (["check", "folder"], "no case files"),
])
def test_usage_errors_tell_what_to_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          args: list[str], fragment: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    args = [str(CASES / "e1-dto-singletons.toml") if a == "CASE" else a for a in args]
    res = run_cli(*args)
    assert res.exit_code == 2, res.output
    assert fragment in assert_one_error_line(res)
    assert not os.listdir(tmp_path / "folder")

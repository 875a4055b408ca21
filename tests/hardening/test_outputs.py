"""Outputs are atomic and deterministic; inputs are never modified (docs/reference/cli.md-5, STYLE 7.9-7.10).

* Atomic writes: ``report`` (report.md, report.json, pictures) and ``solve --save`` are made to
  fail in the middle of a write (``os.fsync``) or at the final rename (``os.replace``); the
  previous file must be intact and no temporary file may be left behind.
* Inputs: case files, target files, matrix files and permutation files are hashed before and
  after every command that reads them.
* Determinism: for every command with ``--json``, two runs on the same input give
  byte-identical JSON once the volatile ``run`` section is removed; the same holds for
  ``report.json`` and ``report.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ._util import CASES, assert_clean, run_cli


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _without_run(text: str) -> str:
    data = json.loads(text)
    data.pop("run")
    return json.dumps(data, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------ atomic writes


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A private copy of a few cases, a target file case and a matrix + permutation file."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("e1-dto-singletons.toml", "e4-lu-2x2.toml", "dft-16-bitrev.toml",
                 "e2-eckart-young.json"):
        shutil.copy(CASES / name, folder / name)
    H = np.array([[1, 1], [1, -1]], dtype=np.int64)
    np.save(folder / "H8.npy", np.kron(np.kron(H, H), H))
    (folder / "file-target.toml").write_text(
        'name = "file-target"\nkind = "chain"\n[supports]\nfamily = "butterfly"\nn = 8\n'
        '[target]\nfile = "H8.npy"\n[expect]\nmember = true\n')
    (folder / "perm.txt").write_text("0 4 2 6 1 5 3 7\n")
    return folder


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_solve_save_is_atomic(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              failing: str) -> None:
    out = tmp_path / "out"
    res = run_cli("solve", inputs / "e1-dto-singletons.toml", "--save", out / "f.npz")
    assert res.exit_code == 0, res.stderr
    before = (out / "f.npz").read_bytes()

    def boom(*args: object) -> None:
        msg = f"simulated failure in os.{failing}"
        raise OSError(msg)

    monkeypatch.setattr(os, failing, boom)
    res = run_cli("solve", inputs / "dft-16-bitrev.toml", "--save", out / "f.npz")
    assert res.exit_code != 0 and "Traceback" not in res.output + res.stderr
    assert f"simulated failure in os.{failing}" in res.stderr
    assert (out / "f.npz").read_bytes() == before  # old factors intact
    assert sorted(p.name for p in out.iterdir()) == ["f.npz"]  # no temporary file left


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_report_files_are_atomic(inputs: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    out = tmp_path / "report"
    res = run_cli("report", inputs / "e4-lu-2x2.toml", "-o", out, "--no-qe")
    assert res.exit_code == 0, res.stderr
    before = _digest(out)
    assert {"report.md", "report.json", "supports.png"} <= set(before)
    calls = {"n": 0}
    real = getattr(os, failing)

    def fail_on_second(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:  # let one file through, break the next one mid-way
            msg = f"simulated failure in os.{failing}"
            raise OSError(msg)
        return real(*args)

    monkeypatch.setattr(os, failing, fail_on_second)
    res = run_cli("report", inputs / "e1-dto-singletons.toml", "-o", out, "--no-qe")
    assert res.exit_code != 0 and "Traceback" not in res.output + res.stderr
    after = _digest(out)
    assert set(after) == set(before)  # no temporary files, nothing removed
    changed = [name for name in before if after[name] != before[name]]
    assert len(changed) <= 1  # only the file written before the failure was replaced
    for name in after:
        path = out / name
        if name.endswith(".json"):
            json.loads(path.read_text())  # every file is complete, old or new
        elif name.endswith(".png"):
            assert path.read_bytes().startswith(b"\x89PNG")


# ------------------------------------------------------------------ inputs never modified


@pytest.mark.parametrize("args", [
    ["analyze", "{in}/e4-lu-2x2.toml", "--json"],
    ["solve", "{in}/e1-dto-singletons.toml", "--save", "{out}/f.npz"],
    ["solve", "{in}/dft-16-bitrev.toml", "--save", "{out}/chain.npz", "--json"],
    ["certify", "{in}/file-target.toml", "--json"],
    ["certify", "{in}/e4-lu-2x2.toml"],
    ["closedness", "{in}/e4-lu-2x2.toml", "--json"],
    ["report", "{in}/file-target.toml", "-o", "{out}/r", "--no-pictures"],
    ["report", "{in}/e2-eckart-young.json", "-o", "{out}/r2"],
    ["butterfly", "{in}/H8.npy", "--perm", "{in}/perm.txt", "--json"],
    ["check", "{in}"],
])
def test_inputs_are_never_modified(inputs: Path, tmp_path: Path, args: list[str]) -> None:
    before = _digest(inputs)
    mtimes = {p.name: p.stat().st_mtime_ns for p in inputs.iterdir()}
    args = [a.format(**{"in": inputs, "out": tmp_path / "out"}) for a in args]
    res = run_cli(*args)
    assert_clean(res)
    assert _digest(inputs) == before
    assert {p.name: p.stat().st_mtime_ns for p in inputs.iterdir()} == mtimes


# ------------------------------------------------------------------ deterministic output


@pytest.mark.parametrize("args", [
    ["analyze", "e4-lu-2x2.toml"],
    ["analyze", "dft-16-bitrev.toml"],
    ["analyze", "butterfly-65536-split-8.toml"],
    ["closedness", "nonclosed-lu-3x3.toml"],
    ["closedness", "kaleidoscope-16.toml"],
    ["certify", "e4-lu-member.toml"],
    ["certify", "dft-16-bitrev.toml"],
    ["certify", "dft-16-natural.toml"],
    ["solve", "e2-eckart-young.json"],
    ["solve", "hadamard-16.toml"],
    ["butterfly", "random-butterfly:64:3:noise=0.1"],
    ["butterfly", "dft:32"],
    ["check", "e1-dto-singletons.toml", "e4-lu-2x2.toml"],
])
def test_json_is_byte_identical_outside_run(args: list[str]) -> None:
    args = [str(CASES / a) if a.endswith((".toml", ".json")) else a for a in args]
    first, second = run_cli(*args, "--json"), run_cli(*args, "--json")
    assert first.exit_code in (0, 1, 3), first.stderr
    assert first.exit_code == second.exit_code
    assert _without_run(first.stdout) == _without_run(second.stdout)
    assert first.stdout.count("\n") == second.stdout.count("\n")


def test_report_is_byte_identical_outside_run(tmp_path: Path) -> None:
    for out in ("a", "b"):
        res = run_cli("report", CASES / "nonclosed-lu-embedded.toml", "-o", tmp_path / out,
                      "--no-qe")
        assert res.exit_code == 0, res.stderr
    a, b = tmp_path / "a", tmp_path / "b"
    assert (a / "report.md").read_bytes() == (b / "report.md").read_bytes()
    ja, jb = (a / "report.json").read_text(), (b / "report.json").read_text()
    assert _without_run(ja) == _without_run(jb)
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())

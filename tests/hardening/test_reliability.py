"""Reliability regressions: no hang, no abort, no lost input (the reliability issue).

Each test names the defect it keeps fixed: near-linear analysis (LU n = 500), work and memory
limits refused at once with exit 2, outputs never overwriting inputs, Ctrl-C -> 130 with no
partial output, SIGKILL during a write keeping the previous file, and exit 2 (not 4) for
hostile inputs.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check import _limits
from fsmf_check.analysis import decide_tractability, find_overlap
from fsmf_check.analysis import tractability as tr
from fsmf_check.errors import InvalidInputError, SizeLimitError
from fsmf_check.files import atomic_write_bytes
from fsmf_check.model import families
from fsmf_check.model.supports import SupportPattern

from tests.hardening._util import CASES, ROOT, run_cli

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _err_line(res) -> str:  # noqa: ANN001
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


# ---- analysis: near-linear, exact -------------------------------------------------------


def test_lu_500_is_decided_with_the_full_overlap_graph() -> None:
    """Was O(n^3) Python loops (minutes); now sorting, hashing and sparse products."""
    res = decide_tractability(families.lu(500))
    assert res.verdict == "not-certified"
    assert res.witness["supports"] == [0, 1] and res.witness["entry"] == [1, 1]
    g = res.to_dict()["overlap_graph"]
    assert g["n_edges"] == 500 * 499 // 2 and g["n_components"] == 1
    assert g["edges"][0] == [0, 1, [1, 1]]
    assert g["edges"][1] == [0, 2, [2, 2]]


def _brute(rows: list[np.ndarray], cols: list[np.ndarray]) -> tuple[list, list]:
    """Reference: every overlapping pair, and the first witness in the documented order."""
    pairs, covered = [], {}
    for a in range(len(rows)):
        for b in range(a + 1, len(rows)):
            ri, ci = np.intersect1d(rows[a], rows[b]), np.intersect1d(cols[a], cols[b])
            if ri.size and ci.size:
                pairs.append((a, b, int(ri[0]), int(ci[0])))
        for i in rows[a].tolist():
            for j in cols[a].tolist():
                covered.setdefault((i, j), []).append(a)
    transpose = sum(c.size for c in cols) < sum(r.size for r in rows)
    doubly = [(j, i) if transpose else (i, j) for (i, j), o in covered.items() if len(o) > 1]
    if not doubly:
        return pairs, []
    x, y = min(doubly)
    i, j = (y, x) if transpose else (x, y)
    a, b = covered[(i, j)][:2]
    return pairs, [(a, b, i, j)]


rect_sets = st.lists(st.tuples(st.sets(st.integers(0, 7), min_size=1, max_size=4),
                               st.sets(st.integers(0, 7), min_size=1, max_size=4)),
                     min_size=0, max_size=9, unique_by=lambda t: (frozenset(t[0]),
                                                                  frozenset(t[1])))


@given(rect_sets)
def test_overlap_search_matches_brute_force(rects: list) -> None:
    rows = [np.array(sorted(r), dtype=np.int64) for r, _ in rects]
    cols = [np.array(sorted(c), dtype=np.int64) for _, c in rects]
    pairs, first = _brute(rows, cols)
    assert find_overlap(rows, cols) == first
    assert find_overlap(rows, cols, all_pairs=True) == pairs


@given(st.integers(0, 2**31), st.integers(1, 12), st.integers(1, 40))
def test_hash_grouping_equals_exact_grouping(seed: int, m: int, r: int) -> None:
    P = families.random_pattern(m, m, r, density=0.3, seed=seed)
    _, class_of, reps, sizes = tr._group_columns(P)
    mi, mj = P.I, P.J
    nonempty = np.flatnonzero((np.diff(mi.indptr) > 0) & (np.diff(mj.indptr) > 0))
    order, starts = tr._group_equal_exact([mi.indptr, mj.indptr], [mi.indices, mj.indices],
                                          nonempty)
    groups = sorted(sorted(nonempty[g].tolist()) for g in np.split(order, starts[1:]) if g.size)
    assert [int(g[0]) for g in groups] == reps.tolist()
    assert [len(g) for g in groups] == sizes.tolist()
    for c, g in enumerate(groups):
        assert (class_of[g] == c).all()


def test_hash_collision_falls_back_to_exact_grouping(monkeypatch: pytest.MonkeyPatch) -> None:
    P = SupportPattern(["110", "110", "001"], ["110", "101", "011"])
    expected = decide_tractability(P).to_dict()
    monkeypatch.setattr(tr, "_group_equal", lambda *a: None)
    assert decide_tractability(P).to_dict() == expected


def test_analysis_work_limit_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_limits, "ANALYSIS_WORK_LIMIT", 1000)
    with pytest.raises(SizeLimitError, match=r"about \d+ index steps, above the limit "
                                             "ANALYSIS_WORK_LIMIT = 1000"):
        decide_tractability(families.lu(40))


def test_graph_and_cec_work_limits_degrade_honestly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tr, "GRAPH_WORK_LIMIT", 10)
    monkeypatch.setattr(tr, "CEC_WORK_LIMIT", 1)
    d = decide_tractability(families.lu(30)).to_dict()
    assert d["verdict"] == "not-certified"
    assert "CEC_WORK_LIMIT = 1" in d["cec"]["stopped_because"]
    assert d["overlap_graph"]["n_edges"] is None
    assert "GRAPH_WORK_LIMIT = 10" in d["overlap_graph"]["note"]


# ---- interrupts, kills, temporaries -------------------------------------------------------


def test_ctrl_c_exits_130_without_output(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    import fsmf_check.commands.report as rep

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rep, "collect_report", interrupted)
    import fsmf_check.report.build as build

    monkeypatch.setattr(build, "collect_report", interrupted)
    res = run_cli("report", CASES / "e4-lu-2x2.toml", "-o", tmp_path / "out")
    assert res.exit_code == 130
    assert _err_line(res) == "Error: interrupted"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_sigint_on_a_real_process_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "f.npz"
    proc = subprocess.Popen([sys.executable, "-m", "fsmf_check", "butterfly", "dft:4096",
                             "-q"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # pragma: no cover - a very fast machine
        pytest.skip("the run finished before the interrupt")
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Error: interrupted"
    assert not out.exists()


_WRITER = """
import sys
from fsmf_check.files import atomic_write_bytes
print("ready", flush=True)
atomic_write_bytes(sys.argv[1], b"N" * (256 * 2**20))
"""


def test_sigkill_during_a_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"old content")
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], env=ENV,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    deadline = time.time() + 30
    while time.time() < deadline and not list(tmp_path.glob(".out.bin.*.tmp")):
        time.sleep(0.005)
    proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()
    data = target.read_bytes()
    assert data == b"old content" or data == b"N" * (256 * 2**20)
    # the next write removes the dead writer's temporary file
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_stale_witness_png_never_survives_into_a_new_report(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    out.mkdir()
    (out / "witness.png").write_bytes(b"stale")
    res = run_cli("report", CASES / "e1-dto-singletons.toml", "-o", out, "-q")
    assert res.exit_code == 0, res.stderr
    assert not (out / "witness.png").exists()


# ---- outputs never overwrite inputs -------------------------------------------------------


def _case_with_file_target(d: Path) -> Path:
    np.save(d / "A.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (d / "c.toml").write_text('name = "c"\n[supports]\nI = ["10", "01"]\nJ = ["10", "01"]\n'
                              '[target]\nfile = "A.npy"\n')
    return d / "c.toml"


def test_solve_save_onto_the_target_file_is_refused(tmp_path: Path) -> None:
    case = _case_with_file_target(tmp_path)
    before = (tmp_path / "A.npy").read_bytes()
    (tmp_path / "sub").mkdir()
    for save in (tmp_path / "A.npy", tmp_path / "sub" / ".." / "A.npy"):
        res = run_cli("solve", case, "--save", save, "-q")
        assert res.exit_code == 2
        assert "is an input file" in _err_line(res)
    assert (tmp_path / "A.npy").read_bytes() == before


def test_report_into_the_folder_of_its_input_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "report.json"
    case.write_text('{"name": "j", "supports": {"family": "lu", "n": 2}}')
    res = run_cli("report", case, "-o", tmp_path)
    assert res.exit_code == 2
    assert "is an input file" in _err_line(res)
    assert case.read_text() == '{"name": "j", "supports": {"family": "lu", "n": 2}}'


# ---- exit 2 (not 4) for hostile inputs ----------------------------------------------------


def test_integers_over_the_int_string_limit_are_exit_2(tmp_path: Path) -> None:
    big = "9" * 5000
    (tmp_path / "a.toml").write_text(f'name = "x"\n[supports]\nfamily = "lu"\nn = {big}\n')
    (tmp_path / "b.json").write_text(f'{{"name": "x", "supports": {{"family": "lu", '
                                     f'"n": {big}}}}}')
    for f in ("a.toml", "b.json"):
        res = run_cli("analyze", tmp_path / f)
        assert res.exit_code == 2
        assert "int-string limit" in _err_line(res)


def _npz(path: Path, compress_type: int | None = None, encrypted: bool = False) -> Path:
    buf = io.BytesIO()
    np.save(buf, np.eye(2))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("A.npy", buf.getvalue())
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    if encrypted:
        raw[6] |= 1
        raw[central + 8] |= 1
    if compress_type is not None:
        raw[8:10] = compress_type.to_bytes(2, "little")
        raw[central + 10:central + 12] = compress_type.to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    return path


def test_encrypted_or_unknown_compression_npz_is_exit_2(tmp_path: Path) -> None:
    for p, what in ((_npz(tmp_path / "e.npz", encrypted=True), "encrypted"),
                    (_npz(tmp_path / "u.npz", compress_type=99), "compression method 99")):
        res = run_cli("butterfly", p, "-q")
        assert res.exit_code == 2
        assert what in _err_line(res)


def test_perm_entries_at_2_63_and_oversized_perm_files_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text(f"{2**63}\n0\n")
    np.save(tmp_path / "p.npy", np.array([2**63, 0], dtype=np.uint64))
    for p in ("p.txt", "p.npy"):
        res = run_cli("butterfly", "hadamard:2", "--perm", tmp_path / p, "-q")
        assert res.exit_code == 2, res.stderr
        _err_line(res)
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:  # sparse 60 MB file: refused from its size, never read
        fh.truncate(60 * 2**20)
    res = run_cli("butterfly", "hadamard:4", "--perm", big, "-q")
    assert res.exit_code == 2
    assert "MAX_PERM_BYTES_PER_ENTRY" in _err_line(res)


def test_case_file_size_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(300 * 2**20)
    res = run_cli("analyze", big)
    assert res.exit_code == 2
    assert "MAX_CASE_BYTES" in _err_line(res)


def test_json_duplicate_keys_and_toml_comment_brackets(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{"name": "a", "name": "b", "supports": '
                                     '{"family": "lu", "n": 2}}')
    res = run_cli("analyze", tmp_path / "d.json")
    assert res.exit_code == 2 and "duplicate key 'name'" in _err_line(res)
    (tmp_path / "c.toml").write_text('name = "c" # ' + "[" * 100 + '\n[supports]\n'
                                     'family = "lu"\nn = 2\n')
    assert run_cli("analyze", tmp_path / "c.toml", "-q").exit_code == 0


# ---- memory budget ------------------------------------------------------------------------


def test_memory_option_and_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _limits.parse_memory("1.5G") == 3 * 2**29
    with pytest.raises(InvalidInputError):
        _limits.parse_memory("lots")
    res = run_cli("--max-memory", "1K", "certify", CASES / "e4-lu-2x2.toml")
    assert res.exit_code == 2
    assert "above the limit --max-memory" in _err_line(res)
    monkeypatch.setenv("FSMF_CHECK_MAX_MEMORY", "1K")
    res = run_cli("certify", CASES / "e4-lu-2x2.toml")
    assert res.exit_code == 2
    monkeypatch.setenv("FSMF_CHECK_MAX_MEMORY", "nonsense")
    res = run_cli("analyze", CASES / "e4-lu-2x2.toml")
    assert res.exit_code == 2 and "memory size must look like" in _err_line(res)
    _limits.set_max_memory(None)


def _limit_as() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))


def test_exact_work_above_the_budget_is_refused_not_aborted(tmp_path: Path) -> None:
    """FLINT aborts the process (exit 134) when an allocation fails: estimate first."""
    case = tmp_path / "dft.toml"
    case.write_text('name = "dft-256"\nkind = "chain"\n[supports]\nfamily = "butterfly"\n'
                    'n = 256\n[target]\ngenerator = "dft"\ncolumns = "bitrev"\n')
    proc = subprocess.run([sys.executable, "-m", "fsmf_check", "--max-memory", "600K",
                           "certify", case], env=ENV, capture_output=True, text=True,
                          timeout=120, preexec_fn=_limit_as, check=False)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "above the limit --max-memory" in proc.stderr
    assert proc.stdout == ""

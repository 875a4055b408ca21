"""Regression tests for the defects the hardening suite found (all fixed).

Each test asserts the behaviour docs/reference/cli.md requires (bad input: exit 2 and one ``Error:`` line;
never exit 4; sizes refused before allocation); its docstring names the defect it guards.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from fsmf_check.inputs.cases import load_case
from fsmf_check.errors import CaseFormatError

from ._util import CASES, assert_one_error_line, run_cli, traced_peak


def _case(tmp_path: Path, data: dict, name: str = "c.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _expect_usage_error(res, fragment: str | None = None) -> None:
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    line = assert_one_error_line(res)
    assert "internal error" not in line
    if fragment is not None:
        assert fragment in line


def test_deeply_nested_toml_is_a_case_format_error(tmp_path: Path) -> None:
    """Regression: fsmf_check/cases.py load_case: tomllib raises RecursionError on deeply
    nested arrays; only TOMLDecodeError is caught."""
    path = tmp_path / "deep.toml"
    path.write_text('name = "t"\n[supports]\nI = ' + "[" * 600 + "]" * 600 + '\nJ = ["1"]\n')
    _expect_usage_error(run_cli("analyze", path), "deep.toml")
    with pytest.raises(CaseFormatError):
        load_case(path)


@pytest.mark.parametrize("outputs", [["a"], [1.5], [[1]], [True]])
def test_truncated_butterfly_outputs_must_be_integers(tmp_path: Path, outputs: list) -> None:
    """Regression: fsmf_check/families.py truncated_butterfly: items of an 'outputs' list are
    not checked to be integers (TypeError / IndexError escape)."""
    path = _case(tmp_path, {"name": "t", "kind": "chain",
                            "supports": {"family": "truncated-butterfly", "n": 8,
                                         "outputs": outputs}})
    _expect_usage_error(run_cli("analyze", path), "outputs")


@pytest.mark.parametrize("command", ["analyze", "report", "certify"])
def test_all_empty_supports_get_an_answer(tmp_path: Path, command: str) -> None:
    """Regression: analysis.decide_tractability raises NotApplicableError 'every rank-one
    support is empty' and analyze_case, report/build.py and exact identifiability let it
    escape as exit 4 (closedness answers 'closed', membership answers 'member' iff A = 0)."""
    path = _case(tmp_path, {"name": "t", "supports": {"I": ["10", "00"], "J": ["01", "01"]},
                            "target": {"A": [[0, 0], [0, 1]]}})
    extra = ["-o", str(tmp_path / "out"), "--no-pictures"] if command == "report" else []
    res = run_cli(command, path, *extra)
    assert res.exit_code in (0, 1, 2, 3), res.stderr
    if res.exit_code == 2:
        _expect_usage_error(res, "empty")


def _npy_with_header(path: Path, header: str, payload: bytes = b"\0" * 256) -> Path:
    raw = header.encode("latin1")
    raw += b" " * (118 - len(raw)) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + payload)
    return path


def test_npy_with_negative_shape_is_refused(tmp_path: Path) -> None:
    """Regression: fsmf_check/numeric/matrices.py _check_header: a negative dimension in the
    .npy header reaches fh.read(negative) (ValueError)."""
    path = _npy_with_header(tmp_path / "neg.npy",
                            "{'descr': '<f8', 'fortran_order': False, 'shape': (-4, 4), }")
    _expect_usage_error(run_cli("butterfly", path), "neg.npy")


@pytest.mark.parametrize(("header", "version"), [
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (True, 4), }", b"\x01\x00"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4, }", b"\x01\x00"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4), }", b"\x03\x00"),
])
def test_malformed_npy_headers_are_refused(tmp_path: Path, header: str, version: bytes) -> None:
    """Regression: fsmf_check/numeric/matrices.py _read_npy_stream: malformed headers escape
    the (ValueError, OSError, EOFError) guard: a bool dimension gives TypeError,
    unbalanced brackets tokenize.TokenError, a format version other than 1.0/2.0 calls the
    removed np.lib.format._read_array_header (AttributeError)."""
    raw = header.encode("latin1")
    raw += b" " * (118 - len(raw)) + b"\n"
    path = tmp_path / "bad.npy"
    path.write_bytes(b"\x93NUMPY" + version + struct.pack("<H", len(raw)) + raw + b"\0" * 128)
    _expect_usage_error(run_cli("butterfly", path), "bad.npy")


def test_mtx_integer_overflow_is_refused(tmp_path: Path) -> None:
    """Regression: fsmf_check/numeric/matrices.py read_matrix_file: scipy.io.mmread raises
    OverflowError for an integer entry beyond int64; only ValueError/OSError/IndexError
    are caught."""
    path = tmp_path / "big.mtx"
    path.write_text("%%MatrixMarket matrix coordinate integer general\n4 4 1\n"
                    "1 1 99999999999999999999999999\n")
    _expect_usage_error(run_cli("butterfly", path), "big.mtx")


def test_certify_truncated_target_file_is_refused(tmp_path: Path) -> None:
    """Regression: fsmf_check/exact/targets.py: the exact engine reads target files with
    np.load and lets its ValueError escape for a truncated .npy (the numeric reader
    refuses it)."""
    _npy_with_header(tmp_path / "A.npy",
                     "{'descr': '<i8', 'fortran_order': False, 'shape': (4, 4), }", b"\0" * 20)
    path = _case(tmp_path, {"name": "t", "kind": "chain",
                            "supports": {"family": "butterfly", "n": 4},
                            "target": {"file": "A.npy"}})
    _expect_usage_error(run_cli("certify", path), "A.npy")


@pytest.mark.parametrize("header", [
    "{'descr': '|i1', 'fortran_order': False, 'shape': (12000, 12000), }",
    "{'desc': '<i8', 'fortran_order': False, 'shape': (4, 4), }",
])
def test_certify_checks_target_file_header_before_allocating(tmp_path: Path,
                                                             header: str) -> None:
    """Regression: fsmf_check/exact/targets.py _from_file: np.load allocates the whole array
    before check_dense runs, so a header above MAX_DENSE_ENTRIES is allocated (here 144
    MB; a 10^10-entry header allocated 80 GB) and the bad file then fails with exit 4."""
    _npy_with_header(tmp_path / "A.npy", header, b"\0" * 64)
    path = _case(tmp_path, {"name": "t", "supports": {"family": "full", "m": 12000,
                                                      "n": 12000, "r": 1},
                            "target": {"file": "A.npy"}})
    res, peak = traced_peak(lambda: run_cli("certify", path))
    _expect_usage_error(res, "A.npy")
    assert peak < 64 * 2**20


def test_butterfly_with_huge_finite_entries(tmp_path: Path) -> None:
    """Regression: fsmf_check/numeric (_svd.py / hierarchical.py): finite entries near 1e200
    overflow the Gram products and the result is NaN (RuntimeWarning; exit 4 under -W
    error)."""
    path = tmp_path / "big.npy"
    np.save(path, np.full((4, 4), 1e200))
    res = run_cli("butterfly", path, "--json")
    assert res.exit_code in (0, 2), res.stderr
    if res.exit_code == 0:
        assert json.loads(res.stdout)["results"]["solve"]["rel_error"] != "nan"


def test_solve_with_integer_beyond_float_range(tmp_path: Path) -> None:
    """Regression: fsmf_check/numeric/matrices.py numeric_target: an exact integer entry
    beyond the float range (10**400) raises OverflowError instead of a one-line error."""
    path = _case(tmp_path, {"name": "t", "supports": {"I": ["10", "01"], "J": ["10", "01"]},
                            "target": {"A": [[10**400, 0], [0, 1]]}})
    _expect_usage_error(run_cli("solve", path))


@pytest.mark.parametrize("command", ["solve", "report"])
def test_unwritable_output_is_a_usage_error(tmp_path: Path, command: str) -> None:
    """Regression: fsmf_check/_output.py atomic_write_bytes: an OSError on the output path
    (parent is a file) escapes as exit 4 instead of 'Error: cannot write ...' (exit 2)."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    if command == "solve":
        res = run_cli("solve", CASES / "e1-dto-singletons.toml", "--save", blocker / "f.npz")
    else:
        res = run_cli("report", CASES / "e1-dto-singletons.toml", "-o", blocker / "out",
                      "--no-pictures")
    _expect_usage_error(res)


def test_check_with_invalid_case_prints_an_error_line(tmp_path: Path) -> None:
    """Regression: fsmf_check/checking.py check_paths / cli.py check: an invalid case file
    gives exit 2 but no 'Error: ...' line on stderr (docs/reference/cli.md)."""
    (tmp_path / "bad.toml").write_text('name = "bad"\n[supports]\nI = ["12"]\nJ = ["1"]\n')
    res = run_cli("check", tmp_path)
    _expect_usage_error(res, "bad.toml")


@pytest.mark.parametrize("target", [{"A": [[1.5, 2], [3, 4]]},
                                    {"generator": "random-in-support", "noise": 0.01}])
def test_report_with_numeric_target(tmp_path: Path, target: dict) -> None:
    """Regression: fsmf_check/report/build.py collect_results: a case with a numeric (float)
    target makes the whole report fail with the exact engine's refusal instead of omitting
    the exact sections."""
    path = _case(tmp_path, {"name": "t", "supports": {"I": ["10", "01"], "J": ["10", "01"]},
                            "target": target})
    res = run_cli("report", path, "-o", tmp_path / "out", "--no-pictures", "--json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["results"]["closedness"]["verdict"] == "closed"
    assert "membership" not in data["results"] or not data["results"]["membership"]["exact"]


@pytest.mark.parametrize(("key", "value"), [("tolerance", float("nan")),
                                            ("tolerance", float("inf")),
                                            ("optimal_value", float("nan")),
                                            ("rel_error_max", float("nan"))])
def test_expect_numbers_must_be_finite(tmp_path: Path, key: str, value: float) -> None:
    """Regression: fsmf_check/cases.py _parse_expect: NaN / infinite 'tolerance' and
    'optimal_value' are accepted (NaN < 0 is False), so the expectation can never pass."""
    path = _case(tmp_path, {"name": "t", "supports": {"I": ["1"], "J": ["1"]},
                            "expect": {key: value}})
    with pytest.raises(CaseFormatError, match=key):
        load_case(path)


def test_block_diagonal_checks_its_size_before_allocating(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: fsmf_check/families.py block_diagonal: builds dense np.ones((m_t, r_t))
    blocks and their sparse union before any size check ([[2**24, 2**24, 2**24]] ends in
    'out of memory', exit 4; [[2**20, 2**20, 64]] allocates 2.4 GB for 11 s before
    MAX_EXPLICIT_NNZ refuses it)."""
    from fsmf_check import _limits
    from fsmf_check.model import families
    from fsmf_check.errors import SizeLimitError

    monkeypatch.setattr(_limits, "MAX_EXPLICIT_NNZ", 10_000)  # scaled-down limit
    error, peak = traced_peak(lambda: families.block_diagonal([[3000, 3000, 40]]))
    assert isinstance(error, SizeLimitError)
    assert peak < 200_000  # the 120,000-nonzero masks were never built


def test_truncated_butterfly_total_size_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: fsmf_check/families.py truncated_butterfly: each factor mask is checked
    alone, not the total (log2 n masks of about 2n nonzeros): n = 2**24 runs 2 minutes and
    ends in 'out of memory' (or the OOM killer) instead of a SizeLimitError."""
    from fsmf_check import _limits
    from fsmf_check.model import families
    from fsmf_check.errors import SizeLimitError

    monkeypatch.setattr(_limits, "MAX_EXPLICIT_NNZ", 10_000)  # scaled-down limit
    with pytest.raises(SizeLimitError, match="MAX_EXPLICIT_NNZ"):
        families.truncated_butterfly(2**12, 2)  # 12 masks, about 2 * 4096 nonzeros each


def test_analyze_output_stays_small_for_large_structured_patterns(tmp_path: Path) -> None:
    """Regression: fsmf_check/analysis (commands.py text, tractability.py
    SupportClass.to_dict): every row and column index of every listed class is printed, so
    a structured full pattern with m = n = 2**20 prints 16 MB of text and 41 MB of JSON
    (2**24: 170 s, 4 GB); long index lists should be summarized (ranges or counts)."""
    path = _case(tmp_path, {"name": "t", "supports": {"family": "full", "m": 2**18,
                                                      "n": 2**18, "r": 4}})
    res = run_cli("analyze", path, "--json")
    assert res.exit_code == 0
    assert len(res.stdout) < 1_000_000


@pytest.mark.parametrize("outputs", [2**64, 0, -3, 17])
def test_truncated_butterfly_output_count_out_of_range(tmp_path: Path, outputs: int) -> None:
    """Regression: an output count of 2**64 reached range() and escaped as OverflowError."""
    path = _case(tmp_path, {"name": "t", "kind": "chain",
                            "supports": {"family": "truncated-butterfly", "n": 16,
                                         "outputs": outputs}})
    _expect_usage_error(run_cli("analyze", path), "outputs")


@pytest.mark.parametrize("text", [
    "%%MatrixMarket matrix array real general\n2 2\n1 1 99999999999999999999999999\n",
    "%%MatrixMarket matrix array real general\n1 1\n9 9 1.0\n",
    "%%MatrixMarket matrix coordinate pattern symmetric\n\n4 4 2\n4 4 2\n",
    "%%MatrixMarket matrix coordinate integer skew-symmetric\n4 4 1\n1 2 3.0 4.0\n",
])
def test_malformed_mtx_that_crashed_scipy_is_refused(tmp_path: Path, text: str) -> None:
    """Regression: scipy.io.mmread (fast_matrix_market) died with SIGSEGV on these files
    (found by test_butterfly_on_fuzzed_matrix_files); .mtx is now read by our own parser."""
    path = tmp_path / "A.mtx"
    path.write_text(text)
    _expect_usage_error(run_cli("butterfly", path), "A.mtx")


@pytest.mark.parametrize("symmetry", ["general", "symmetric", "skew-symmetric", "hermitian"])
@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("vectorized", [True, False])
def test_mtx_reader_round_trips_scipy_files(tmp_path: Path, symmetry: str, dense: bool,
                                            vectorized: bool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Matrix Market kind scipy writes is read back exactly, by the vectorized path and
    by the line-by-line path alike."""
    import scipy.io
    import scipy.sparse as sp

    from fsmf_check.inputs import matrix_files as _matrix_io
    from fsmf_check.inputs.matrix_files import read_raw_matrix

    if not vectorized:
        monkeypatch.setattr(_matrix_io, "_mtx_fast", lambda *args: None)

    rng = np.random.default_rng(7)
    if symmetry == "hermitian":
        M = rng.integers(-5, 5, (5, 5)) + 1j * rng.integers(-5, 5, (5, 5))
        M = M + M.conj().T
    else:
        M = rng.integers(-9, 9, (5, 5))
        M = {"general": M, "symmetric": M + M.T, "skew-symmetric": M - M.T}[symmetry]
    path = tmp_path / "A.mtx"
    scipy.io.mmwrite(str(path), M if dense else sp.coo_matrix(M), symmetry=symmetry)
    back = read_raw_matrix(path)
    assert back.dtype == (np.complex128 if symmetry == "hermitian" else np.int64)
    assert np.array_equal(back, M)

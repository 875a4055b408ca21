"""Matrix inputs: files, generator specs, case targets, and their one-line errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from fsmf_check.inputs.cases import parse_case
from fsmf_check.errors import (
    InvalidInputError,
    NonFiniteError,
    ShapeError,
    SizeLimitError,
)
from fsmf_check.inputs.matrix_specs import (
    bitrev,
    dft,
    hadamard,
    load_matrix,
    load_permutation,
    numeric_target,
    parse_matrix_spec,
    read_matrix_file,
    validate_matrix,
)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_generators() -> None:
    np.testing.assert_allclose(dft(8), np.fft.fft(np.eye(8)), atol=1e-14)
    assert bitrev(16).tolist() == [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15]
    H = hadamard(8)
    np.testing.assert_array_equal(H @ H.T, 8 * np.eye(8))
    M = parse_matrix_spec("random-butterfly:16:5")
    prod = M.planted[0]
    for F in M.planted[1:]:
        prod = prod @ F
    np.testing.assert_allclose(M.A, prod.toarray(), atol=1e-13)
    noisy = parse_matrix_spec("random-butterfly:16:5:noise=0.1")
    # same planted factors, noise of the requested relative size
    assert np.linalg.norm(noisy.A - M.A) == pytest.approx(0.1 * np.linalg.norm(M.A), rel=1e-12)
    assert noisy.noise_norm == pytest.approx(0.1 * np.linalg.norm(M.A), rel=1e-12)
    assert not M.A.flags.writeable


@pytest.mark.parametrize("spec, exc, fragment", [
    ("hadamard:12", InvalidInputError, "power of two"),
    ("random-butterfly:24", InvalidInputError, "power of two"),
    ("dft:x", InvalidInputError, "integer N"),
    ("dft:0", InvalidInputError, "N >= 1"),
    ("random-butterfly:8:-1", InvalidInputError, "seed"),
    ("random-butterfly:8:1:noise=nan", InvalidInputError, "noise"),
    ("random-butterfly:8:1:colour=3", InvalidInputError, "unknown"),
    ("wavelet:8", InvalidInputError, "generator spec"),
    ("dft:100000", SizeLimitError, "MAX_DENSE_ENTRIES"),
])
def test_bad_specs(spec: str, exc: type, fragment: str) -> None:
    with pytest.raises(exc) as info:
        load_matrix(spec)
    assert fragment in _one_line(info)


def test_files_roundtrip(tmp_path: Path) -> None:
    A = np.arange(12.0).reshape(3, 4)
    np.save(tmp_path / "a.npy", A)
    np.testing.assert_array_equal(read_matrix_file(tmp_path / "a.npy"), A)
    np.save(tmp_path / "f.npy", np.asfortranarray(A))
    np.testing.assert_array_equal(read_matrix_file(tmp_path / "f.npy"), A)
    np.savez(tmp_path / "b.npz", A=A + 1j, other=np.ones(3))
    np.testing.assert_array_equal(read_matrix_file(tmp_path / "b.npz"), A + 1j)
    np.savez_compressed(tmp_path / "c.npz", M=A.astype(np.int32))
    np.testing.assert_array_equal(read_matrix_file(tmp_path / "c.npz"), A)
    scipy.io.mmwrite(str(tmp_path / "d.mtx"), sp.coo_array(A))
    np.testing.assert_array_equal(read_matrix_file(tmp_path / "d.mtx"), A)
    assert load_matrix(str(tmp_path / "a.npy")).A.shape == (3, 4)


def test_file_errors(tmp_path: Path) -> None:
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan]]))
    with pytest.raises(NonFiniteError) as info:
        read_matrix_file(tmp_path / "nan.npy")
    assert "row 0, column 1" in _one_line(info)
    np.save(tmp_path / "cube.npy", np.ones((2, 2, 2)))
    with pytest.raises(ShapeError) as info:
        read_matrix_file(tmp_path / "cube.npy")
    assert "two-dimensional" in _one_line(info)
    np.save(tmp_path / "str.npy", np.array([["a", "b"]]))
    with pytest.raises(InvalidInputError) as info:
        read_matrix_file(tmp_path / "str.npy")
    assert "numeric dtype" in _one_line(info)
    (tmp_path / "junk.npy").write_bytes(b"not an array at all")
    with pytest.raises(InvalidInputError) as info:
        read_matrix_file(tmp_path / "junk.npy")
    assert "not a valid .npy" in _one_line(info)
    np.savez(tmp_path / "two.npz", X=np.ones((2, 2)), Y=np.ones((2, 2)))
    with pytest.raises(InvalidInputError) as info:
        read_matrix_file(tmp_path / "two.npz")
    assert "exactly one array" in _one_line(info)
    with pytest.raises(InvalidInputError):
        read_matrix_file(tmp_path / "missing.npy")


def test_huge_header_refused_before_allocation(tmp_path: Path) -> None:
    # a tiny .npy whose header claims a 10^6 x 10^6 float64 array: refused from the header alone
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10**6, 10**6)})
    (tmp_path / "huge.npy").write_bytes(buf.getvalue())
    with pytest.raises(SizeLimitError) as info:
        read_matrix_file(tmp_path / "huge.npy")
    assert "MAX_DENSE_ENTRIES" in _one_line(info)
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as zf:
        zf.writestr("A.npy", buf.getvalue())
    with pytest.raises(SizeLimitError):
        read_matrix_file(tmp_path / "huge.npz")
    (tmp_path / "huge.mtx").write_text("%%MatrixMarket matrix coordinate real general\n"
                                        "1000000 1000000 1\n1 1 1.0\n")
    with pytest.raises(SizeLimitError):
        read_matrix_file(tmp_path / "huge.mtx")


def test_truncated_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones((4, 4)))
    data = (tmp_path / "a.npy").read_bytes()
    (tmp_path / "a.npy").write_bytes(data[:-8])
    with pytest.raises(InvalidInputError) as info:
        read_matrix_file(tmp_path / "a.npy")
    assert "truncated" in _one_line(info)


def test_validate_matrix() -> None:
    assert validate_matrix([[True, False]]).dtype == np.float64
    with pytest.raises(ShapeError):
        validate_matrix(np.ones(3))
    with pytest.raises(ShapeError):
        validate_matrix(np.ones((0, 3)))
    with pytest.raises(InvalidInputError):
        validate_matrix([[1, 2], [3]])


def test_permutation_files(tmp_path: Path) -> None:
    np.save(tmp_path / "p.npy", np.array([2, 0, 1]))
    assert load_permutation(tmp_path / "p.npy", 3).tolist() == [2, 0, 1]
    (tmp_path / "p.txt").write_text("2,0,1\n")
    assert load_permutation(tmp_path / "p.txt", 3).tolist() == [2, 0, 1]
    with pytest.raises(ShapeError):
        load_permutation(tmp_path / "p.txt", 4)
    (tmp_path / "q.txt").write_text("0 5 1")
    with pytest.raises(InvalidInputError, match="not a permutation"):
        load_permutation(tmp_path / "q.txt", 3)
    (tmp_path / "r.txt").write_text("0 x 1")
    with pytest.raises(InvalidInputError, match="integers only"):
        load_permutation(tmp_path / "r.txt", 3)


def test_numeric_targets_of_cases(tmp_path: Path) -> None:
    base = {"name": "t", "supports": {"I": ["10", "01"], "J": ["10", "01"]}}
    c = parse_case({**base, "target": {"A": [["1/2", "1+2i"], ["-3", "0"]]}})
    np.testing.assert_array_equal(numeric_target(c).A, [[0.5, 1 + 2j], [-3, 0]])
    c = parse_case({"name": "t", "kind": "chain", "supports": {"family": "butterfly", "n": 8},
                    "target": {"generator": "dft", "n": 8, "columns": "bitrev"}})
    np.testing.assert_allclose(numeric_target(c).A, dft(8)[:, bitrev(8)], atol=1e-15)
    c = parse_case({"name": "t", "kind": "chain", "supports": {"family": "butterfly", "n": 8},
                    "target": {"generator": "hadamard", "n": 8, "noise": 0.5}})
    T = numeric_target(c)
    assert np.linalg.norm(T.A - hadamard(8)) == pytest.approx(0.5 * 8, rel=1e-12)  # ||H_8||_F = 8
    np.save(tmp_path / "A.npy", np.eye(2))
    (tmp_path / "c.toml").write_text('name = "t"\n[supports]\nI = ["10", "01"]\n'
                                     'J = ["10", "01"]\n[target]\nfile = "A.npy"\n')
    from fsmf_check.inputs.cases import load_case

    np.testing.assert_array_equal(numeric_target(load_case(tmp_path / "c.toml")).A, np.eye(2))
    with pytest.raises(InvalidInputError, match="no \\[target\\]"):
        numeric_target(parse_case(base))


def test_integer_generators_match_the_exact_engine() -> None:
    """Same seed, same draw order: the numeric targets equal the exact engine's targets."""
    from fsmf_check.exact.targets import exact_target

    for data in (
        {"name": "t", "kind": "chain", "supports": {"family": "butterfly", "n": 8},
         "target": {"generator": "random-butterfly", "n": 8, "seed": 3, "entries": "integer"}},
        {"name": "t", "supports": {"I": ["110", "011"], "J": ["101", "110", "011"]},
         "target": {"generator": "random-in-support", "seed": 2, "entries": "integer"}},
        {"name": "t", "kind": "chain", "supports": {"family": "monarch", "m": 2, "rank": 2},
         "target": {"generator": "random-in-support", "seed": 1, "entries": "integer"}},
    ):
        case = parse_case(data)
        exact = exact_target(case)
        values = np.array([[float(exact.backend.to_public(v)) for v in row] for row in exact.A])
        np.testing.assert_array_equal(numeric_target(case).A, values)

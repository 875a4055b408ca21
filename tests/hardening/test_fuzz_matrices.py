"""Fuzz matrix files through ``fsmf-check butterfly`` (and a case's ``[target] file``).

Inputs: ``.npy`` files with hand-built headers (any dtype string, Fortran flag, shape:
negative, huge, 0-, 1-, 3-dimensional, not a tuple) and truncated or padded payloads; valid
``.npy`` files with NaN/inf, object/string/record/datetime dtypes; byte-level corruptions;
``.npz`` archives (several arrays, no ``A``, corrupt members, random bytes); Matrix Market
garbage. Every run must exit 0/1/2/3, with one ``Error:`` line for exit 2, no traceback.
Huge headers must be refused before anything is allocated (checked with tracemalloc).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._util import assert_clean, assert_one_error_line, run_cli, traced_peak

_DESCR = ["<f8", "<c16", "|b1", "<i8", "|u1", ">f4", "<f2", "<c8", "|O", "<U3", "<M8[s]",
          "[('a', '<f8')]", "garbage", "<f8'", "V8", "S4", "<f16"]
_SHAPES = ["(4, 4)", "(8, 8)", "(2, 2)", "(4, 8)", "(3, 3)", "(1, 1)", "(0, 4)", "(4,)", "()",
           "(2, 2, 2)", "(-4, 4)", "(100000, 100000)", "(2**70, 4)", "(99999999999999999999, 1)",
           "[4, 4]", "4", "'x'", "(4, 4, )", "(4.0, 4)", "(True, 4)"]
_OPTIONS = st.lists(st.sampled_from([["--tree", "left"], ["--tree", "balanced"],
                                     ["--tree", "right"], ["--order", "reversed"],
                                     ["--bitrev"], ["--no-orthonormalize"], ["--json"],
                                     ["--quiet"]]), max_size=3)


def _npy_bytes(header: str, payload: bytes, version: int = 1) -> bytes:
    raw = header.encode("latin1", "replace")
    pad = 64 - (len(raw) + 11) % 64 if version == 1 else 64 - (len(raw) + 13) % 64
    raw += b" " * (pad % 64) + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + payload
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(raw)) + raw + payload


@st.composite
def npy_files(draw) -> bytes:
    """A .npy file: hand-built header + payload, a real array, or a corrupted real array."""
    kind = draw(st.sampled_from(["header", "array", "corrupt"]))
    if kind == "header":
        descr = repr(draw(st.sampled_from(_DESCR)))
        fortran = draw(st.sampled_from(["False", "True", "'x'"]))
        shape = draw(st.sampled_from(_SHAPES))
        header = ("{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': "
                  + shape + ", }")
        if draw(st.booleans()):
            header = header.replace("'descr'", draw(st.sampled_from(["'desc'", "'descr' "])))
        payload = b"\0" * draw(st.sampled_from([0, 7, 16, 128, 512, 1024]))
        return _npy_bytes(header, payload, draw(st.sampled_from([1, 2])))
    n = draw(st.sampled_from([1, 2, 3, 4, 8]))
    dtype = draw(st.sampled_from(["f8", "f4", "f2", "c16", "c8", "i1", "i8", "u8", "?",
                                  ">f8", "g"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A = rng.standard_normal((n, draw(st.sampled_from([n, n, 2 * n]))))
    A = A.astype(dtype) if dtype not in ("c16", "c8") else (A + 1j * A).astype(dtype)
    if A.dtype.kind in "fc" and draw(st.booleans()):
        bad = draw(st.sampled_from([np.nan, np.inf, -np.inf, 0.0]))
        A.flat[draw(st.integers(0, A.size - 1))] = bad
    buf = io.BytesIO()
    np.save(buf, A if not draw(st.booleans()) else np.asfortranarray(A))
    data = bytearray(buf.getvalue())
    if kind == "corrupt":
        for _ in range(draw(st.integers(1, 4))):
            op = draw(st.sampled_from(["flip", "truncate", "append"]))
            if op == "flip" and data:
                pos = draw(st.integers(0, len(data) - 1))
                data[pos] = draw(st.integers(0, 255))
            elif op == "truncate":
                del data[draw(st.integers(0, len(data))):]
            elif op == "append":
                data.extend(b"\x00" * draw(st.integers(1, 64)))
    return bytes(data)


@st.composite
def npz_files(draw) -> bytes:
    """A .npz archive: valid, several arrays, no 'A', corrupted member, or random bytes."""
    kind = draw(st.sampled_from(["A", "single", "several", "member", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(min_size=0, max_size=200))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=draw(st.sampled_from([zipfile.ZIP_STORED,
                                                                     zipfile.ZIP_DEFLATED]))) as z:
        if kind == "member":
            z.writestr(draw(st.sampled_from(["A.npy", "B.npy", "A"])), draw(npy_files()))
        else:
            names = {"A": ["A"], "single": ["X"], "several": ["B", "C"]}[kind]
            for name in names:
                inner = io.BytesIO()
                np.save(inner, np.eye(draw(st.sampled_from([2, 3, 4]))))
                z.writestr(f"{name}.npy", inner.getvalue())
    return buf.getvalue()


_MTX_BANNERS = ["%%MatrixMarket matrix coordinate real general",
                "%%MatrixMarket matrix coordinate complex hermitian",
                "%%MatrixMarket matrix coordinate pattern symmetric",
                "%%MatrixMarket matrix array real general",
                "%%MatrixMarket matrix coordinate integer skew-symmetric",
                "%%MatrixMarket tensor coordinate real general", "%%MatrixMarket", "", "garbage"]
_MTX_LINES = ["4 4 1", "4 4 2", "2 2", "-4 4 1", "100000 100000 1", "1 1 1.0", "4 4 nan",
              "1 1 inf", "9 9 1.0", "1 1", "x y z", "1 1 1 1", "1.5", "0 0 1",
              "1 1 99999999999999999999999999", "1 2 3.0 4.0", "%comment", ""]


@st.composite
def mtx_files(draw) -> bytes:
    lines = [draw(st.sampled_from(_MTX_BANNERS))]
    lines += draw(st.lists(st.sampled_from(_MTX_LINES), max_size=6))
    return "\n".join(lines).encode()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(npy_files().map(lambda b: (".npy", b)), npz_files().map(lambda b: (".npz", b)),
                 mtx_files().map(lambda b: (".mtx", b))), _OPTIONS)
def test_butterfly_on_fuzzed_matrix_files(tmp_path_factory, file: tuple[str, bytes],
                                          options: list[list[str]]) -> None:
    suffix, data = file
    path = tmp_path_factory.mktemp("mx") / f"A{suffix}"
    path.write_bytes(data)
    res = run_cli("butterfly", path, *[tok for opt in options for tok in opt])
    assert_clean(res)
    assert path.read_bytes() == data  # inputs are never modified


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(npy_files(), st.sampled_from(["solve", "analyze", "certify"]))
def test_case_target_file_fuzz(tmp_path_factory, data: bytes, command: str) -> None:
    folder = tmp_path_factory.mktemp("tf")
    (folder / "A.npy").write_bytes(data)
    case = folder / "c.toml"
    case.write_text('name = "t"\nkind = "chain"\n[supports]\nfamily = "butterfly"\nn = 4\n'
                    '[target]\nfile = "A.npy"\n')
    assert_clean(run_cli(command, case))


@pytest.mark.parametrize(("name", "data"), [
    ("hdr.npy", _npy_bytes("{'descr': '<c16', 'fortran_order': False, "
                           "'shape': (100000, 100000), }", b"")),
    ("hdr.mtx", b"%%MatrixMarket matrix coordinate real general\n100000 100000 1\n1 1 1.0\n"),
    ("hdr2.npy", _npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                            "'shape': (16777216, 16777216), }", b"\0" * 64)),
])
def test_huge_headers_are_refused_before_allocation(tmp_path: Path, name: str,
                                                    data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    res, peak = traced_peak(lambda: run_cli("butterfly", path))
    assert res.exit_code == 2
    assert "MAX_DENSE_ENTRIES" in assert_one_error_line(res)
    assert peak < 32 * 2**20  # far below the 160 GB the header announces


@pytest.mark.parametrize(("fill", "fragment"), [(np.nan, "non-finite entry (nan)"),
                                                (np.inf, "non-finite entry (inf)")])
def test_non_finite_entries_name_the_position(tmp_path: Path, fill: float,
                                              fragment: str) -> None:
    A = np.eye(4)
    A[2, 1] = fill
    np.save(tmp_path / "A.npy", A)
    res = run_cli("butterfly", tmp_path / "A.npy")
    assert res.exit_code == 2
    line = assert_one_error_line(res)
    assert fragment in line and "row 2, column 1" in line


def test_object_arrays_are_refused_without_unpickling(tmp_path: Path) -> None:
    np.save(tmp_path / "A.npy", np.array([[1, None], [None, 1]], dtype=object),
            allow_pickle=True)
    res = run_cli("butterfly", tmp_path / "A.npy")
    assert res.exit_code == 2 and "numeric dtype" in assert_one_error_line(res)


def test_valid_files_of_every_format_factorize_exactly(tmp_path: Path) -> None:
    import scipy.io
    import scipy.sparse as sp

    H = np.array([[1.0, 1.0], [1.0, -1.0]])
    H4 = np.kron(H, H)
    np.save(tmp_path / "h.npy", H4)
    np.savez(tmp_path / "h.npz", A=H4, B=np.eye(2))
    scipy.io.mmwrite(str(tmp_path / "h.mtx"), sp.coo_array(H4))
    for name in ("h.npy", "h.npz", "h.mtx"):
        res = run_cli("butterfly", tmp_path / name, "--json")
        assert res.exit_code == 0, res.stderr
        solve = json.loads(res.stdout)["results"]["solve"]
        assert solve["rel_error"] < 1e-14  # Hadamard is exactly a butterfly product (E5)

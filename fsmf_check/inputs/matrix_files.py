"""Reading matrix files (``.npy``, ``.npz``, ``.mtx``) safely, for every engine.

Files come from users, so nothing is trusted: the size on disk is checked against
``MAX_MATRIX_FILE_BYTES``, the header (``.npy`` via ``numpy.lib.format``; ``.mtx`` banner and size
line, read by the strict parser below) against ``MAX_DENSE_ENTRIES`` *before* any data are
allocated, pickled (object) arrays are refused, and every failure is one
:class:`~fsmf_check.errors.InvalidInputError` line. The array keeps its dtype: the numeric
engine converts it to float/complex, the exact engine accepts integers only.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from fsmf_check._limits import MAX_DENSE_ENTRIES, MAX_DIM, MAX_MATRIX_FILE_BYTES
from fsmf_check.errors import InvalidInputError, ShapeError, SizeLimitError

__all__ = ["read_raw_matrix", "read_npy_stream", "MATRIX_SUFFIXES"]

MATRIX_SUFFIXES = (".npy", ".npz", ".mtx")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _check_header(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> None:
    if len(shape) != 2:
        msg = f"{path}: matrix must be two-dimensional; the file holds shape {shape}"
        raise ShapeError(msg)
    rows, cols = shape
    if rows * cols > MAX_DENSE_ENTRIES:
        msg = (f"{path}: matrix is {rows} x {cols} ({rows * cols} entries), above the limit "
               f"MAX_DENSE_ENTRIES = {MAX_DENSE_ENTRIES}")
        raise SizeLimitError(msg)
    if dtype.kind not in "biufc":
        msg = f"{path}: matrix must have a numeric dtype; the file holds {dtype}"
        raise InvalidInputError(msg)


def read_npy_stream(fh: IO[bytes], path: Path, ndim: int = 2) -> np.ndarray:
    """Read one ``.npy`` array from an open binary stream, checking the header first.

    ``ndim=2``: a numeric matrix within MAX_DENSE_ENTRIES; ``ndim=1``: an integer vector of at
    most MAX_DIM entries (permutation files).
    """
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            msg = f"{path}: unsupported .npy format version {version[0]}.{version[1]}"
            raise InvalidInputError(msg)
    except InvalidInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's header parser on untrusted bytes
        msg = f"{path}: not a valid .npy array ({_one_line(exc)})"
        raise InvalidInputError(msg) from None
    if not isinstance(shape, tuple) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        msg = f"{path}: not a valid .npy array (bad shape {shape!r} in the header)"
        raise InvalidInputError(msg)
    if dtype.hasobject:
        msg = f"{path}: matrix must have a numeric dtype; the file holds object (pickled) data"
        raise InvalidInputError(msg)
    if ndim == 2:
        _check_header(path, shape, dtype)
    elif len(shape) != 1 or shape[0] > MAX_DIM or dtype.kind not in "iu":
        msg = (f"{path}: must hold a one-dimensional integer array of at most MAX_DIM = "
               f"{MAX_DIM} entries; got shape {shape}, dtype {dtype}")
        raise InvalidInputError(msg)
    count = int(np.prod(shape))
    nbytes = count * dtype.itemsize
    data = fh.read(nbytes)  # type: ignore[attr-defined]
    if len(data) != nbytes:
        msg = f"{path}: truncated .npy data ({len(data)} of {nbytes} bytes)"
        raise InvalidInputError(msg)
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def _read_npz(path: Path) -> np.ndarray:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        msg = f"{path}: not a valid .npz archive ({_one_line(exc)})"
        raise InvalidInputError(msg) from None
    with zf:
        names = [n for n in zf.namelist() if n.endswith(".npy")]
        if "A.npy" in names:
            name = "A.npy"
        elif len(names) == 1:
            name = names[0]
        else:
            msg = (f"{path}: .npz must hold an array named 'A' or exactly one array; "
                   f"found {[n[:-4] for n in names]}")
            raise InvalidInputError(msg)
        info = zf.getinfo(name)
        if info.flag_bits & 0x1:
            msg = f"{path}: .npz member {name!r} is encrypted; store it unencrypted"
            raise InvalidInputError(msg)
        if info.compress_type not in _ZIP_METHODS:
            msg = (f"{path}: .npz member {name!r} uses zip compression method "
                   f"{info.compress_type}; only stored, deflate, bzip2 and lzma are read")
            raise InvalidInputError(msg)
        if info.file_size > MAX_MATRIX_FILE_BYTES:
            msg = (f"{path}: array {name[:-4]!r} is {info.file_size} bytes uncompressed, "
                   f"above MAX_MATRIX_FILE_BYTES = {MAX_MATRIX_FILE_BYTES}")
            raise SizeLimitError(msg)
        try:
            with zf.open(name) as fh:
                # ZipExtFile is a buffered binary stream; typeshed types zf.open as IO[bytes]
                return read_npy_stream(io.BufferedReader(fh), path)  # type: ignore[type-var]
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:  # unsupported: too
            msg = f"{path}: corrupt .npz member {name!r} ({_one_line(exc)})"
            raise InvalidInputError(msg) from None


_MM_FORMATS = ("coordinate", "array")
_MM_FIELDS = {"real": np.float64, "double": np.float64, "integer": np.int64,
              "complex": np.complex128, "pattern": np.int64}
_MM_SYMMETRIES = ("general", "symmetric", "skew-symmetric", "hermitian")
_INT64_MAX = int(np.iinfo(np.int64).max)


def _mm_error(path: Path, line_no: int, what: str) -> InvalidInputError:
    return InvalidInputError(f"{path}: not a valid Matrix Market file (line {line_no}: {what})")


def _mm_value(tokens: list[str], field: str, path: Path, line_no: int) -> int | float | complex:
    """One entry value from its tokens (Python int / float / complex, checked)."""
    try:
        if field == "integer":
            v: int | float | complex = int(tokens[0])
        elif field == "complex":
            v = complex(float(tokens[0]), float(tokens[1]))
        else:
            v = float(tokens[0])
    except ValueError:
        raise _mm_error(path, line_no, f"{' '.join(tokens)[:60]!r} is not a valid {field} "
                                       "value") from None
    if field == "integer" and abs(v) > _INT64_MAX:
        raise _mm_error(path, line_no, f"integer {tokens[0][:40]} does not fit in 64 bits")
    return v


def _mtx_fast(path: Path, skip: int, fmt: str, field: str, sym: str, rows: int, cols: int,
              expected: int, dtype: np.dtype) -> np.ndarray | None:
    """Vectorized body of :func:`_read_mtx` (numpy's C ``loadtxt``, typed columns).

    Returns ``None`` whenever anything is off (wrong token count, unparsable value, index out
    of range, upper-triangle entry, ...): the line-by-line reader then finds and names the
    offending line. Accepts exactly what that reader accepts.
    """
    val = {"pattern": [], "complex": [("re", "f8"), ("im", "f8")],
           "integer": [("v", "i8")]}.get(field, [("v", "f8")])
    cols_dt = ([("i", "i8"), ("j", "i8")] if fmt == "coordinate" else []) + val
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "empty input" and friends: handled below
            data = np.loadtxt(path, dtype=np.dtype(cols_dt), comments="%", skiprows=skip,
                              ndmin=1, encoding="ascii")
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError, IndexError):
        return None
    if data.shape != (expected,):
        return None
    if field == "complex":
        v = data["re"] + 1j * data["im"]
    elif field == "pattern":
        v = np.ones(expected, dtype=np.int64)
    else:
        v = data["v"]
    if fmt == "coordinate":
        i, j = data["i"] - 1, data["j"] - 1
        if expected and (i.min() < 0 or j.min() < 0 or i.max() >= rows or j.max() >= cols):
            return None
    elif sym == "general":
        j, i = np.divmod(np.arange(expected), rows)
    else:
        j, i = np.triu_indices(rows, 1 if sym == "skew-symmetric" else 0)
    if sym != "general" and (np.any(j > i) or (sym == "skew-symmetric" and np.any(i == j))):
        return None
    if field == "integer" and expected:
        # duplicates and mirrored entries add up: refuse sums that could leave int64
        if np.abs(v).max() > _INT64_MAX // max(1, 2 * expected):
            return None
    A = np.zeros((rows, cols), dtype=dtype)
    np.add.at(A, (i, j), v)
    if sym != "general":
        off = i != j
        mirror = {"symmetric": v[off], "skew-symmetric": -v[off],
                  "hermitian": np.conj(v[off])}[sym]
        np.add.at(A, (j[off], i[off]), mirror)
    return A


def _read_mtx(path: Path) -> np.ndarray:
    """Strict Matrix Market reader.

    NIST format: coordinate or array; real, double, integer, complex or pattern; general,
    symmetric, skew-symmetric or hermitian. Written here because scipy's reader crashes the
    process (SIGSEGV) on some malformed files. Every line is checked (token count, 1-based
    indices in range, lower triangle for the symmetric kinds); the size line is checked against
    MAX_DENSE_ENTRIES before the dense array is allocated. Duplicate coordinate entries are
    summed (COO convention). Pattern files give 0/1 integers.
    """
    with path.open("r", encoding="ascii", errors="replace") as fh:
        banner = fh.readline()
        words = banner.strip().lower().split()
        if len(words) != 5 or words[0] != "%%matrixmarket" or words[1] != "matrix":
            raise _mm_error(path, 1, "the first line must be '%%MatrixMarket matrix FORMAT "
                                     "FIELD SYMMETRY'")
        fmt, field, sym = words[2:]
        if fmt not in _MM_FORMATS or field not in _MM_FIELDS or sym not in _MM_SYMMETRIES:
            raise _mm_error(path, 1, f"unknown format/field/symmetry {fmt} {field} {sym}")
        if (fmt == "array" and field == "pattern") or (sym == "hermitian" and field != "complex") \
                or (sym == "skew-symmetric" and field == "pattern"):
            raise _mm_error(path, 1, f"{fmt} {field} {sym} is not a valid combination")
        per_value = {"pattern": 0, "complex": 2}.get(field, 1)
        line_no = 1
        size: list[str] | None = None
        for line in fh:
            line_no += 1
            if line.strip() and not line.lstrip().startswith("%"):
                size = line.split()
                break
        want = 3 if fmt == "coordinate" else 2
        if size is None or len(size) != want or not all(t.isdigit() for t in size):
            raise _mm_error(path, line_no, f"the size line must be {want} non-negative "
                                           "integers")
        rows, cols = int(size[0]), int(size[1])
        if rows == 0 or cols == 0:
            raise _mm_error(path, line_no, f"empty matrix {rows} x {cols}")
        if sym != "general" and rows != cols:
            raise _mm_error(path, line_no, f"a {sym} matrix must be square; got {rows} x {cols}")
        dtype = np.dtype(_MM_FIELDS[field])
        _check_header(path, (rows, cols), dtype)
        if fmt == "coordinate":
            expected = int(size[2])
            if expected > rows * cols:
                raise _mm_error(path, line_no, f"{expected} entries for a {rows} x {cols} matrix")
            per_line = 2 + per_value
        else:
            n_lower = rows * (rows + 1) // 2 if sym in ("symmetric", "hermitian") else \
                rows * (rows - 1) // 2
            expected = rows * cols if sym == "general" else n_lower
            per_line = per_value
        fast = _mtx_fast(path, line_no, fmt, field, sym, rows, cols, expected, dtype)
        if fast is not None:
            return fast
        A = np.zeros((rows, cols), dtype=dtype)
        seen = 0
        # array files: column-major cursor; the symmetric kinds store the lower triangle
        # (without the diagonal when skew-symmetric)
        below = 1 if sym == "skew-symmetric" else 0
        top = 0 if sym == "general" else below
        ai, aj = top, 0
        for line in fh:
            line_no += 1
            tokens = line.split()
            if not tokens or tokens[0].startswith("%"):
                continue
            if len(tokens) != per_line:
                raise _mm_error(path, line_no, f"expected {per_line} numbers, found "
                                               f"{len(tokens)}")
            if seen == expected:
                raise _mm_error(path, line_no, f"more than the {expected} entries announced")
            if fmt == "coordinate":
                if not (tokens[0].isdigit() and tokens[1].isdigit()):
                    raise _mm_error(path, line_no, "row and column must be positive integers")
                i, j = int(tokens[0]) - 1, int(tokens[1]) - 1
                if not (0 <= i < rows and 0 <= j < cols):
                    raise _mm_error(path, line_no, f"entry ({i + 1}, {j + 1}) outside the "
                                                   f"{rows} x {cols} matrix")
                v = 1 if field == "pattern" else _mm_value(tokens[2:], field, path, line_no)
            else:
                i, j = ai, aj
                ai += 1
                if ai == rows:
                    aj += 1
                    ai = 0 if sym == "general" else aj + below
                v = _mm_value(tokens, field, path, line_no)
            if sym != "general" and j > i:
                raise _mm_error(path, line_no, f"a {sym} file lists the lower triangle only; "
                                               f"found ({i + 1}, {j + 1})")
            if sym == "skew-symmetric" and i == j:
                raise _mm_error(path, line_no, "a skew-symmetric file has no diagonal entries")
            updates = [(i, j, v)]
            if i != j and sym != "general":
                updates.append((j, i, {"symmetric": v, "skew-symmetric": -v,
                                       "hermitian": v.conjugate()}[sym]))
            for r, c, w in updates:
                if field in ("integer", "pattern"):
                    total = int(A[r, c]) + w  # exact Python integers: no silent wrap-around
                    if abs(total) > _INT64_MAX:
                        raise _mm_error(path, line_no, "the sum of duplicate entries does not "
                                                       "fit in 64 bits")
                    A[r, c] = total
                else:
                    A[r, c] += w
            seen += 1
        if seen != expected:
            raise _mm_error(path, line_no, f"{seen} entries, but the size line announced "
                                           f"{expected}")
    return A


def read_raw_matrix(path: Path | str) -> np.ndarray:
    r"""Read a two-dimensional numeric array from ``.npy``, ``.npz`` or ``.mtx``.

    ``.npz`` files hold key ``A`` or a single array; the dtype is kept and sizes are checked
    before allocation.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(p, np.eye(2, dtype=np.int64))
    >>> read_raw_matrix(p).tolist()
    [[1, 0], [0, 1]]
    >>> _ = p.write_bytes(b"\x93NUMPY\x01\x00garbage")
    >>> read_raw_matrix(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: ...a.npy: not a valid .npy array (...)
    """
    path = Path(path)
    if path.suffix not in MATRIX_SUFFIXES:
        msg = f"{path}: matrix files must end in .npy, .npz or .mtx"
        raise InvalidInputError(msg)
    if not path.is_file():
        msg = f"{path}: no such matrix file"
        raise InvalidInputError(msg)
    size = path.stat().st_size
    if size > MAX_MATRIX_FILE_BYTES:
        msg = (f"{path}: file is {size} bytes, above MAX_MATRIX_FILE_BYTES = "
               f"{MAX_MATRIX_FILE_BYTES}")
        raise SizeLimitError(msg)
    if path.suffix == ".npy":
        with path.open("rb") as fh:
            return read_npy_stream(fh, path)
    if path.suffix == ".npz":
        return _read_npz(path)
    return _read_mtx(path)

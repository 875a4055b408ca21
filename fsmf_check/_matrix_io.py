"""Reading matrix files (``.npy``, ``.npz``, ``.mtx``) safely, for every engine.

Files come from users, so nothing is trusted: the size on disk is checked against
``MAX_FILE_BYTES``, the header (``.npy`` via ``numpy.lib.format``, ``.mtx`` banner via
``scipy.io.mminfo``) against ``MAX_DENSE_ENTRIES`` *before* any data are allocated, pickled
(object) arrays are refused, and every failure is one
:class:`~fsmf_check.errors.InvalidInputError` line. The array keeps its dtype: the numeric
engine converts it to float/complex, the exact engine accepts integers only.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._limits import MAX_DENSE_ENTRIES, MAX_DIM, MAX_FILE_BYTES
from .errors import InvalidInputError, ShapeError, SizeLimitError

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


def read_npy_stream(fh: object, path: Path, ndim: int = 2) -> np.ndarray:
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
        if info.file_size > MAX_FILE_BYTES:
            msg = (f"{path}: array {name[:-4]!r} is {info.file_size} bytes uncompressed, "
                   f"above MAX_FILE_BYTES = {MAX_FILE_BYTES}")
            raise SizeLimitError(msg)
        try:
            with zf.open(name) as fh:
                return read_npy_stream(io.BufferedReader(fh), path)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            msg = f"{path}: corrupt .npz member {name!r} ({_one_line(exc)})"
            raise InvalidInputError(msg) from None


def _read_mtx(path: Path) -> np.ndarray:
    import scipy.io

    try:
        rows, cols, _entries, _fmt, field_, _sym = scipy.io.mminfo(str(path))
    except Exception as exc:  # noqa: BLE001 - scipy's banner parser on untrusted text
        msg = f"{path}: not a valid Matrix Market file ({_one_line(exc)})"
        raise InvalidInputError(msg) from None
    dtype = np.dtype({"complex": np.complex128, "real": np.float64}.get(field_, np.int64))
    _check_header(path, (int(rows), int(cols)), dtype)
    try:
        M = scipy.io.mmread(str(path))
    except Exception as exc:  # noqa: BLE001 - includes OverflowError for huge integers
        msg = f"{path}: could not read Matrix Market data ({_one_line(exc)})"
        raise InvalidInputError(msg) from None
    return M.toarray() if sp.issparse(M) else np.asarray(M)


def read_raw_matrix(path: Path | str) -> np.ndarray:
    """Read a two-dimensional numeric array from ``.npy``, ``.npz`` (key ``A`` or a single
    array) or ``.mtx``, keeping its dtype; sizes are checked before allocation.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(p, np.eye(2, dtype=np.int64))
    >>> read_raw_matrix(p).tolist()
    [[1, 0], [0, 1]]
    >>> _ = p.write_bytes(b"\\x93NUMPY\\x01\\x00garbage")
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
    if size > MAX_FILE_BYTES:
        msg = f"{path}: file is {size} bytes, above MAX_FILE_BYTES = {MAX_FILE_BYTES}"
        raise SizeLimitError(msg)
    if path.suffix == ".npy":
        with path.open("rb") as fh:
            return read_npy_stream(fh, path)
    if path.suffix == ".npz":
        return _read_npz(path)
    return _read_mtx(path)

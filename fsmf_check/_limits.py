"""Documented size limits, checked before anything is allocated.

Every limit is named in the :class:`~fsmf_check.errors.SizeLimitError` message that enforces it,
and listed in docs/reference/errors.md.
"""

from __future__ import annotations

from fsmf_check.errors import SizeLimitError

#: Largest matrix dimension (m, n, r, or a chain interface) of any pattern, structured or not.
MAX_DIM = 2**24
#: Largest number of nonzeros of an explicitly stored (sparse) mask or partial-product support.
MAX_EXPLICIT_NNZ = 60_000_000
#: Largest number of entries of a dense array the tool will allocate (masks or targets).
MAX_DENSE_ENTRIES = 2**27
#: Largest number of factors in a chain.
MAX_FACTORS = 64
#: Largest case or matrix file read, in bytes.
MAX_FILE_BYTES = 512 * 2**20
#: Largest matrix file (.npy, .npz member, .mtx): a complex128 array of MAX_DENSE_ENTRIES
#: entries (8192 x 8192) plus room for its header.
MAX_MATRIX_FILE_BYTES = 16 * MAX_DENSE_ENTRIES + 2**20

__all__ = [
    "MAX_DIM",
    "MAX_EXPLICIT_NNZ",
    "MAX_DENSE_ENTRIES",
    "MAX_FACTORS",
    "MAX_FILE_BYTES",
    "MAX_MATRIX_FILE_BYTES",
    "check_dim",
    "check_dense",
    "check_nnz",
]


def check_dim(what: str, value: int) -> int:
    """Return ``value`` if it is a valid dimension, else raise SizeLimitError."""
    if value > MAX_DIM:
        msg = f"{what} = {value} exceeds the limit MAX_DIM = {MAX_DIM}"
        raise SizeLimitError(msg)
    return value


def check_dense(what: str, rows: int, cols: int) -> None:
    """Refuse to allocate a dense rows x cols array above MAX_DENSE_ENTRIES."""
    if rows * cols > MAX_DENSE_ENTRIES:
        msg = (
            f"{what} would need a dense {rows} x {cols} array ({rows * cols} entries), "
            f"above the limit MAX_DENSE_ENTRIES = {MAX_DENSE_ENTRIES}"
        )
        raise SizeLimitError(msg)


def check_nnz(what: str, nnz: int) -> None:
    """Refuse to materialize an explicit support with more than MAX_EXPLICIT_NNZ nonzeros."""
    if nnz > MAX_EXPLICIT_NNZ:
        msg = (
            f"{what} has {nnz} nonzeros, above the limit MAX_EXPLICIT_NNZ = "
            f"{MAX_EXPLICIT_NNZ}; use a structured (Kronecker) description instead"
        )
        raise SizeLimitError(msg)

"""Documented size limits, checked before anything is allocated.

Every limit is named in the :class:`~fsmf_check.errors.SizeLimitError` message that enforces it,
and listed in docs/reference/errors.md.
"""

from __future__ import annotations

import os

from fsmf_check.errors import InvalidInputError, SizeLimitError

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
#: Largest number of support pairs a sweep enumerates (``2^((m + n) r)``) or samples
#: (``count``); with ``symmetry = "permutations"`` the pairs times ``r!`` (the inner
#: permutations tried per pair) must stay below it too.
MAX_SWEEP_CASES = 2**24
#: Largest case file (.toml/.json) read, in bytes: parsed into Python objects it needs about
#: ten times its size, so this is much smaller than MAX_FILE_BYTES.
MAX_CASE_BYTES = 16 * 2**20
#: A text or .npy permutation file may hold at most this many bytes per entry (plus 4 KiB).
MAX_PERM_BYTES_PER_ENTRY = 32
#: Largest number of index steps of one combinatorial search (e.g. the class overlap check of
#: the tractability analysis), estimated before the search starts.
ANALYSIS_WORK_LIMIT = 400_000_000
#: Largest total support size (nnz(I) + nnz(J), or the nonzeros of all factor masks of an
#: explicit chain) that ``analyze`` groups and searches explicitly: about 1 s per million
#: nonzeros on 2 cores, so the analysis stays under about 20 s. Structured (Kronecker) patterns
#: and truncated butterflies are decided in closed form and are not bound by it.
MAX_ANALYSIS_NNZ = 2**24
#: Largest expected number of nonzeros ``(m + n) * r * density`` of a generated random pattern,
#: estimated before anything is drawn.
MAX_RANDOM_NNZ = 2**24

#: Default of the memory budget (``--max-memory`` / ``FSMF_CHECK_MAX_MEMORY``), in bytes.
DEFAULT_MAX_MEMORY = 4 * 2**30
#: Environment variable that sets the memory budget (same syntax as ``--max-memory``).
MEMORY_ENV_VAR = "FSMF_CHECK_MAX_MEMORY"
_max_memory: int | None = None
#: Largest matrix file (.npy, .npz member, .mtx): a complex128 array of MAX_DENSE_ENTRIES
#: entries (8192 x 8192) plus room for its header.
MAX_MATRIX_FILE_BYTES = 16 * MAX_DENSE_ENTRIES + 2**20

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "MEMORY_ENV_VAR",
    "parse_memory",
    "max_memory",
    "set_max_memory",
    "check_memory",
    "MAX_DIM",
    "MAX_EXPLICIT_NNZ",
    "MAX_DENSE_ENTRIES",
    "MAX_FACTORS",
    "MAX_FILE_BYTES",
    "MAX_SWEEP_CASES",
    "ANALYSIS_WORK_LIMIT",
    "MAX_ANALYSIS_NNZ",
    "MAX_RANDOM_NNZ",
    "check_analysis_nnz",
    "MAX_CASE_BYTES",
    "MAX_PERM_BYTES_PER_ENTRY",
    "check_work",
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


def check_analysis_nnz(what: str, nnz: int) -> None:
    """Refuse an explicit analysis whose support size exceeds MAX_ANALYSIS_NNZ (at once)."""
    if nnz > MAX_ANALYSIS_NNZ:
        msg = (f"{what} has {nnz} support nonzeros to analyze explicitly, above the limit "
               f"MAX_ANALYSIS_NNZ = {MAX_ANALYSIS_NNZ}")
        raise SizeLimitError(msg)


def check_work(what: str, steps: int) -> None:
    """Refuse a combinatorial search whose estimated work exceeds ANALYSIS_WORK_LIMIT."""
    if steps > ANALYSIS_WORK_LIMIT:
        msg = (
            f"{what} would need about {steps} index steps, above the limit "
            f"ANALYSIS_WORK_LIMIT = {ANALYSIS_WORK_LIMIT}"
        )
        raise SizeLimitError(msg)


_UNITS = {"": 1, "B": 1, "K": 2**10, "KB": 2**10, "KIB": 2**10, "M": 2**20, "MB": 2**20,
          "MIB": 2**20, "G": 2**30, "GB": 2**30, "GIB": 2**30, "T": 2**40, "TB": 2**40,
          "TIB": 2**40}


def parse_memory(text: str) -> int:
    """Parse a memory size such as ``1500M``, ``4G``, ``2GiB`` or ``1073741824`` (bytes).

    Examples
    --------
    >>> parse_memory("1.5G"), parse_memory("512M"), parse_memory("1000")
    (1610612736, 536870912, 1000)
    """
    s = str(text).strip().upper().replace(" ", "")
    num = s.rstrip("KMGTIB")
    unit = s[len(num):]
    try:
        value = float(num)
    except ValueError:
        value = -1.0
    if unit not in _UNITS or not value > 0 or value > 2**50:
        msg = f"memory size must look like 512M, 4G or a byte count; got {text!r}"
        raise InvalidInputError(msg)
    return int(value * _UNITS[unit])


def max_memory() -> int:
    """Return the memory budget in bytes: set_max_memory, else the environment, else 4 GiB."""
    if _max_memory is not None:
        return _max_memory
    env = os.environ.get(MEMORY_ENV_VAR)
    return parse_memory(env) if env else DEFAULT_MAX_MEMORY


def set_max_memory(value: int | str | None) -> None:
    """Set the memory budget for this process (None: back to the environment/default)."""
    global _max_memory  # noqa: PLW0603 - one process-wide budget, set once by the CLI
    _max_memory = None if value is None else (
        parse_memory(value) if isinstance(value, str) else int(value))


def check_memory(what: str, estimate: int) -> None:
    """Refuse work whose estimated memory exceeds the budget (exit 2, before allocating)."""
    limit = max_memory()
    if estimate > limit:
        msg = (f"{what} would need about {estimate / 2**20:.0f} MiB of memory, above the "
               f"limit --max-memory = {limit / 2**20:.0f} MiB (set --max-memory or "
               f"{MEMORY_ENV_VAR} to raise it)")
        raise SizeLimitError(msg)


#: Largest number of factors of a random chain in a chain sweep (``[sample] factors``).
MAX_SWEEP_CHAIN_FACTORS = 8
#: Largest dimension (rows or columns of any factor) of a random chain in a chain sweep: the
#: explicit ``dims`` range, or ``a*b*d`` and ``a*c*d`` of the Kronecker ``a, b, c, d`` ranges.
MAX_SWEEP_CHAIN_DIM = 32
#: Largest number of random chains a chain sweep samples (``[sample] count``).
MAX_SWEEP_CHAIN_CASES = 2**20

__all__ += ["MAX_SWEEP_CHAIN_FACTORS", "MAX_SWEEP_CHAIN_DIM", "MAX_SWEEP_CHAIN_CASES"]

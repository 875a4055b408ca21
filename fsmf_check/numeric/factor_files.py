r"""Factor files: write and read factor chains in three published layouts.

A saved factorization is a list of factors ``F[0], ..., F[L-1]`` (leftmost first) and an
optional column permutation ``perm`` with ``A[:, perm] ≈ F[0] @ ... @ F[L-1]``; with the
permutation matrix ``P = I[:, perm]`` (so ``A P = A[:, perm]``) this reads
``A ≈ F[0] @ ... @ F[L-1] @ P^T``. The layouts (docs/reference/factor-files.md):

* ``.npz``, the project's layout: ``format = "fsmf-check-factors"``, ``version = 1``,
  ``n_factors``, per factor ``F{l}_data``, ``F{l}_indices``, ``F{l}_indptr``, ``F{l}_shape`` (CSR
  parts), optional ``column_perm``, ``patterns`` (``L x 4`` Kronecker ``(a, b, c, d)``) and
  scalars ``rel_error``/``objective``. The factors keep their supports; the permutation is
  stored separately.
* ``.json``, lazylinop's butterfly layout (``lazylinop.butterfly.save``): keys ``factor0``,
  ``factor1``, ... each with ``package`` ``"numpy"``, ``device`` ``"cpu"``, ``dtype`` and the
  nested lists ``ks_values_real`` (and ``ks_values_imag`` when complex) of the Kronecker values
  of shape ``(a, b, c, d)``, then ``params`` (null) and ``backend`` (``"xp"``). Kronecker factors
  only. A bit-reversal column permutation is written as lazylinop's ``KsmPermLazyLinOp`` layout
  (the extra key ``bitrev_perm = "right"``: the operator is ``L P``); any other permutation has
  no lazylinop form and is refused.
* ``.mat``, pyfaust's layout (``pyfaust.Faust.save``): a MATLAB v5 file whose variable
  ``faust_factors`` is a ``1 x L`` cell array of sparse (CSC) factors. ``P^T`` is folded into
  the last factor (its columns permuted), so the product is the approximation of ``A`` as
  given.

Nothing here imports lazylinop or pyfaust: the layouts are written with numpy, json and
``scipy.io.savemat``, and every output goes through :func:`fsmf_check.files.atomic_write_bytes`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import MAX_FILE_BYTES
from fsmf_check.errors import InvalidInputError, SizeLimitError
from fsmf_check.files import atomic_write_bytes
from fsmf_check.model.families import bitrev
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.numeric.factors import KroneckerFactors, SparseFactors, twiddle_indices

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["FORMATS", "FactorFile", "format_of", "save_factors", "read_factor_file",
           "load_factors", "NPZ_LAYOUT"]

#: Formats by name; the file suffix is ``.`` + name.
FORMATS = ("npz", "json", "mat")
#: Value of the ``format`` entry of the project's ``.npz`` layout.
NPZ_LAYOUT = "fsmf-check-factors"


@dataclass(frozen=True, eq=False)
class FactorFile:
    """A factor chain read from a file.

    ``factors`` (CSR, leftmost first) multiply to ``A[:, column_perm]`` (to ``A`` when
    ``column_perm`` is None); :meth:`product_factors` folds ``P^T`` into the last factor.
    """

    factors: tuple[sp.csr_array, ...]
    column_perm: np.ndarray | None
    patterns: tuple[KronPattern, ...] | None
    fmt: str

    def product_factors(self) -> list[sp.csr_array]:
        """Factors whose product approximates ``A`` itself (``P^T`` folded into the last)."""
        import scipy.sparse as sp

        out = list(self.factors)
        if self.column_perm is not None:
            inv = np.empty_like(self.column_perm)
            inv[self.column_perm] = np.arange(self.column_perm.size)
            out[-1] = sp.csr_array(out[-1][:, inv])
        return out


def format_of(path: Path | str, fmt: str | None = None) -> str:
    """Return the format of a factor file: ``fmt`` when given, else the suffix.

    Examples
    --------
    >>> format_of("f.json"), format_of("f.bin", "mat")
    ('json', 'mat')
    >>> try:
    ...     format_of("f.txt")
    ... except InvalidInputError as exc:
    ...     print(str(exc)[:40])
    --save needs a .npz file name (or .json,
    """
    if fmt is not None:
        if fmt not in FORMATS:
            msg = f"factor-file format must be one of {', '.join(FORMATS)}; got {fmt!r}"
            raise InvalidInputError(msg)
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        msg = (f"--save needs a .npz file name (or .json, .mat, or --format npz|json|mat); got "
               f"{Path(path).name!r}")
        raise InvalidInputError(msg)
    return suffix


def _as_csr_list(factors: KroneckerFactors | SparseFactors | Sequence[sp.sparray]
                 ) -> list[sp.csr_array]:
    import scipy.sparse as sp

    if isinstance(factors, KroneckerFactors | SparseFactors):
        return factors.to_scipy_sparse()
    return [sp.csr_array(F) for F in factors]


def _check_perm(perm: np.ndarray | None, n: int) -> np.ndarray | None:
    if perm is None:
        return None
    p = np.asarray(perm, dtype=np.int64)
    if p.shape != (n,) or not np.array_equal(np.sort(p), np.arange(n)):
        msg = f"column permutation must be a permutation of 0..{n - 1}"
        raise InvalidInputError(msg)
    return None if np.array_equal(p, np.arange(n)) else p


def _twiddle_abcd(F: sp.csr_array, p: KronPattern) -> np.ndarray:
    """Kronecker values of ``F`` in lazylinop's ``(a, b, c, d)`` order."""
    rows, cols = twiddle_indices(p)
    vals = np.asarray(F[rows.ravel(), cols.ravel()]).reshape(p.a, p.d, p.b, p.c)
    return np.ascontiguousarray(vals.transpose(0, 2, 3, 1))


def _npz_bytes(mats: list[sp.csr_array], perm: np.ndarray | None,
               patterns: tuple[KronPattern, ...] | None, scalars: dict[str, float]) -> bytes:
    arrays: dict[str, np.ndarray] = {"format": np.array(NPZ_LAYOUT), "version": np.array(1),
                                     "n_factors": np.array(len(mats))}
    for idx, F in enumerate(mats):
        F.sort_indices()
        arrays[f"F{idx}_data"] = F.data
        arrays[f"F{idx}_indices"] = F.indices.astype(np.int64)
        arrays[f"F{idx}_indptr"] = F.indptr.astype(np.int64)
        arrays[f"F{idx}_shape"] = np.array(F.shape, dtype=np.int64)
    if perm is not None:
        arrays["column_perm"] = perm
    if patterns is not None:
        arrays["patterns"] = np.array([q.as_tuple() for q in patterns], dtype=np.int64)
    for key, value in scalars.items():
        arrays[key] = np.array(value)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _json_bytes(mats: list[sp.csr_array], perm: np.ndarray | None,
                patterns: tuple[KronPattern, ...] | None) -> bytes:
    if patterns is None:
        msg = ("the lazylinop .json layout stores Kronecker-sparse factors only and these "
               "supports are not Kronecker patterns (a, b, c, d); save as .npz or .mat")
        raise InvalidInputError(msg)
    n = mats[-1].shape[1]
    bitrev_perm = None
    if perm is not None:
        if n & (n - 1) or not np.array_equal(perm, bitrev(n)):
            msg = ("the lazylinop .json layout has no general column permutation (only the bit "
                   "reversal, KsmPermLazyLinOp); save as .npz or .mat")
            raise InvalidInputError(msg)
        bitrev_perm = "right"
    data: dict[str, object] = {}
    for idx, (F, p) in enumerate(zip(mats, patterns, strict=True)):
        ks = _twiddle_abcd(F, p)
        entry: dict[str, object] = {"package": "numpy", "device": "cpu",
                                    "ks_values_real": ks.real.tolist()}
        if np.iscomplexobj(ks):
            entry["ks_values_imag"] = ks.imag.tolist()
            entry["dtype"] = "complex128"
        else:
            entry["dtype"] = "float64"
        data[f"factor{idx}"] = entry
    data["params"] = None
    data["backend"] = "xp"
    if bitrev_perm is not None:
        data["bitrev_perm"] = bitrev_perm
    return json.dumps(data, indent=1).encode("utf-8")


def _mat_bytes(mats: list[sp.csr_array], perm: np.ndarray | None) -> bytes:
    import scipy.io
    import scipy.sparse as sp

    folded = FactorFile(tuple(mats), perm, None, "mat").product_factors()
    cell = np.empty((1, len(folded)), dtype=object)
    for idx, F in enumerate(folded):
        dtype = np.complex128 if np.iscomplexobj(F.data) else np.float64
        cell[0, idx] = sp.csc_matrix(F.astype(dtype))
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"faust_factors": cell}, format="5", do_compression=False)
    return buf.getvalue()


def save_factors(path: Path | str, factors: KroneckerFactors | SparseFactors | Sequence[sp.sparray],
                 *, column_perm: np.ndarray | None = None, fmt: str | None = None,
                 patterns: Sequence[KronPattern] | None = None,
                 scalars: dict[str, float] | None = None) -> str:
    r"""Write a factor chain (leftmost first) to ``path`` atomically; return the format used.

    Parameters
    ----------
    path : path
        Output file; the suffix (``.npz``, ``.json``, ``.mat``) picks the layout unless ``fmt``.
    factors : KroneckerFactors, SparseFactors or sequence of sparse arrays
        ``F[0], ..., F[L-1]`` with ``A[:, column_perm] ≈ F[0] @ ... @ F[L-1]``.
    column_perm : array of int, optional
        The column permutation (identity when omitted or equal to ``arange``).
    fmt : {"npz", "json", "mat"}, optional
        Overrides the suffix.
    patterns : sequence of KronPattern, optional
        Kronecker supports of the factors (taken from ``KroneckerFactors`` when omitted); the
        ``.json`` layout needs them.
    scalars : dict, optional
        Extra numbers stored in the ``.npz`` layout (``rel_error``, ``objective``).

    Raises
    ------
    InvalidInputError
        Unknown format, a non-Kronecker chain or a general permutation for ``.json``, or an
        unwritable path.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> F = [sp.csr_array(np.array([[1.0, 2.0], [0.0, 1.0]])), sp.csr_array(np.eye(2))]
    >>> save_factors(d / "f.npz", F, column_perm=np.array([1, 0]))
    'npz'
    >>> f = read_factor_file(d / "f.npz")
    >>> f.column_perm.tolist(), (f.product_factors()[0] @ f.product_factors()[1]).toarray().tolist()
    ([1, 0], [[2.0, 1.0], [1.0, 0.0]])
    """
    kind = format_of(path, fmt)
    mats = _as_csr_list(factors)
    if not mats:
        msg = "a factor file needs at least one factor"
        raise InvalidInputError(msg)
    pats: tuple[KronPattern, ...] | None = None
    if patterns is not None:
        pats = tuple(patterns)
    elif isinstance(factors, KroneckerFactors):
        pats = factors.patterns
    perm = _check_perm(column_perm, mats[-1].shape[1])
    if kind == "npz":
        data = _npz_bytes(mats, perm, pats, dict(scalars or {}))
    elif kind == "json":
        data = _json_bytes(mats, perm, pats)
    else:
        data = _mat_bytes(mats, perm)
    atomic_write_bytes(path, data)
    return kind


# ----------------------------------------------------------------------------------------
# readers


def _bad(path: Path, why: str) -> InvalidInputError:
    return InvalidInputError(f"factor file {path.name}: {why}")


def _read_npz(path: Path) -> FactorFile:
    import scipy.sparse as sp

    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            if "format" not in keys or str(z["format"]) != NPZ_LAYOUT:
                raise _bad(path, f"not the {NPZ_LAYOUT} layout (no format = {NPZ_LAYOUT!r})")
            L = int(z["n_factors"])
            mats = []
            for idx in range(L):
                shape = tuple(int(v) for v in z[f"F{idx}_shape"])
                mats.append(sp.csr_array((z[f"F{idx}_data"], z[f"F{idx}_indices"],
                                          z[f"F{idx}_indptr"]), shape=shape))
            perm = np.asarray(z["column_perm"], dtype=np.int64) if "column_perm" in keys else None
            pats = (tuple(KronPattern(*(int(v) for v in row)) for row in z["patterns"])
                    if "patterns" in keys else None)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise _bad(path, f"unreadable ({type(exc).__name__}: {exc})") from None
    return FactorFile(tuple(mats), _check_perm(perm, mats[-1].shape[1]) if mats else None,
                      pats, "npz")


def _read_json(path: Path) -> FactorFile:
    import scipy.sparse as sp

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise _bad(path, f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _bad(path, "the lazylinop layout is a JSON object")
    mats, pats = [], []
    for key, entry in data.items():
        if key in ("params", "backend", "bitrev_perm"):
            continue
        try:
            ks = np.asarray(entry["ks_values_real"], dtype=np.float64)
            if "ks_values_imag" in entry:
                ks = ks + 1j * np.asarray(entry["ks_values_imag"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad(path, f"entry {key!r} is not a lazylinop factor ({exc})") from None
        if ks.ndim != 4:
            raise _bad(path, f"entry {key!r} has {ks.ndim} axes; Kronecker values need 4")
        p = KronPattern(*ks.shape)
        rows, cols = twiddle_indices(p)
        mats.append(sp.csr_array((ks.transpose(0, 3, 1, 2).ravel(),
                                  (rows.ravel(), cols.ravel())), shape=p.shape))
        pats.append(p)
    if not mats:
        raise _bad(path, "no factor entries")
    side = data.get("bitrev_perm")
    n_in, n_out = mats[-1].shape[1], mats[0].shape[0]
    perm = None
    if side in ("left", "both"):
        mats[0] = sp.csr_array(mats[0][bitrev(n_out), :])
        pats = []
    if side in ("right", "both"):
        perm = bitrev(n_in)
    return FactorFile(tuple(mats), perm, tuple(pats) or None, "json")


def _read_mat(path: Path) -> FactorFile:
    import scipy.io
    import scipy.sparse as sp

    try:
        contents = scipy.io.loadmat(path)
    except (ValueError, OSError, TypeError, RuntimeError) as exc:  # incl. unsupported formats
        raise _bad(path, f"not a MATLAB v5 file ({exc})") from None
    cell = contents.get("faust_factors")
    if not isinstance(cell, np.ndarray) or cell.dtype.kind != "O":
        raise _bad(path, "no faust_factors cell array (pyfaust layout)")
    mats = []
    for F in np.asarray(cell).ravel():
        if sp.issparse(F):
            mats.append(sp.csr_array(F))
        elif isinstance(F, np.ndarray) and F.ndim == 2 and F.dtype.kind in "iufc":
            mats.append(sp.csr_array(F))
        else:
            raise _bad(path, "a faust_factors entry is neither a sparse nor a numeric matrix")
    if not mats:
        raise _bad(path, "faust_factors is empty")
    return FactorFile(tuple(mats), None, None, "mat")


def read_factor_file(path: Path | str) -> FactorFile:
    """Read a factor file in any of the three layouts (by suffix).

    Raises
    ------
    InvalidInputError
        Missing, oversized or malformed file, or an unknown suffix.
    """
    path = Path(path)
    kind = format_of(path)
    if not path.is_file():
        msg = f"{path}: no such factor file"
        raise InvalidInputError(msg)
    if path.stat().st_size > MAX_FILE_BYTES:
        msg = f"{path}: file is above MAX_FILE_BYTES = {MAX_FILE_BYTES}"
        raise SizeLimitError(msg)
    reader = {"npz": _read_npz, "json": _read_json, "mat": _read_mat}[kind]
    f = reader(path)
    for idx in range(1, len(f.factors)):
        if f.factors[idx - 1].shape[1] != f.factors[idx].shape[0]:
            raise _bad(path, f"factors {idx - 1} and {idx} have mismatched inner dimensions")
    return f


def load_factors(path: Path | str) -> list[sp.csr_array]:
    r"""Load a factor file as scipy CSR arrays, leftmost first, whose product approximates ``A``.

    A stored column permutation (``A[:, perm] ≈ F[0] ... F[L-1]``) is folded into the last
    factor (``F[L-1] P^T``), so ``F[0] @ ... @ F[L-1]`` is the approximation of ``A`` as given;
    :func:`read_factor_file` keeps the supports and the permutation apart.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.npz"
    >>> _ = save_factors(p, [sp.csr_array(np.eye(2) * 3)])
    >>> [F.toarray().tolist() for F in load_factors(p)]
    [[[3.0, 0.0], [0.0, 3.0]]]
    """
    return read_factor_file(path).product_factors()

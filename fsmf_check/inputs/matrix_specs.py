r"""Numeric matrices: files (``.npy``/``.npz``/``.mtx``), generator specs and case targets.

A MATRIX argument of ``fsmf-check butterfly`` is a file path or a generator spec:

* ``dft:N`` -- ``DFT[j, k] = exp(-2*pi*i*j*k/N)`` (numpy's ``fft`` sign convention, the same
  matrix as the exact engine's ``z^(-j*k)`` with ``z = exp(2*pi*i/N)``);
* ``hadamard:N`` -- Sylvester ``H[j, k] = (-1)^popcount(j & k)`` (N a power of two);
* ``random-butterfly:N[:SEED][:noise=EPS][:order=standard|reversed]`` -- the product of the
  ``log2 N`` factors of ``butterfly(N, order)`` with i.i.d. standard Gaussian values on their
  nonzeros, drawn with ``numpy.random.default_rng(SEED)`` factor by factor, left to right,
  in row-major order of each mask (the exact engine draws integers in the same order), plus
  Gaussian noise scaled to ``||W||_F = EPS * ||B||_F`` (relative noise, drawn after the
  factors from the same generator).

Files are validated before anything is allocated: size on disk (``MAX_MATRIX_FILE_BYTES``), then
the header (``.npy`` header via ``numpy.lib.format``, ``.mtx`` banner and size line via the
strict parser of ``fsmf_check.inputs.matrix_files``) against ``MAX_DENSE_ENTRIES``; then the values
must be numeric, two-dimensional and finite.
Every failure is one :class:`~fsmf_check.errors.InvalidInputError` line.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fsmf_check._limits import (
    MAX_FILE_BYTES,
    MAX_PERM_BYTES_PER_ENTRY,
    check_dense,
    check_dim,
    check_nnz,
)
from fsmf_check.errors import InvalidInputError, NonFiniteError, ShapeError, SizeLimitError
from fsmf_check.inputs.matrix_files import read_npy_stream, read_raw_matrix
from fsmf_check.model.families import bitrev, butterfly, log2_exact

if TYPE_CHECKING:
    import scipy.sparse as sp

    from fsmf_check.model.kronecker import KronPattern

__all__ = [
    "NumericMatrix",
    "load_matrix",
    "parse_matrix_spec",
    "parse_spec",
    "MatrixSpec",
    "draw_factor_entries",
    "read_matrix_file",
    "validate_matrix",
    "dft",
    "hadamard",
    "bitrev",
    "random_factor_values",
    "random_butterfly",
    "add_relative_noise",
    "numeric_target",
    "load_permutation",
    "load_matrix_bitrev",
]

_GENERATORS = ("dft", "hadamard", "random-butterfly")
#: Largest entry magnitude the numeric engine accepts (squares must stay finite in float64).
MAX_ABS_ENTRY = 1e150


@dataclass(frozen=True, eq=False)
class NumericMatrix:
    """A validated float/complex matrix with a description of where it came from.

    ``planted`` holds the exact factors of a generated butterfly product (before noise) and
    ``noise_norm`` the Frobenius norm of the added noise, so callers can compare errors with
    the noise level.
    """

    A: np.ndarray
    description: str
    generator: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    planted: Sequence[sp.csr_array] | None = None
    noise_norm: float = 0.0


def dft(n: int, columns: str = "natural") -> np.ndarray:
    """Return the DFT matrix ``exp(-2*pi*i*j*k/n)`` (unnormalized), columns optionally bit-reversed.

    Notes
    -----
    T7/T9: ``dft(n, "bitrev")`` is exactly the standard-order butterfly product.
    Exponents are reduced mod n in integers before the exponential, so entries are accurate
    to one rounding. O(n^2).

    Examples
    --------
    >>> (np.round(dft(4)[1], 12) + 0).tolist()
    [(1+0j), -1j, (-1+0j), 1j]
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        msg = f"dft size must be a positive integer; got {n!r}"
        raise InvalidInputError(msg)
    check_dense("dft matrix", int(n), int(n))
    j = np.arange(n, dtype=np.int64)
    k = bitrev(n) if columns == "bitrev" else j
    if columns not in ("natural", "bitrev"):
        msg = f"dft columns must be 'natural' or 'bitrev'; got {columns!r}"
        raise InvalidInputError(msg)
    roots = np.exp(-2j * np.pi * j / n)  # one rounding per entry, then a gather per row chunk
    out = np.empty((n, n), dtype=np.complex128)
    # exponents j*k mod n in exact integer arithmetic (int32 while j*k < 2^31), an L1-sized
    # chunk of rows at a time into one reused buffer; mod n is a mask for powers of two
    itype = np.int32 if (n - 1) * (n - 1) < 2**31 else np.int64
    jj, kk = j.astype(itype), k.astype(itype)
    step = max(1, (1 << 14) // n)

    def fill(r0: int, r1: int) -> None:
        buf = np.empty((min(step, n), n), dtype=itype)
        for i0 in range(r0, r1, step):
            i1 = min(r1, i0 + step)
            e = buf[: i1 - i0]
            np.multiply(jj[i0:i1, None], kk[None, :], out=e)
            if n & (n - 1) == 0:
                np.bitwise_and(e, n - 1, out=e)
            else:
                np.remainder(e, n, out=e)
            np.take(roots, e, out=out[i0:i1])

    _by_rows(n, fill, n * n)
    return out


def _by_rows(rows: int, fill: Callable[[int, int], None], entries: int) -> None:
    """Run ``fill(r0, r1)`` over ``range(rows)``, in two halves on two threads when large.

    For generators writing a fresh matrix: numpy releases the GIL in its loops, and the first
    write of every page (a page fault and its zeroing) then runs on both cores.
    """
    if entries < 1 << 20 or rows < 2 or (os.cpu_count() or 1) < 2:
        fill(0, rows)
        return
    half = rows // 2
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fill(half, rows)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    fill(0, half)
    th.join()
    if errors:
        raise errors[0]


def hadamard(n: int) -> np.ndarray:
    """Sylvester Hadamard matrix ``H[j, k] = (-1)^popcount(j & k)`` as float64.

    Examples
    --------
    >>> hadamard(4).astype(int).tolist()
    [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]
    """
    L = log2_exact(n)
    check_dense("hadamard matrix", n, n)
    h = np.ones((1, 1))
    base = np.array([[1.0, 1.0], [1.0, -1.0]])
    for _ in range(L // 2):
        h = np.kron(h, base)
    g = h if L % 2 == 0 else np.kron(h, base)
    # H_{2^L} = H_{2^(L//2)} ⊗ H_{2^(L - L//2)}: one write of the large matrix
    H = np.empty((n, n))
    H4 = H.reshape(h.shape[0], g.shape[0], h.shape[0], g.shape[0])

    def fill(r0: int, r1: int) -> None:
        np.multiply(h[r0:r1, None, :, None], g[None, :, None, :], out=H4[r0:r1])

    _by_rows(h.shape[0], fill, n * n)
    return H


def _mask_rowmajor(M: sp.sparray) -> tuple[np.ndarray, np.ndarray]:
    import scipy.sparse as sp

    coo = sp.coo_array(M)
    order = np.lexsort((coo.col, coo.row))
    return coo.row[order].astype(np.int64), coo.col[order].astype(np.int64)


def draw_factor_entries(masks: list[sp.sparray], rng: np.random.Generator,
                        entries: str = "gaussian") -> list[tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]]:
    """Random values on masks, mask by mask in row-major order of the nonzeros.

    The one random target generator: ``entries="integer"`` draws exact integers
    ``rng.integers(-9, 10)`` (int64, used as they are by the exact engine), ``"gaussian"``
    standard normals. Returns ``(rows, cols, values)`` per mask.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> [v.tolist() for *_, v in draw_factor_entries(
    ...     [sp.csr_array(np.eye(2, dtype=np.int8))], np.random.default_rng(0), "integer")]
    [[7, 3]]
    """
    if entries not in ("gaussian", "integer"):
        msg = f"entries must be 'gaussian' or 'integer'; got {entries!r}"
        raise InvalidInputError(msg)
    out = []
    for M in masks:
        rows, cols = _mask_rowmajor(M)
        out.append((rows, cols, _draw(rows.size, rng, entries)))
    return out


def random_factor_values(masks: list[sp.sparray], rng: np.random.Generator,
                         entries: str = "gaussian") -> list[sp.csr_array]:
    """Random float factors on masks (:func:`draw_factor_entries` as sparse arrays).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> F = random_factor_values([sp.csr_array(np.eye(2, dtype=np.int8))],
    ...                          np.random.default_rng(0), "integer")
    >>> F[0].toarray().tolist()
    [[7.0, 0.0], [0.0, 3.0]]
    """
    import scipy.sparse as sp

    return [sp.csr_array((vals.astype(np.float64), (rows, cols)), shape=M.shape)
            for M, (rows, cols, vals) in zip(masks, draw_factor_entries(masks, rng, entries),
                                             strict=True)]


def _sparse_chain_dense(factors: list[sp.csr_array]) -> np.ndarray:
    check_dense("product of factors", factors[0].shape[0], factors[-1].shape[1])
    acc = factors[-1].toarray()
    for F in reversed(factors[:-1]):
        acc = F @ acc
    return np.asarray(acc)


def add_relative_noise(B: np.ndarray, noise: float, rng: np.random.Generator
                       ) -> tuple[np.ndarray, float]:
    """Return ``B + W`` with Gaussian ``W`` scaled to ``||W||_F = noise * ||B||_F`` and ``||W||_F``.

    Complex ``B`` gets complex noise (independent real and imaginary parts).

    Examples
    --------
    >>> B = np.ones((4, 4))
    >>> A, w = add_relative_noise(B, 0.1, np.random.default_rng(0))
    >>> round(w, 12), round(float(np.linalg.norm(A - B)), 12)
    (0.4, 0.4)
    """
    if noise < 0 or not np.isfinite(noise):
        msg = f"noise must be a finite number >= 0; got {noise}"
        raise InvalidInputError(msg)
    if noise == 0:
        return B, 0.0
    W = rng.standard_normal(B.shape)
    if np.iscomplexobj(B):
        W = W + 1j * rng.standard_normal(B.shape)
    target = noise * float(np.linalg.norm(B))
    nw = float(np.linalg.norm(W))
    W *= target / nw if nw > 0 else 0.0
    return B + W, target


class PlantedFactors(Sequence["sp.csr_array"]):
    """Planted factors as scipy CSR arrays, built on first access from their drawn entries.

    A generated butterfly product is used far more often than its planted factors, so the
    factors (and scipy.sparse) are materialized only when a caller indexes this sequence.
    """

    def __init__(self, entries: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                 shapes: Sequence[tuple[int, int]]) -> None:
        self._entries = tuple(entries)
        self._shapes = tuple(shapes)
        self._factors: tuple[sp.csr_array, ...] | None = None

    def _all(self) -> tuple[sp.csr_array, ...]:
        if self._factors is None:
            import scipy.sparse as sp

            self._factors = tuple(
                sp.csr_array((vals.astype(np.float64), (rows, cols)), shape=shape)
                for (rows, cols, vals), shape in zip(self._entries, self._shapes, strict=True))
        return self._factors

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, idx):  # noqa: ANN001, ANN204 - int -> array, slice -> tuple
        return self._all()[idx]


def _kron_rowmajor(p: KronPattern) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ones of ``I_a ⊗ 1_{b x c} ⊗ I_d`` in row-major order.

    Row ``(alpha*b + beta)*d + delta`` holds columns ``(alpha*c + gamma)*d + delta`` for
    increasing ``gamma``: the order of :func:`_mask_rowmajor` without building the mask.
    """
    check_nnz(f"Kronecker pattern {p.as_tuple()}", p.nnz)
    a, b, c, d = p.as_tuple()
    alpha = np.arange(a, dtype=np.int64)[:, None, None, None]
    beta = np.arange(b, dtype=np.int64)[None, :, None, None]
    delta = np.arange(d, dtype=np.int64)[None, None, :, None]
    gamma = np.arange(c, dtype=np.int64)[None, None, None, :]
    shape = (a, b, d, c)
    rows = np.broadcast_to((alpha * b + beta) * d + delta, shape).ravel()
    cols = np.broadcast_to((alpha * c + gamma) * d + delta, shape).ravel()
    return rows, cols


def _draw(size: int, rng: np.random.Generator, entries: str) -> np.ndarray:
    if entries == "integer":
        return rng.integers(-9, 10, size=size)
    return rng.standard_normal(size)


def _standard_butterfly_dense(values: list[np.ndarray], n: int) -> np.ndarray:
    """Dense ``F[0] @ ... @ F[L-1]`` of standard-order butterfly factors, right to left.

    ``values[l]`` are the entries of factor ``l`` in row-major order. The partial product
    ``F[l] ... F[L-1]`` is block diagonal with ``2^l`` blocks of size ``n / 2^l``, and each
    entry of ``F[l] @ (F[l+1] ... F[L-1])`` is ONE product (butterfly supports have a unique
    path, THEORY T6): one broadcast multiplication per factor, 2 n^2 multiplications in all,
    bit for bit the entries of the sparse right-to-left product.
    """
    check_dense("product of factors", n, n)
    L = len(values)
    P = values[-1].reshape(n // 2, 2, 2).astype(np.float64)  # (n/2, 2, 2, 1): 2x2 blocks
    for ell in range(L - 2, -1, -1):
        a, s = 2**ell, n // 2 ** (ell + 1)
        V = values[ell].reshape(a, 2, s, 2).astype(np.float64)   # [alpha, beta, delta, gamma]
        P4 = P.reshape(a, 2, s, s)                                 # [alpha, gamma, delta, j]
        out = np.empty((a, 2, s, 2, s))
        P4t = P4.transpose(0, 2, 1, 3)[:, None]

        def fill(d0: int, d1: int, V: np.ndarray = V, P4t: np.ndarray = P4t,
                 out: np.ndarray = out) -> None:
            np.multiply(V[:, :, d0:d1, :, None], P4t[:, :, d0:d1], out=out[:, :, d0:d1])

        _by_rows(s, fill, out.size)  # the same products, split over the delta axis
        P = out.reshape(a, 2 * s, 2 * s)
    return P.reshape(n, n)


def random_butterfly(n: int, seed: int = 0, noise: float = 0.0, order: str = "standard",
                     entries: str = "gaussian") -> NumericMatrix:
    """Product of random butterfly factors (plus relative Gaussian noise), see module doc.

    The factor entries are drawn factor by factor in row-major order of each mask
    (:func:`draw_factor_entries`). In the standard order the dense product is formed by
    :func:`_standard_butterfly_dense` without any sparse matrix; ``planted`` builds the
    factors on first access.

    Examples
    --------
    >>> M = random_butterfly(8, seed=1)
    >>> M.A.shape, len(M.planted), M.noise_norm
    ((8, 8), 3, 0.0)
    """
    if entries not in ("gaussian", "integer"):
        msg = f"entries must be 'gaussian' or 'integer'; got {entries!r}"
        raise InvalidInputError(msg)
    chain = butterfly(n, order)
    rng = np.random.default_rng(seed)
    pats = chain.patterns or ()
    drawn = []
    for p in pats:
        rows, cols = _kron_rowmajor(p)
        drawn.append((rows, cols, _draw(rows.size, rng, entries)))
    planted = PlantedFactors(drawn, [p.shape for p in pats])
    if order == "standard":
        B = _standard_butterfly_dense([v for *_, v in drawn], n)
    else:
        B = _sparse_chain_dense(list(planted))
    A, nw = add_relative_noise(B, noise, rng)
    desc = f"random butterfly product (n={n}, seed={seed}, order={order}"
    desc += f", relative noise={noise:g})" if noise else ")"
    return NumericMatrix(_readonly(A), desc, "random-butterfly",
                         {"n": n, "seed": seed, "noise": noise, "order": order},
                         planted, nw)


def _readonly(A: np.ndarray) -> np.ndarray:
    A = np.ascontiguousarray(A)
    A.flags.writeable = False
    return A


def validate_matrix(A: object, what: str = "matrix") -> np.ndarray:
    """Check that ``A`` is a finite, numeric, two-dimensional array; return a float/complex copy.

    Raises
    ------
    ShapeError
        Not two-dimensional or empty.
    InvalidInputError
        Not numeric (strings, objects).
    NonFiniteError
        NaN or infinity.

    Examples
    --------
    >>> validate_matrix([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> validate_matrix([[1.0, float("nan")]])
    Traceback (most recent call last):
    ...
    fsmf_check.errors.NonFiniteError: matrix has a non-finite entry (nan) at row 0, column 1
    """
    # no import: a scipy sparse array can only exist once scipy.sparse is loaded
    sp = sys.modules.get("scipy.sparse")
    if sp is not None and sp.issparse(A):
        A = A.toarray()  # type: ignore[attr-defined]
    try:
        arr = np.asarray(A)
    except (ValueError, TypeError) as exc:
        msg = f"{what} must be a rectangular numeric array ({' '.join(str(exc).split())})"
        raise InvalidInputError(msg) from None
    if arr.ndim != 2:
        msg = f"{what} must be two-dimensional; got {arr.ndim} dimension(s), shape {arr.shape}"
        raise ShapeError(msg)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        msg = f"{what} must be non-empty; got shape {arr.shape}"
        raise ShapeError(msg)
    check_dense(what, *arr.shape)
    if arr.dtype.kind not in "biufc":
        msg = f"{what} must have a numeric dtype (bool, int, float or complex); got {arr.dtype}"
        raise InvalidInputError(msg)
    out = np.ascontiguousarray(arr, dtype=np.complex128 if arr.dtype.kind == "c" else np.float64)
    # Fast path: ONE pass (a BLAS dot product of the real components with themselves), no
    # temporary of the matrix's size. A NaN or infinite entry makes the sum NaN/inf; a finite
    # sum s <= bound^2 (with room for its rounding, n u << 1e-3) bounds every component by
    # bound. Any doubt (including a sum that overflows) goes to the entry-by-entry scan below,
    # which names the offending entry.
    flat = out.reshape(-1).view(np.float64)
    bound = MAX_ABS_ENTRY / 2 if out.dtype.kind == "c" else MAX_ABS_ENTRY
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.dot(flat, flat))
    if total <= bound * bound * (1 - 1e-3):  # False for NaN and inf
        return out
    bad = ~np.isfinite(out)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        msg = f"{what} has a non-finite entry ({out[i, j]}) at row {i}, column {j}"
        raise NonFiniteError(msg)
    big = np.abs(out) > MAX_ABS_ENTRY
    if big.any():
        # products of two such entries overflow float64 in the SVDs and the error norms
        i, j = (int(v) for v in np.argwhere(big)[0])
        msg = (f"{what} has an entry of magnitude {abs(out[i, j]):.3g} at row {i}, column {j}, "
               f"above MAX_ABS_ENTRY = {MAX_ABS_ENTRY:g}; rescale the matrix")
        raise NonFiniteError(msg)
    return out


def read_matrix_file(path: Path | str) -> np.ndarray:
    """Read a matrix from ``.npy``, ``.npz`` (key ``A`` or a single array) or ``.mtx``.

    Sizes are checked from the file size and the header before the data are allocated;
    pickled (object) arrays are refused. Returns the validated float/complex array.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> np.save(p, np.eye(2))
    >>> read_matrix_file(p).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    >>> read_matrix_file(p.with_suffix(".txt"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: ...a.txt: matrix files must end in .npy, .npz or .mtx
    """
    path = Path(path)
    arr = read_raw_matrix(path)
    return validate_matrix(arr, f"matrix {path.name}")


@dataclass(frozen=True, slots=True)
class MatrixSpec:
    """A parsed generator spec: ``dft:N``, ``hadamard:N``, ``random-butterfly:N[:seed][...]``."""

    generator: str
    n: int
    seed: int = 0
    noise: float = 0.0
    order: str = "standard"


def parse_spec(spec: str) -> MatrixSpec:
    """Parse a generator spec strictly, without materializing anything.

    The one parser of matrix specs: ``butterfly MATRIX`` (numeric) and its exact
    cross-check both read specs through it.

    Examples
    --------
    >>> parse_spec("random-butterfly:8:3:noise=0.01")
    MatrixSpec(generator='random-butterfly', n=8, seed=3, noise=0.01, order='standard')
    >>> parse_spec("hadamard:6")
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: hadamard:N needs N a power of two >= 2; got 6
    """
    parts = spec.split(":")
    gen = parts[0]
    if gen not in _GENERATORS or len(parts) < 2:
        msg = (f"matrix {spec!r} is neither a .npy/.npz/.mtx file nor a generator spec "
               "(dft:N, hadamard:N, random-butterfly:N[:seed][:noise=EPS][:order=reversed])")
        raise InvalidInputError(msg)
    try:
        n = int(parts[1])
    except ValueError:
        msg = f"{gen}:N needs an integer N; got {parts[1]!r}"
        raise InvalidInputError(msg) from None
    if n < 1:
        msg = f"{gen}:N needs N >= 1; got {n}"
        raise InvalidInputError(msg)
    check_dim(f"{gen} size", n)
    check_dense(f"{gen}:{n}", n, n)
    if gen in ("hadamard", "random-butterfly") and (n < 2 or n & (n - 1)):
        msg = f"{gen}:N needs N a power of two >= 2; got {n}"
        raise InvalidInputError(msg)
    if gen in ("dft", "hadamard"):
        if len(parts) > 2:
            hint = " (use --bitrev for bit reversal)" if gen == "dft" else ""
            msg = f"{gen}:N takes no further options; got {spec!r}{hint}"
            raise InvalidInputError(msg)
        return MatrixSpec(gen, n)
    seed, noise, order = 0, 0.0, "standard"
    for pos, item in enumerate(parts[2:]):
        if "=" in item:
            key, _, value = item.partition("=")
            if key == "noise":
                try:
                    noise = float(value)
                except ValueError:
                    noise = -1.0
                if not (np.isfinite(noise) and noise >= 0):
                    msg = f"random-butterfly noise must be a finite number >= 0; got {value!r}"
                    raise InvalidInputError(msg)
            elif key == "order":
                if value not in ("standard", "reversed"):
                    msg = f"random-butterfly order must be standard or reversed; got {value!r}"
                    raise InvalidInputError(msg)
                order = value
            else:
                msg = f"unknown random-butterfly option {key!r} (known: noise, order)"
                raise InvalidInputError(msg)
        elif pos == 0:
            try:
                seed = int(item)
            except ValueError:
                seed = -1
            if seed < 0:
                msg = f"random-butterfly seed must be a non-negative integer; got {item!r}"
                raise InvalidInputError(msg)
        else:
            msg = f"random-butterfly options after the seed must be key=value; got {item!r}"
            raise InvalidInputError(msg)
    return MatrixSpec(gen, n, seed, noise, order)


def parse_matrix_spec(spec: str) -> NumericMatrix:
    """Materialize a generator spec (``dft:N``, ``hadamard:N``, ``random-butterfly:N[...]``).

    Examples
    --------
    >>> parse_matrix_spec("hadamard:4").A.shape
    (4, 4)
    >>> parse_matrix_spec("random-butterfly:8:3:noise=0.01").params["noise"]
    0.01
    """
    ms = parse_spec(spec)
    n = ms.n
    if ms.generator == "dft":
        return NumericMatrix(_readonly(dft(n)), f"DFT_{n} (natural column order)", "dft",
                             {"n": n})
    if ms.generator == "hadamard":
        return NumericMatrix(_readonly(hadamard(n)), f"Sylvester Hadamard H_{n}", "hadamard",
                             {"n": n})
    return random_butterfly(n, ms.seed, ms.noise, ms.order)


def load_matrix(matrix: str | Path) -> NumericMatrix:
    """Load MATRIX: an existing ``.npy``/``.npz``/``.mtx`` file, else a generator spec.

    Examples
    --------
    >>> load_matrix("dft:8").A.dtype
    dtype('complex128')
    >>> load_matrix("missing.npy")
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: missing.npy: no such matrix file
    """
    text = str(matrix)
    path = Path(text)
    if path.suffix in (".npy", ".npz", ".mtx") or path.exists():
        A = read_matrix_file(path)
        return NumericMatrix(_readonly(A), f"matrix file {path.name}", None, {"file": str(path)})
    return parse_matrix_spec(text)


def load_matrix_bitrev(matrix: str | Path) -> tuple[NumericMatrix, bool]:
    """:func:`load_matrix`, with a ``dft:N`` spec generated directly in bit-reversed columns.

    Returns ``(M, permuted)``: when ``permuted`` is True, ``M.A`` already holds
    ``DFT_N[:, bitrev(N)]`` (the same entries as permuting the natural DFT, one pass less)
    and ``M.description`` still names the DFT; otherwise ``M`` is what :func:`load_matrix`
    returns and the caller permutes.

    Examples
    --------
    >>> M, permuted = load_matrix_bitrev("dft:8")
    >>> permuted, bool(np.array_equal(M.A, dft(8)[:, bitrev(8)]))
    (True, True)
    >>> load_matrix_bitrev("hadamard:4")[1]
    False
    """
    text = str(matrix)
    path = Path(text)
    if path.suffix in (".npy", ".npz", ".mtx") or path.exists():
        return load_matrix(path), False
    ms = parse_spec(text)
    if ms.generator != "dft" or ms.n & (ms.n - 1):
        return parse_matrix_spec(text), False
    n = ms.n
    return NumericMatrix(_readonly(dft(n, "bitrev")), f"DFT_{n} (natural column order)", "dft",
                         {"n": n}), True


def load_permutation(path: Path | str, n: int) -> np.ndarray:
    """Read a column permutation of ``range(n)`` from ``.npy`` or a whitespace/comma text file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "perm.txt"
    >>> _ = p.write_text("1 0 2")
    >>> load_permutation(p, 3).tolist()
    [1, 0, 2]
    >>> _ = p.write_text("0 0 2")
    >>> load_permutation(p, 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: permutation file perm.txt is not a permutation ... missing
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such permutation file"
        raise InvalidInputError(msg)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        msg = f"{path}: file is above MAX_FILE_BYTES = {MAX_FILE_BYTES}"
        raise SizeLimitError(msg)
    cap = 4096 + MAX_PERM_BYTES_PER_ENTRY * n
    if size > cap:
        msg = (f"permutation file {path.name} is {size} bytes, too large for {n} entries "
               f"(at most 4096 + MAX_PERM_BYTES_PER_ENTRY * n = {cap})")
        raise SizeLimitError(msg)
    if path.suffix == ".npy":
        with path.open("rb") as fh:
            raw = read_npy_stream(fh, path, ndim=1)
    else:
        text = path.read_text(encoding="utf-8", errors="replace").replace(",", " ").split()
        try:
            raw = np.array([int(t) for t in text], dtype=np.int64)
        except (ValueError, OverflowError):
            msg = (f"permutation file {path.name} must hold integers only, in 0..{n - 1} "
                   "(an entry is not an integer or is at or above 2^63)")
            raise InvalidInputError(msg) from None
    raw = np.asarray(raw)
    if raw.ndim != 1 or raw.dtype.kind not in "iu":
        msg = (f"permutation file {path.name} must hold a one-dimensional integer array; got "
               f"shape {raw.shape}, dtype {raw.dtype}")
        raise InvalidInputError(msg)
    if raw.size != n:
        msg = f"permutation file {path.name} has {raw.size} entries; the matrix has {n} columns"
        raise ShapeError(msg)
    if raw.size and raw.dtype.kind == "u" and int(raw.max()) >= n:
        msg = (f"permutation file {path.name} is not a permutation of 0..{n - 1}: entry "
               f"{int(raw.max())} is out of range")
        raise InvalidInputError(msg)
    perm = raw.astype(np.int64)
    seen = np.zeros(n, dtype=bool)
    ok = (perm >= 0) & (perm < n)
    seen[perm[ok]] = True
    if not seen.all():
        missing = int(np.flatnonzero(~seen)[0])
        msg = (f"permutation file {path.name} is not a permutation of 0..{n - 1}: "
               f"{missing} is missing")
        raise InvalidInputError(msg)
    return perm


def numeric_target(case: object) -> NumericMatrix:
    """Materialize a case's ``[target]`` as a float/complex array (docs/reference/case-format.md).

    Exact entries become floats (Fractions) or complex numbers (Gaussian rationals);
    generators follow the module doc (``random-in-support`` draws on the case's chain factor
    masks when the case is a chain or a chain split, else on ``I`` then ``J``); files are
    read relative to the case file. ``noise`` adds relative Gaussian noise.

    Raises
    ------
    InvalidInputError
        If the case has no target, or the target's shape does not match the pattern.

    Examples
    --------
    >>> from fsmf_check.inputs.cases import parse_case
    >>> c = parse_case({"name": "e1", "supports": {"I": ["10", "01"], "J": ["10", "01"]},
    ...                 "target": {"A": [["1", "2"], ["3", "1/2"]]}})
    >>> numeric_target(c).A.tolist()
    [[1.0, 2.0], [3.0, 0.5]]
    """
    spec = getattr(case, "target", None)
    if spec is None:
        msg = f"case {getattr(case, 'name', '?')!r} has no [target]; a numeric solve needs one"
        raise InvalidInputError(msg)
    pattern, chain = getattr(case, "pattern", None), getattr(case, "chain", None)
    shape = (pattern.m, pattern.n) if pattern is not None else chain.shape  # type: ignore[union-attr]
    if spec.kind == "explicit":
        vals = [[_to_number(v) for v in row] for row in spec.entries]
        A = validate_matrix(np.array(vals), "target A")
        out = NumericMatrix(_readonly(A), "explicit target entries")
    elif spec.kind == "file":
        A = read_matrix_file(spec.file)
        out = NumericMatrix(_readonly(A), f"target file {spec.file.name}", None,
                            {"file": spec.file.name})
    else:
        out = _generated_target(case, spec, pattern, chain)
    if out.A.shape != tuple(shape):
        msg = (f"target has shape {out.A.shape[0]} x {out.A.shape[1]} but the pattern needs "
               f"{shape[0]} x {shape[1]}")
        raise ShapeError(msg)
    return out


def _to_number(v: object) -> float | complex:
    try:
        if hasattr(v, "re") and hasattr(v, "im"):
            re, im = float(v.re), float(v.im)  # type: ignore[attr-defined]
            return complex(re, im)
        if isinstance(v, complex):
            return v
        return float(v)  # type: ignore[arg-type]
    except OverflowError:
        msg = f"target entry {v} is beyond the floating-point range of the numeric solver"
        raise NonFiniteError(msg) from None


def _generated_target(case: object, spec: object, pattern: object, chain: object
                      ) -> NumericMatrix:
    params = dict(spec.params)  # type: ignore[attr-defined]
    gen = spec.generator  # type: ignore[attr-defined]
    n = int(params.get("n", spec.shape[1]))  # type: ignore[attr-defined, arg-type]
    seed = int(params.get("seed", 0))
    noise = float(params.get("noise", 0.0))
    entries = str(params.get("entries", "gaussian"))
    if gen == "dft":
        columns = str(params.get("columns", "natural"))
        B = dft(n, columns)
        rng = np.random.default_rng(seed)
        A, nw = add_relative_noise(B, noise, rng)
        return NumericMatrix(_readonly(A), f"DFT_{n} ({columns} columns)", gen, params, None, nw)
    if gen == "hadamard":
        A, nw = add_relative_noise(hadamard(n), noise, np.random.default_rng(seed))
        return NumericMatrix(_readonly(A), f"Sylvester Hadamard H_{n}", gen, params, None, nw)
    if gen == "random-butterfly":
        M = random_butterfly(n, seed, noise, str(params.get("order", "standard")), entries)
        return NumericMatrix(M.A, M.description, gen, params, M.planted, M.noise_norm)
    rng = np.random.default_rng(seed)
    if pattern is not None and getattr(case, "split", None) is None:
        check_dense("random-in-support target", pattern.m, pattern.n)  # type: ignore[attr-defined]
        X, Y = random_factor_values([pattern.I, pattern.J], rng, entries)  # type: ignore[attr-defined]
        B = np.asarray((X @ Y.T).toarray())
        factors: tuple[sp.csr_array, ...] = (X, Y)
    else:
        if chain is None:
            msg = "target generator 'random-in-support' needs the case's supports"
            raise InvalidInputError(msg)
        masks = [chain.factor_mask(i) for i in range(chain.n_factors)]  # type: ignore[attr-defined]
        facs = random_factor_values(masks, rng, entries)
        B = _sparse_chain_dense(facs)
        factors = tuple(facs)
    A, nw = add_relative_noise(B, noise, rng)
    return NumericMatrix(_readonly(A), f"random product in the support (seed={seed}, "
                         f"entries={entries})", gen, params, factors, nw)

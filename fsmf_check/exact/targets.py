r"""Exact targets: materialize a case's ``[target]`` over Q, Q(i) or Q(zeta_N).

Generators, exactly (documented here so that the numeric engine can reproduce them):

* ``dft`` (n = N): ``DFT[j, k] = z^(-j*k mod N)`` with ``z = zeta_N = exp(2*pi*i/N)``, over
  Q(zeta_N); ``columns = "bitrev"`` permutes the columns by bit reversal, which makes it exactly
  the standard-order butterfly product (docs/theory.md §1, T9); ``columns = "auto"`` materializes
  the natural order (``certify`` then searches the permutation, :mod:`.permutation`).
* ``hadamard``: Sylvester ``H[j, k] = (-1)^popcount(j & k)``, over Q.
* ``random-butterfly`` with ``entries = "integer"``: ``rng = numpy.random.default_rng(seed)``;
  for every factor of ``butterfly(n, order)``, left to right, draw
  ``rng.integers(-9, 10, size=nnz)`` and put the values on the factor's nonzeros in row-major
  order; the target is the exact product.
* ``random-in-support`` with ``entries = "integer"``: the same draw on the factor masks of the
  case's chain, or on ``I`` then ``J`` (row-major) of a two-factor pattern, target
  ``X @ Y.T``.

``entries = "gaussian"`` (the default) and any ``noise > 0`` give float targets: they are
refused with :class:`~fsmf_check.errors.ExactnessError`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from fsmf_check._limits import check_dense
from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.exact._backend import ExactBackend, Field, field_of, get_backend
from fsmf_check.inputs.matrix_specs import draw_factor_entries
from fsmf_check.model.families import bitrev, butterfly, log2_exact

__all__ = ["ExactTarget", "exact_target", "dft_matrix", "hadamard_matrix", "bitrev",
           "random_integer_factors", "chain_product", "int64_product", "MAX_EXACT_DIM"]

#: Largest matrix dimension the exact engine materializes (dense object arrays).
MAX_EXACT_DIM = 4096


@dataclass
class ExactTarget:
    """An exact target matrix ``A`` over ``field``, held as backend scalars.

    ``planted`` holds the exact factors a generator drew (left to right for chains,
    ``[X, Y]`` for two-factor patterns), so recovered factors can be compared with them.
    ``exponents`` is set for roots-of-unity targets (the DFT): ``A[j, k] = z^exponents[j, k]``.
    ``integers`` is the int64 copy of an integer target (the integer fast path of the chain
    recovery, :mod:`._integers`).
    """

    A: np.ndarray
    field: Field
    backend: ExactBackend
    description: str
    planted: list[np.ndarray] | None = None
    exponents: np.ndarray | None = None
    #: the same matrix as read-only int64 when it is an integer matrix with entries below
    #: 2^62 in absolute value (set by generators, or by ``_integers.integer_matrix``)
    integers: np.ndarray | None = None
    meta: dict[str, object] = dataclasses.field(default_factory=dict)
    #: (A, encoding): the certificate encoding of ``A``, built once (see :meth:`dense`)
    _dense: tuple[np.ndarray, dict[str, object]] | None = dataclasses.field(
        default=None, repr=False, compare=False)
    #: (A, int64 copy): ``integers`` bound to the matrix it was made for (see :meth:`int64`)
    _int_cache: tuple[np.ndarray, np.ndarray] | None = dataclasses.field(
        default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.integers is not None and self.integers.shape == self.A.shape:
            self._int_cache = (self.A, self.integers)

    def int64(self) -> np.ndarray | None:
        """Return the int64 copy of ``A`` if one is known for this very matrix, else None."""
        if self._int_cache is not None and self._int_cache[0] is self.A:
            return self._int_cache[1]
        return None

    def set_int64(self, Z: np.ndarray) -> None:
        """Record ``Z`` (read-only int64, equal to ``A``) as the int64 copy of ``A``."""
        self.integers = Z
        self._int_cache = (self.A, Z)

    def dense(self) -> dict[str, object]:
        """Return the certificate form ``{"shape", "rows"}`` of ``A``, encoded once per matrix."""
        from fsmf_check.exact.certificates import encode_dense

        if self._dense is None or self._dense[0] is not self.A:
            self._dense = (self.A, encode_dense(self.A, self.backend, self.exponents,
                                                self.int64()))
        return self._dense[1]

    @property
    def shape(self) -> tuple[int, int]:
        """``(m, n)``."""
        return self.A.shape  # type: ignore[return-value]


def _check_size(n: int, what: str) -> None:
    if n > MAX_EXACT_DIM:
        from fsmf_check.errors import SizeLimitError

        msg = (f"{what} has dimension {n}, above the exact-engine limit "
               f"MAX_EXACT_DIM = {MAX_EXACT_DIM}")
        raise SizeLimitError(msg)


def dft_matrix(n: int, columns: str = "natural", backend: str = "flint") -> ExactTarget:
    """Return the DFT matrix of size n over Q(zeta_n): ``DFT[j, k] = z^(-j*k mod n)``.

    Examples
    --------
    >>> T = dft_matrix(4)
    >>> T.field.name, [T.backend.to_public(v).to_exact_string() for v in T.A[1]]
    ('Q(i)', ['1', '-1i', '-1', '1i'])
    >>> dft_matrix(4, "bitrev").exponents.tolist()[1]
    [0, 2, 3, 1]
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        msg = f"dft size must be a positive integer; got {n!r}"
        raise InvalidInputError(msg)
    _check_size(n, "dft")
    if columns not in ("natural", "bitrev"):
        msg = f"dft columns must be 'natural' or 'bitrev'; got {columns!r}"
        raise InvalidInputError(msg)
    j = np.arange(n, dtype=np.int64)
    k = bitrev(n) if columns == "bitrev" else j
    E = (-np.outer(j, k)) % n
    fld = Field(n)
    bk = get_backend(backend, fld)
    if fld.N == 1:  # n = 1 or 2: entries (-1)^e are rational
        roots = [bk.scalar(1 if e == 0 else -1) for e in range(max(n, 1))]
    else:
        roots = [bk.root_of_unity(e) for e in range(n)]
    A = np.empty((n, n), dtype=object)
    flatE, flatA = E.reshape(-1), A.reshape(-1)
    for t in range(flatE.size):
        flatA[t] = roots[int(flatE[t])]
    E.flags.writeable = False
    return ExactTarget(A, fld, bk, f"DFT_{n} ({columns} columns) over {fld.name}",
                       exponents=E, meta={"generator": "dft", "n": n, "columns": columns})


def hadamard_matrix(n: int, backend: str = "flint") -> ExactTarget:
    """Sylvester Hadamard matrix ``H[j, k] = (-1)^popcount(j & k)`` over Q.

    Examples
    --------
    >>> T = hadamard_matrix(4)
    >>> [[int(T.backend.to_public(v)) for v in row] for row in T.A]
    [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]
    """
    log2_exact(n)
    _check_size(n, "hadamard")
    bk = get_backend(backend, Field(1))
    j = np.arange(n, dtype=np.int64)
    andjk = np.bitwise_and.outer(j, j)
    parity = np.zeros_like(andjk)
    while andjk.any():
        parity ^= andjk & 1
        andjk >>= 1
    one, minus = bk.scalar(1), bk.scalar(-1)
    A = np.where(parity == 0, one, minus).astype(object)
    ints = np.where(parity == 0, 1, -1).astype(np.int64)
    ints.flags.writeable = False
    return ExactTarget(A, Field(1), bk, f"Sylvester Hadamard H_{n} over Q", integers=ints,
                       meta={"generator": "hadamard", "n": n})


def random_integer_factors(masks: list[sp.sparray], seed: int,
                           backend: ExactBackend) -> list[np.ndarray]:
    """Exact integer factors in [-9, 9] on each mask (row-major draw order, see module doc).

    Examples
    --------
    >>> from fsmf_check.exact._backend import get_backend
    >>> F = random_integer_factors([sp.csr_array(np.eye(2, dtype=np.int8))], 0,
    ...                            get_backend("flint", 1))
    >>> [[int(v) for v in row] for row in F[0]]
    [[7, 0], [0, 3]]
    """
    return _random_integer_factors(masks, seed, backend)[0]


def _random_integer_factors(masks: list[sp.sparray], seed: int, backend: ExactBackend,
                            ) -> tuple[list[np.ndarray], list[sp.csr_array]]:
    """Return the factors as backend scalars and as int64 sparse arrays (the same draws)."""
    for M in masks:
        check_dense("random factor", *M.shape)
    out, ints = [], []
    cache = np.empty(19, dtype=object)
    cache[:] = [backend.scalar(v) for v in range(-9, 10)]
    drawn = draw_factor_entries(masks, np.random.default_rng(seed), "integer")
    for M, (rows, cols, vals) in zip(masks, drawn, strict=True):
        F = backend.zeros(*M.shape)
        vals = np.asarray(vals, dtype=np.int64)
        F[rows, cols] = cache[vals + 9]
        out.append(F)
        keep = vals != 0
        ints.append(sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=M.shape))
    return out, ints


def int64_product(factors: list[sp.csr_array], limit: int = 2**62) -> np.ndarray | None:
    """Exact dense product of int64 sparse factors, or None if some entry may reach ``limit``.

    Overflow is excluded by an exact integer argument (no floating point): the product of the
    absolute values ``|F[0]| ... |F[k]|`` bounds every partial product entrywise; it is
    propagated in int64 only after a Python-integer check that the next step cannot overflow
    (``max entry * max |F[k+1]| * max nonzeros per column < 2^63``).

    Examples
    --------
    >>> F = sp.csr_array(np.array([[2**20, 1], [0, 3]], dtype=np.int64))
    >>> int64_product([F, F]).tolist()
    [[1099511627776, 1048579], [0, 9]]
    >>> int64_product([F, F, F, F]) is None
    True
    """
    acc = factors[0].astype(np.int64)
    bound = abs(acc)
    for F in factors[1:]:
        F = F.astype(np.int64)
        absF = abs(F)
        col_terms = int(np.diff(F.tocsc().indptr).max(initial=0))
        big_acc = int(bound.data.max(initial=0)) if bound.nnz else 0
        big_f = int(absF.data.max(initial=0)) if absF.nnz else 0
        if big_acc * big_f * col_terms >= limit:
            return None
        bound = bound @ absF
        acc = acc @ F
    if bound.nnz and int(bound.data.max()) >= limit:
        return None
    return acc.toarray()


def chain_product(factors: list[np.ndarray], backend: ExactBackend) -> np.ndarray:
    """Exact product ``F[0] @ ... @ F[L-1]``, skipping structural zeros.

    Over Q, with every factor scaled to integers by its common denominator, when the product
    provably fits (the exact bound ``|F[0]| ... |F[L-1]|`` below ``2^60``, see
    :func:`int64_product`) it runs in int64 sparse arithmetic and is converted to backend
    scalars once; otherwise one vectorized pass per nonzero position of the sparse right
    factor.

    Examples
    --------
    >>> from fsmf_check.exact._backend import get_backend
    >>> bk = get_backend("flint", 1)
    >>> P = chain_product([bk.array([[1, 2]]), bk.array([[3], [4]])], bk)
    >>> int(P[0, 0])
    11
    """
    fast = _int64_chain_product(factors, backend)
    if fast is not None:
        return fast
    acc = factors[0]
    for F in factors[1:]:
        acc = _sparse_right_mul(acc, F, backend)
    return acc


def _int64_chain_product(factors: list[np.ndarray], backend: ExactBackend) -> np.ndarray | None:
    """Return the exact product by int64 sparse arithmetic, or None when it does not apply."""
    res = _int64_chain_dense(factors, backend)
    if res is None:
        return None
    dense, scale = res
    return _int_to_scalars(dense, scale, backend)


def _int64_chain_dense(factors: list[np.ndarray], backend: ExactBackend,
                       ) -> tuple[np.ndarray, int] | None:
    """Return ``(P, scale)`` with the exact product ``P / scale`` (P int64), or None."""
    if backend.field.N != 1 or backend.name != "flint" or len(factors) < 2:
        return None
    ints = []
    scale = 1  # product of the per-factor common denominators
    for F in factors:
        nz = F.astype(bool)
        rows, cols = np.nonzero(nz)
        vals = F[rows, cols]
        try:
            den = 1
            for v in vals:
                q = int(v.denominator)  # type: ignore[union-attr]
                den = den * q // gcd(den, q)
            iv = np.array([int(v.numerator) * (den // int(v.denominator))  # type: ignore[union-attr]
                           for v in vals], dtype=object)
        except (AttributeError, TypeError):
            return None
        big = max((abs(int(x)) for x in iv), default=0)
        if big >= 2**52 or den >= 2**52:
            return None
        scale *= den
        ints.append(sp.csr_array((iv.astype(np.int64), (rows, cols)), shape=F.shape))
    dense = int64_product(ints, 2**60)
    return None if dense is None else (dense, scale)


def _int_to_scalars(dense: np.ndarray, scale: int, backend: ExactBackend) -> np.ndarray:
    """Backend scalars ``dense / scale``, one scalar object per distinct value."""
    vals, inv = np.unique(dense, return_inverse=True)
    objs = np.empty(vals.size, dtype=object)
    objs[:] = [backend.scalar(Fraction(v, scale) if scale != 1 else v) for v in vals.tolist()]
    return objs[inv.reshape(dense.shape)]


def _integer_product(factors: list[np.ndarray], backend: ExactBackend,
                     ints: list[sp.csr_array]) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the exact product of integer factors and its int64 copy (None if too large)."""
    dense = int64_product(ints) if backend.field.N == 1 else None
    if dense is None:
        return chain_product(factors, backend), None
    dense.flags.writeable = False
    return _int_to_scalars(dense, 1, backend), dense


def _sparse_right_mul(P: np.ndarray, F: np.ndarray, backend: ExactBackend) -> np.ndarray:
    """``P @ F`` over the nonzeros of F (sparse in every chain here), vectorized per position.

    The t-th nonzero of every column is handled by one object-array product over all the
    columns that have one (no Python loop over columns).
    """
    out = backend.zeros(P.shape[0], F.shape[1])
    rows, cols = np.nonzero(F.astype(bool))
    if rows.size == 0:
        return out
    order = np.lexsort((rows, cols))
    rows, cols = rows[order], cols[order]
    start = np.searchsorted(cols, cols, side="left")
    rank = np.arange(cols.size) - start
    first = True
    for t in range(int(rank.max()) + 1):
        sel = rank == t
        rt, ct = rows[sel], cols[sel]
        term = P[:, rt] * F[rt, ct][None, :]
        if first:
            out[:, ct] = term
            first = False
        else:
            out[:, ct] = out[:, ct] + term
    return out


def _explicit(entries: tuple, backend_name: str) -> ExactTarget:
    fld = Field(1)
    for row in entries:
        for v in row:
            fld = fld.join(field_of(v))
    bk = get_backend(backend_name, fld)
    A = bk.array([list(r) for r in entries])
    return ExactTarget(A, fld, bk, f"explicit {A.shape[0]} x {A.shape[1]} matrix over {fld.name}",
                       meta={"generator": None})


def _from_file(path: Path, backend_name: str) -> ExactTarget:
    from fsmf_check.inputs.matrix_files import read_raw_matrix

    arr = read_raw_matrix(path)
    if arr.ndim != 2:
        msg = f"{path.name}: target must be two-dimensional; got shape {arr.shape}"
        raise InvalidInputError(msg)
    if arr.dtype.kind not in "iub":
        msg = (f"{path.name}: the exact engine needs an integer matrix file; got dtype "
               f"{arr.dtype} (floats are not exact)")
        raise ExactnessError(msg)
    check_dense("target file", *arr.shape)
    bk = get_backend(backend_name, Field(1))
    A = bk.array(arr.astype(object))
    ints = None
    if arr.size and max(abs(int(arr.min())), abs(int(arr.max()))) < 2**62:
        ints = arr.astype(np.int64)
        ints.flags.writeable = False
    return ExactTarget(A, Field(1), bk, f"integer matrix from {path.name}", integers=ints,
                       meta={"generator": None, "file": path.name})


def exact_target(case: object, backend: str = "flint") -> ExactTarget:
    """Materialize a case's ``[target]`` exactly (see the module docstring for generators).

    Parameters
    ----------
    case : Case
        A parsed case (:func:`fsmf_check.inputs.cases.load_case`) with a ``[target]``.
    backend : {"flint", "sympy"}
        Exact backend for the scalars.

    Returns
    -------
    ExactTarget
        ``A`` as backend scalars, its field, and planted factors for random generators.

    Raises
    ------
    InvalidInputError
        If the case has no target.
    ExactnessError
        If the target is numeric (float entries, ``entries = "gaussian"``, ``noise > 0``, a
        float matrix file).

    Notes
    -----
    T9 (DFT over Q(zeta_N), Hadamard over Q). Exact; O(m n) scalars, plus the exact
    chain product O(sum of nnz products) for random factors.

    Examples
    --------
    >>> from fsmf_check.inputs.cases import parse_case
    >>> case = parse_case({"name": "h", "kind": "chain", "supports": {"family": "butterfly",
    ...     "n": 4}, "target": {"generator": "hadamard", "n": 4}})
    >>> exact_target(case).field.name
    'Q'
    >>> case = parse_case({"name": "g", "kind": "chain", "supports": {"family": "butterfly",
    ...     "n": 4}, "target": {"generator": "random-butterfly", "n": 4}})
    >>> exact_target(case)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: target generator 'random-butterfly' ... draws floats; ...
    """
    spec = getattr(case, "target", None)
    if spec is None:
        msg = "this command needs a [target] in the case file; none is given"
        raise InvalidInputError(msg)
    if spec.kind == "explicit":
        if not spec.is_exact:
            msg = ("target A has float entries; the exact engine needs integers, \"p/q\" or "
                   "\"a+bi\" strings")
            raise ExactnessError(msg)
        return _explicit(spec.entries, backend)
    if spec.kind == "file":
        return _from_file(spec.file, backend)
    params = dict(spec.params)
    gen = spec.generator
    if params.get("noise", 0.0):
        msg = (f"target generator '{gen}' with noise = {params['noise']} draws floats, which "
               "the exact engine refuses; drop 'noise' (and use entries = \"integer\") for an "
               "exact target, or use 'fsmf-check solve' for the numeric answer")
        raise ExactnessError(msg)
    n = int(params.get("n", spec.shape[1]))
    if gen == "dft":
        # columns = "auto": the matrix as given; certify searches the permutation
        columns = params.get("columns", "natural")
        return dft_matrix(n, "natural" if columns == "auto" else columns, backend)
    if gen == "hadamard":
        return hadamard_matrix(n, backend)
    if params.get("entries", "gaussian") != "integer":
        msg = (f"target generator '{gen}' with entries = \"gaussian\" draws floats; use "
               "entries = \"integer\" for an exact target")
        raise ExactnessError(msg)
    seed = int(params.get("seed", 0))
    bk = get_backend(backend, Field(1))
    if gen == "random-butterfly":
        bchain = butterfly(n, params.get("order", "standard"))
        _check_size(n, "random-butterfly")
        factors, fints = _random_integer_factors(
            [bchain.factor_mask(i) for i in range(bchain.n_factors)], seed, bk)
        A, ints = _integer_product(factors, bk, fints)
        return ExactTarget(A, Field(1), bk,
                           f"random integer butterfly product (n={n}, seed={seed})",
                           planted=factors, integers=ints,
                           meta={"generator": gen, "n": n, "seed": seed})
    # random-in-support
    pattern, chain = getattr(case, "pattern", None), getattr(case, "chain", None)
    if pattern is not None and getattr(case, "split", None) is None:
        _check_size(max(pattern.m, pattern.n, pattern.r), "random-in-support")
        X, Y = random_integer_factors([pattern.I, pattern.J], seed, bk)
        A = bk.matmul(X, Y.T.copy())
        return ExactTarget(A, Field(1), bk, f"random integer product in the support (seed={seed})",
                           planted=[X, Y], meta={"generator": gen, "seed": seed})
    if chain is None:
        msg = "target generator 'random-in-support' needs the case's supports"
        raise InvalidInputError(msg)
    _check_size(max(chain.shape), "random-in-support")
    factors, fints = _random_integer_factors(
        [chain.factor_mask(i) for i in range(chain.n_factors)], seed, bk)
    A, ints = _integer_product(factors, bk, fints)
    if pattern is not None:  # two-factor case made from a chain split: plant the split
        s: int = getattr(case, "split")  # not None: checked above
        left = chain_product(factors[:s], bk)
        right = chain_product(factors[s:], bk)
        planted = [left, right.T.copy()]
    else:
        planted = factors
    return ExactTarget(A, Field(1), bk, f"random integer chain product (seed={seed})",
                       planted=planted, integers=ints,
                       meta={"generator": gen, "seed": seed})


def as_exact_matrix(A: object, backend: str = "flint") -> ExactTarget:
    """Wrap a user matrix of public exact scalars (refusing floats) as an :class:`ExactTarget`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> as_exact_matrix([[1, Fraction(1, 2)]]).field.name
    'Q'
    >>> as_exact_matrix(np.eye(2))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.ExactnessError: the exact engine needs exact entries ...; got a float64 array
    """
    if isinstance(A, ExactTarget):
        return A
    raw = A if isinstance(A, np.ndarray) else np.array(A, dtype=object)
    if raw.dtype.kind in "fc":
        msg = ("the exact engine needs exact entries (int, Fraction, GaussianRational or "
               f"CyclotomicNumber); got a {raw.dtype} array")
        raise ExactnessError(msg)
    if raw.ndim != 2:
        msg = f"an exact matrix must be two-dimensional; got shape {raw.shape}"
        raise InvalidInputError(msg)
    fld = Field(1)
    for v in raw.reshape(-1):
        fld = fld.join(field_of(int(v) if isinstance(v, np.integer) else v))
    bk = get_backend(backend, fld)
    return ExactTarget(bk.array(raw), fld, bk, f"{raw.shape[0]} x {raw.shape[1]} matrix over "
                       f"{fld.name}")


__all__ += ["as_exact_matrix"]

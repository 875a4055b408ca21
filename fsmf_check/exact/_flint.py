r"""python-flint backend of the exact-matrix layer (the ONLY module that imports flint).

Q uses ``fmpq`` scalars and native ``fmpq_mat``/``fmpz_mat`` routines; Q(zeta_N) (including
Q(i) = Q(zeta_4)) uses :class:`_Cyc`, an ``fmpq_poly`` reduced modulo ``Phi_N``, with the
generic Gauss-Jordan elimination of :class:`~fsmf_check.exact._backend.ExactBackend`.

Measured on the 2-core dev box (python-flint 0.9, see docs/benchmarks.md): a product
of two degree-63 elements mod Phi_128 costs about 12 us; ``fmpz_mat.rank`` is 10-27x faster
than ``fmpq_mat.rank`` (EXACT_NOTES), so ranks over Q go through the integer matrix with
cleared denominators. Above ``_MODULAR_MIN`` entries the rank is certified with several
word-size primes and the Hadamard bound (EXACT_NOTES §1.4): a rank mod p is a proven lower
bound, and agreement of enough primes whose product exceeds the Hadamard bound of every
(r+1)-minor proves the upper bound. Pitfalls respected here: composite moduli abort the
process (every modulus is checked with ``fmpz(p).is_prime()``), and ``fmpq`` never meets a
``Fraction`` (explicit conversion).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import fmpq, fmpq_mat, fmpq_poly, fmpz, fmpz_mat, fmpz_poly, nmod_mat

from fsmf_check.errors import ExactnessError
from fsmf_check.exact._backend import ExactBackend, Field
from fsmf_check.model.cyclotomic import CyclotomicNumber
from fsmf_check.model.numbers import GaussianRational

__all__ = ["FlintBackend"]

#: Matrices with at least this many entries get the multi-prime rank certificate over Q.
_MODULAR_MIN = 40_000


def _to_fmpq(x: object) -> fmpq:
    if isinstance(x, fmpq):
        return x
    if isinstance(x, bool):
        msg = "booleans are not exact numbers"
        raise ExactnessError(msg)
    if isinstance(x, int):
        return fmpq(x)
    if isinstance(x, Fraction):
        return fmpq(x.numerator, x.denominator)
    if isinstance(x, np.integer):
        return fmpq(int(x))
    msg = f"cannot convert {type(x).__name__} to an exact rational"
    raise ExactnessError(msg)


class _CycCtx:
    """Arithmetic context of Q(zeta_N): Phi_N and a fast reduction for N = 2^k."""

    def __init__(self, N: int) -> None:
        self.N = N
        self.phi = fmpq_poly(fmpz_poly.cyclotomic(N).coeffs())
        self.d = self.phi.degree()
        # Phi_N = x^d + 1 exactly when N is a power of two: reduction is low - high
        self.negacyclic = N & (N - 1) == 0
        self._powers: dict[int, fmpq_poly] = {}

    def reduce(self, p: fmpq_poly) -> fmpq_poly:
        if p.degree() < self.d:
            return p
        if self.negacyclic and p.degree() < 2 * self.d:
            return p.truncate(self.d) - p.right_shift(self.d)
        return p % self.phi

    def power(self, e: int) -> fmpq_poly:
        e %= self.N
        if e not in self._powers:
            self._powers[e] = self.reduce_full(fmpq_poly([0] * e + [1]))
        return self._powers[e]

    def reduce_full(self, p: fmpq_poly) -> fmpq_poly:
        return p % self.phi if p.degree() >= self.d else p


class _Cyc:
    """An element of Q(zeta_N): an ``fmpq_poly`` of degree < phi(N), reduced mod Phi_N."""

    __slots__ = ("p", "ctx")

    def __init__(self, p: fmpq_poly, ctx: _CycCtx) -> None:
        self.p = p
        self.ctx = ctx

    def _new(self, p: fmpq_poly) -> _Cyc:
        out = _Cyc.__new__(_Cyc)
        out.p = p
        out.ctx = self.ctx
        return out

    def _other(self, o: object) -> fmpq_poly:
        if type(o) is _Cyc:
            return o.p
        if isinstance(o, int | fmpq) and not isinstance(o, bool):
            return fmpq_poly([o])
        msg = f"cannot combine a Q(zeta_N) element with {type(o).__name__} exactly"
        raise ExactnessError(msg)

    def __add__(self, o: object) -> _Cyc:
        return self._new(self.p + self._other(o))

    __radd__ = __add__

    def __sub__(self, o: object) -> _Cyc:
        return self._new(self.p - self._other(o))

    def __rsub__(self, o: object) -> _Cyc:
        return self._new(self._other(o) - self.p)

    def __neg__(self) -> _Cyc:
        return self._new(-self.p)

    def __mul__(self, o: object) -> _Cyc:
        if type(o) is _Cyc:
            return self._new(self.ctx.reduce(self.p * o.p))
        return self._new(self.ctx.reduce(self.p * self._other(o)))

    __rmul__ = __mul__

    def inverse(self) -> _Cyc:
        if self.p.is_zero():
            msg = "division by zero in Q(zeta_N)"
            raise ZeroDivisionError(msg)
        g, s, _ = self.p.xgcd(self.ctx.phi)
        if g.degree() != 0:  # Phi_N is irreducible, so this cannot happen for p != 0
            msg = "element is not invertible modulo Phi_N"
            raise ZeroDivisionError(msg)
        return self._new(self.ctx.reduce_full(s * fmpq(1) / g.coeffs()[0]))

    def __truediv__(self, o: object) -> _Cyc:
        if type(o) is _Cyc:
            return self * o.inverse()
        return self._new(self.p * (fmpq(1) / _to_fmpq(o)))

    def __rtruediv__(self, o: object) -> _Cyc:
        return self.inverse() * o

    def __eq__(self, o: object) -> bool:
        if type(o) is _Cyc:
            return self.p == o.p
        if isinstance(o, int | fmpq) and not isinstance(o, bool):
            return self.p == fmpq_poly([o])
        return NotImplemented

    def __ne__(self, o: object) -> bool:
        res = self.__eq__(o)
        return res if res is NotImplemented else not res

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return not self.p.is_zero()

    def __repr__(self) -> str:
        return f"_Cyc({self.p})"


class FlintBackend(ExactBackend):
    """Exact linear algebra with python-flint (default backend).

    Examples
    --------
    >>> from fsmf_check.exact._backend import Field
    >>> bk = FlintBackend(Field(8))
    >>> z = bk.root_of_unity(1)
    >>> bk.to_public(z * z * z * z).to_exact_string()
    '-1'
    >>> bk.rank(bk.array([[1, 2], [3, 4]]))
    2
    """

    name = "flint"

    def __init__(self, field: Field) -> None:
        self.ctx = _CycCtx(field.N) if field.N > 1 else None
        super().__init__(field)

    # ---- scalars -------------------------------------------------------------------------
    def scalar(self, x: object) -> object:
        if self.ctx is None:
            if isinstance(x, GaussianRational):
                if x.im != 0:
                    msg = f"entry {x.to_exact_string()} does not lie in Q"
                    raise ExactnessError(msg)
                x = x.re
            elif isinstance(x, CyclotomicNumber):
                if not x.is_rational:
                    msg = f"entry {x.to_exact_string()} does not lie in Q"
                    raise ExactnessError(msg)
                x = x.coeffs[0]
            elif isinstance(x, fmpq):
                return x
            elif not isinstance(x, int | Fraction | np.integer) or isinstance(x, bool):
                self._public_check(x)
            return _to_fmpq(x)
        if isinstance(x, _Cyc):
            return x
        ctx = self.ctx
        if isinstance(x, GaussianRational):
            if ctx.N % 4 and x.im != 0:
                msg = f"entry {x.to_exact_string()} does not lie in {self.field.name}"
                raise ExactnessError(msg)
            p = fmpq_poly([_to_fmpq(x.re)])
            if x.im != 0:
                p = p + ctx.power(ctx.N // 4) * _to_fmpq(x.im)
            return _Cyc(p, ctx)
        if isinstance(x, CyclotomicNumber):
            if ctx.N % x.N:
                if x.is_rational:
                    return _Cyc(fmpq_poly([_to_fmpq(x.coeffs[0])]), ctx)
                msg = f"entry {x.to_exact_string()} of Q(zeta_{x.N}) is not in {self.field.name}"
                raise ExactnessError(msg)
            step = ctx.N // x.N
            p = fmpq_poly([0])
            for k, c in enumerate(x.coeffs):
                if c:
                    p = p + ctx.power(k * step) * _to_fmpq(c)
            return _Cyc(p, ctx)
        if isinstance(x, fmpq):
            return _Cyc(fmpq_poly([x]), ctx)
        if not isinstance(x, int | Fraction | np.integer) or isinstance(x, bool):
            self._public_check(x)
        return _Cyc(fmpq_poly([_to_fmpq(x)]), ctx)

    def to_public(self, s: object) -> Fraction | GaussianRational | CyclotomicNumber:
        if self.ctx is None:
            q = _to_fmpq(s)
            return Fraction(int(q.p), int(q.q))
        if not isinstance(s, _Cyc):
            s = self.scalar(s)
        coeffs = [Fraction(int(c.p), int(c.q)) for c in s.p.coeffs()]  # type: ignore[attr-defined]
        if self.ctx.N == 4:
            coeffs += [Fraction(0)] * (2 - len(coeffs))
            return GaussianRational(coeffs[0], coeffs[1])
        return CyclotomicNumber(self.ctx.N, coeffs)

    def root_of_unity(self, e: int) -> object:
        if self.ctx is None:
            return self.one
        return _Cyc(self.ctx.power(e), self.ctx)

    # ---- memory: estimated before FLINT allocates (a failed FLINT allocation aborts) -----
    def _reserve(self, what: str, *shapes: tuple[int, ...]) -> None:
        """Refuse (SizeLimitError, exit 2) when the dense exact matrices exceed --max-memory.

        Each entry is counted as a Python object plus its FLINT data (one fmpq, or a
        polynomial of degree < d in Q(zeta_N)), twice (operands and result or workspace).
        """
        from fsmf_check._limits import check_memory

        entries = sum(int(np.prod(s)) for s in shapes)
        per_entry = 96 + 32 * (self.ctx.d if self.ctx is not None else 1)
        check_memory(f"exact {what} of {' and '.join('x'.join(map(str, s)) for s in shapes)} "
                     "matrices", 2 * entries * per_entry)

    def zeros(self, m: int, n: int) -> np.ndarray:
        from fsmf_check._limits import check_memory

        # one shared zero scalar: count the references only
        check_memory(f"exact {m}x{n} matrix", 16 * m * n)
        return super().zeros(m, n)

    def array(self, rows: object) -> np.ndarray:
        shape = np.shape(rows) if isinstance(rows, np.ndarray) else None
        if shape is not None and len(shape) == 2:
            # equal entries share one backend scalar (cached): count the references only
            from fsmf_check._limits import check_memory

            check_memory(f"exact {shape[0]}x{shape[1]} matrix", 16 * int(np.prod(shape)))
        return super().array(rows)

    # ---- Q: native routines --------------------------------------------------------------
    def _qmat(self, M: np.ndarray) -> fmpq_mat:
        m, n = M.shape
        return fmpq_mat(m, n, [_to_fmpq(v) for v in M.reshape(-1)])

    def _from_qmat(self, Q: fmpq_mat) -> np.ndarray:
        m, n = Q.nrows(), Q.ncols()
        out = np.empty((m, n), dtype=object)
        out.reshape(-1)[:] = Q.entries()
        return out

    def rank(self, M: np.ndarray) -> int:
        self._reserve("rank", M.shape)
        if self.ctx is not None:
            return super().rank(M)
        if M.size == 0:
            return 0
        Z = self._qmat(M).numer_denom()[0]
        if M.size >= _MODULAR_MIN:
            return _multimodular_rank(Z)
        return Z.rank()

    def rref(self, M: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        self._reserve("rref", M.shape)
        if self.ctx is not None:
            return super().rref(M)
        if M.size == 0:
            return M.copy(), ()
        R, rank = self._qmat(M).rref()
        out = self._from_qmat(R)
        pivots = []
        for i in range(rank):
            row = out[i]
            pivots.append(next(j for j in range(out.shape[1]) if row[j] != 0))
        return out, tuple(pivots)

    def det(self, M: np.ndarray) -> object:
        self._reserve("det", M.shape)
        if self.ctx is not None:
            return super().det(M)
        return self._qmat(M).det()

    def matmul(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        self._reserve("product", A.shape, B.shape, (A.shape[0], B.shape[-1]))
        if self.ctx is not None or A.size == 0 or B.size == 0:
            return super().matmul(A, B)
        return self._from_qmat(self._qmat(A) * self._qmat(B))


def _primes_below(start: int, count: int) -> list[int]:
    out: list[int] = []
    p = start
    while len(out) < count:
        p -= 1
        if fmpz(p).is_prime():
            out.append(p)
    return out


def _multimodular_rank(Z: fmpz_mat) -> int:
    """Exact rank of an integer matrix from word-size primes and the Hadamard bound.

    rank mod p <= rank over Q for every prime p (a nonzero minor mod p is nonzero). If the
    maximal rank r seen mod p is also seen for primes whose product exceeds the Hadamard bound
    of every (r+1)-minor, then every (r+1)-minor is divisible by that product and smaller in
    absolute value, hence zero: rank <= r. EXACT_NOTES §1.4.
    """
    m, n = Z.nrows(), Z.ncols()
    entries = Z.entries()
    sq = [sum(int(entries[i * n + j]) ** 2 for j in range(n)) for i in range(m)]
    sq.sort(reverse=True)
    best = -1
    bits_needed = None
    agreeing_bits = 0.0
    p = 2**62
    while True:
        p = _primes_below(p, 1)[0]
        assert fmpz(p).is_prime()
        rk = nmod_mat(Z, p).rank()
        if rk > best:
            best, agreeing_bits = rk, 0.0
            if best == min(m, n):
                return best
            # Hadamard: |(r+1)-minor| <= product of the r+1 largest row norms
            bits_needed = sum((s.bit_length() + 1) // 2 + 1 for s in sq[: best + 1])
        if rk == best:
            agreeing_bits += 61.9
        if bits_needed is not None and agreeing_bits > bits_needed:
            return best

r"""The cases of a sweep: every support pair, one per symmetry orbit, or a seeded sample.

A support pair ``(I, J)`` of shape ``(m, r, n)`` is coded as the integer whose binary digits,
most significant first, are the rows of ``I`` then the rows of ``J`` read left to right; so
increasing codes are the lexicographic order of the 0/1 row strings, and code 0 is the empty
pair. An enumeration lists the codes in increasing order.

With ``symmetry = "permutations"`` the group is ``S_m x S_n x S_r``: row permutations of ``I``,
row permutations of ``J`` and one permutation of the inner index applied to the columns of
both. These change neither tractability, closedness nor identifiability (relabeling rows of
``A``, columns of ``A`` and rank-one terms). The representative of an orbit is its smallest
code. For a fixed inner permutation the smallest code over row permutations is obtained by
sorting the rows of each mask, so the canonical form is a minimum over the ``r!`` inner
permutations only: ``O(r! 2^((m+n) r))`` vectorized integer operations (3 x 3 x 3: 6 x 2^18,
well under a second).

Samples draw case ``i`` from ``numpy.random.default_rng([seed, i, 0])`` (supports) and
``[seed, i, 1]`` (targets), so a case does not depend on how the work is split.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fsmf_check.sweep.chains import ChainCase, chain_case
from fsmf_check.sweep.spec import SweepSpec

__all__ = ["SweepCase", "CaseFamily", "canonical_codes", "decode", "encode", "TARGET_RANGE"]

#: Targets and planted factors have integer entries in [-TARGET_RANGE, TARGET_RANGE].
TARGET_RANGE = 3
_BLOCK = 2**20


@dataclass(frozen=True, slots=True)
class SweepCase:
    """One case: its position in the enumeration, the masks as 0/1 row strings, the orbit size.

    ``target`` (integer rows) is present when the sweep generates targets.
    """

    index: int
    I: tuple[str, ...]
    J: tuple[str, ...]
    orbit_size: int | None = None
    target: tuple[tuple[int, ...], ...] | None = None


def encode(I: np.ndarray, J: np.ndarray) -> int:
    """Code of the pair (rows of ``I`` then rows of ``J``, most significant bit first).

    Examples
    --------
    >>> encode(np.array([[1, 0], [1, 1]]), np.array([[1, 0], [1, 1]]))
    187
    >>> decode(187, (2, 2, 2))
    (('10', '11'), ('10', '11'))
    """
    bits = "".join(str(int(v)) for v in np.concatenate([np.ravel(I), np.ravel(J)]))
    return int(bits, 2)


def decode(code: int, shape: tuple[int, int, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Masks of a code as 0/1 row strings ``(I rows, J rows)`` (see :func:`encode`)."""
    m, r, n = shape
    bits = format(code, f"0{(m + n) * r}b")
    rows = tuple(bits[k * r:(k + 1) * r] for k in range(m + n))
    return rows[:m], rows[m:]


def _side_canonical(p: int, r: int, tau: tuple[int, ...]) -> np.ndarray:
    """Map every code of a ``p x r`` mask to its smallest code over row permutations.

    The columns are first permuted by ``tau``; sorting the rows ascending gives the minimum.
    """
    row_vals = np.arange(2**r, dtype=np.int64)
    permuted = np.zeros_like(row_vals)
    for k in range(r):
        # new column k is old column tau[k]; column 0 is the most significant bit
        permuted |= ((row_vals >> (r - 1 - tau[k])) & 1) << (r - 1 - k)
    codes = np.arange(2**(p * r), dtype=np.int64)
    rows = np.stack([(codes >> ((p - 1 - i) * r)) & (2**r - 1) for i in range(p)], axis=1)
    rows = np.sort(permuted[rows], axis=1)
    out = np.zeros_like(codes)
    for i in range(p):
        out |= rows[:, i] << ((p - 1 - i) * r)
    return out


def canonical_codes(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Orbit representatives (smallest codes, increasing) and orbit sizes under S_m x S_n x S_r.

    Examples
    --------
    >>> reps, sizes = canonical_codes((1, 1, 1))
    >>> reps.tolist(), sizes.tolist()
    ([0, 1, 2, 3], [1, 1, 1, 1])
    >>> reps, sizes = canonical_codes((2, 2, 2))
    >>> len(reps), int(sizes.sum())
    (58, 256)
    """
    m, r, n = shape
    taus = list(itertools.permutations(range(r)))
    side_i = [_side_canonical(m, r, t) for t in taus]
    side_j = [_side_canonical(n, r, t) for t in taus]
    nbits_j = n * r
    total = 2**((m + n) * r)
    canon = np.empty(total, dtype=np.int64)
    for start in range(0, total, _BLOCK):
        codes = np.arange(start, min(total, start + _BLOCK), dtype=np.int64)
        ci, cj = codes >> nbits_j, codes & (2**nbits_j - 1)
        best = (side_i[0][ci] << nbits_j) | side_j[0][cj]
        for si, sj in zip(side_i[1:], side_j[1:], strict=True):
            np.minimum(best, (si[ci] << nbits_j) | sj[cj], out=best)
        canon[start:start + codes.size] = best
    reps = np.flatnonzero(canon == np.arange(total, dtype=np.int64))
    sizes = np.bincount(np.searchsorted(reps, canon), minlength=reps.size)
    return reps, sizes


class CaseFamily:
    """The cases of a sweep, in their fixed order (index 0, 1, ...).

    Examples
    --------
    >>> from fsmf_check.sweep.spec import parse_sweep
    >>> spec = parse_sweep({"name": "x", "kind": "two-factor", "questions": ["closedness"],
    ...                     "enumerate": {"shape": [2, 2, 2], "symmetry": "permutations"}})
    >>> fam = CaseFamily(spec)
    >>> len(fam), fam.case(0)
    (58, SweepCase(index=0, I=('00', '00'), J=('00', '00'), orbit_size=1, target=None))
    """

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec

    @cached_property
    def _orbits(self) -> tuple[np.ndarray, np.ndarray]:
        return canonical_codes(self.spec.shape)

    def __len__(self) -> int:
        spec = self.spec
        if spec.mode == "sample":
            return spec.count
        if spec.symmetry == "permutations":
            return int(self._orbits[0].size)
        m, r, n = spec.shape
        return 2**((m + n) * r)

    def case(self, index: int) -> SweepCase | ChainCase:
        """Return the case at ``index`` (0-based, ``0 <= index < len(self)``).

        A :class:`~fsmf_check.sweep.chains.ChainCase` for ``kind = "chain"`` sweeps.
        """
        spec = self.spec
        if spec.kind == "chain":
            return chain_case(spec, index)
        m, r, n = spec.shape
        orbit = None
        if spec.mode == "sample":
            rng = np.random.default_rng([spec.seed, index, 0])
            Im = (rng.random((m, r)) < spec.density).astype(np.int8)
            Jm = (rng.random((n, r)) < spec.density).astype(np.int8)
            I_rows = tuple("".join(map(str, row)) for row in Im.tolist())
            J_rows = tuple("".join(map(str, row)) for row in Jm.tolist())
        elif spec.symmetry == "permutations":
            reps, sizes = self._orbits
            I_rows, J_rows = decode(int(reps[index]), spec.shape)
            orbit = int(sizes[index])
        else:
            I_rows, J_rows = decode(index, spec.shape)
        return SweepCase(index=index, I=I_rows, J=J_rows, orbit_size=orbit,
                         target=self._target(index, I_rows, J_rows))

    def _target(self, index: int, I_rows: tuple[str, ...], J_rows: tuple[str, ...]
                ) -> tuple[tuple[int, ...], ...] | None:
        spec = self.spec
        if spec.target == "none":
            return None
        m, r, n = spec.shape
        rng = np.random.default_rng([spec.seed, index, 1])
        if spec.target == "integer":
            A = rng.integers(-TARGET_RANGE, TARGET_RANGE + 1, size=(m, n))
        else:
            # planted: nonzero integer entries on the supports, so A = X Y^T is a member and
            # generic enough that its rank-one contributions have full support
            Im = np.array([[c == "1" for c in row] for row in I_rows], dtype=np.int64)
            Jm = np.array([[c == "1" for c in row] for row in J_rows], dtype=np.int64)
            mags = rng.integers(1, TARGET_RANGE + 1, size=(2, max(m, n), r))
            signs = rng.choice(np.array([-1, 1]), size=(2, max(m, n), r))
            X = Im * (mags[0, :m] * signs[0, :m])
            Y = Jm * (mags[1, :n] * signs[1, :n])
            A = X @ Y.T
        return tuple(tuple(int(v) for v in row) for row in A.tolist())

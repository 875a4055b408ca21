r"""Find, in exact arithmetic, the column permutation that makes A a butterfly product.

The exact twin of :mod:`fsmf_check.numeric.permutation` (docs/permutations.md, section "The
exact path"). For the standard order (factor ``l`` has support ``(2^(l-1), 2, 2, N/2^l)``)
``B = F[0] diag(R0, R1)``: on every row pair ``(i, i + N/2)`` the 2-vectors of the columns of
one half are parallel, i.e. every 2x2 minor of ``A`` on the rows ``(i, i + N/2)`` and two
columns of one half vanishes (the level blocks of T9 have rank <= 1).

**Conflict graph.** Join two columns when some row pair has a nonzero 2x2 minor on them (zero
2-vectors are parallel to everything, so they make no edge). A split of the columns into two
halves makes every row-pair block of each half rank <= 1 *if and only if* no edge lies inside
a half: the valid splits are exactly the proper 2-colourings of the conflict graph whose two
colour classes have ``n/2`` columns each. Per row pair the exact test needs at most two
reference directions (a third non-parallel direction is a triangle, an odd cycle), so a group
of ``n`` columns costs ``O(n^2)`` minors, the whole search ``O(N^2)`` (``2 N^2`` 2-vectors).

**Recursion.** For a valid split, each row-pair block of a half is ``u_i w_i^T`` and ``w_i``
may be taken as one of the two rows of ``A`` itself (the first nonzero one): the reduced
block of a half is ``A[rows, half]`` for a list of rows of ``A``, and equals ``diag(c) R0``,
again (up to a row scaling, which keeps parallelism) a butterfly product of size ``N/2``.
Conversely, rank-one row-pair blocks plus butterfly halves give a butterfly product. So the
search is complete along *forced* splits: if the balanced 2-colouring of a group is unique up
to swapping the halves, every permutation that works must split the group that way.

**Verdicts.** ``found``: a permutation whose every split is valid; ``A[:, perm]`` is then a
butterfly product (certified separately by
:func:`fsmf_check.exact.chain.decide_chain_membership`). ``refuted``: no permutation works,
proven by an obstruction in a group reached through forced splits (or through every
balanced split, enumerated): an odd cycle of columns in the conflict graph (each edge a
nonzero 2x2 minor of ``A`` on two listed rows), or components of the conflict graph whose
sizes cannot make two halves of ``n/2``. ``undecided``: the budget of alternative splits at
non-forced groups ran out.

Equivalent permutations: swapping the two halves of any group gives ``2^(N-1)`` equivalent
permutations; the canonical representative puts the half holding the smallest column index
first, as the numeric search does. When every split is forced, these are *all* the
permutations that work.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from fsmf_check.errors import InvalidInputError
from fsmf_check.exact.targets import ExactTarget, as_exact_matrix
from fsmf_check.model.families import bitrev, log2_exact
from fsmf_check.model.numbers import format_exact

__all__ = ["ExactPermutationSearch", "find_column_permutation_exact", "permute_columns",
           "MAX_ALTERNATIVES"]

#: Alternative splits tried at groups whose balanced 2-colouring is not unique, in total.
MAX_ALTERNATIVES = 64

#: Components listed in an ``unbalanced`` obstruction (the sizes of all are always given).
_MAX_LISTED = 16


@dataclass(frozen=True, eq=False)
class ExactPermutationSearch:
    """Result of :func:`find_column_permutation_exact`.

    ``verdict``: ``found`` (``perm`` set, ``A[:, perm]`` splits validly at every level),
    ``refuted`` (no column permutation makes ``A`` a butterfly product of ``order``; the proof
    is in ``evidence``) or ``undecided``. ``forced``: every split on the way was the unique
    balanced one, so the permutations that work are exactly the ``2^(N-1)`` equivalent ones.
    """

    verdict: str
    order: str
    perm: np.ndarray | None
    forced: bool
    explanation: str
    evidence: dict[str, object] = field(default_factory=dict)
    groups: int = 0
    alternatives: int = 0

    @property
    def equivalent_permutations(self) -> str:
        """What the found permutation stands for (docs/permutations.md)."""
        if self.perm is None:
            return "none"
        n = self.perm.size
        swaps = (f"swapping the two halves of any column group (2^(N-1) = 2^{n - 1} "
                 "permutations)")
        if self.forced:
            return (f"exactly the permutations obtained from perm by {swaps}: every split was "
                    "forced, so no other permutation works")
        return (f"perm up to {swaps}; some split was not forced (zero or parallel 2-vectors), "
                "so other, non-equivalent permutations may also work")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"verdict": self.verdict, "order": self.order,
                "perm": None if self.perm is None else self.perm.tolist(),
                "forced": self.forced, "explanation": self.explanation,
                "equivalent_permutations": self.equivalent_permutations,
                "groups_examined": self.groups, "alternative_splits_tried": self.alternatives,
                "evidence": self.evidence}


class _ObjectBlock:
    """2-vectors of an object matrix of backend scalars; parallel <=> the 2x2 minor is 0."""

    def __init__(self, M: np.ndarray, target: ExactTarget) -> None:
        self.M = M
        self.bk = target.backend
        self.nz = target.backend.nonzero_mask(M)

    def nonzero(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.nz[np.ix_(rows, cols)]

    def nonparallel(self, top: np.ndarray, bot: np.ndarray, cols: np.ndarray,
                    ref: np.ndarray) -> np.ndarray:
        X = self.M[np.ix_(top, cols)]
        Y = self.M[np.ix_(bot, cols)]
        ar = np.arange(top.size)
        D = X * Y[ar, ref][:, None] - Y * X[ar, ref][:, None]
        return self.bk.nonzero_mask(D)


class _ExponentBlock:
    """Roots-of-unity matrix ``z^E``: ``(z^a, z^b) || (z^c, z^d)`` <=> ``b - a = d - c mod N``."""

    def __init__(self, E: np.ndarray, N: int) -> None:
        self.E = E
        self.N = N

    def nonzero(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return np.ones((rows.size, cols.size), dtype=bool)

    def nonparallel(self, top: np.ndarray, bot: np.ndarray, cols: np.ndarray,
                    ref: np.ndarray) -> np.ndarray:
        K = (self.E[np.ix_(bot, cols)] - self.E[np.ix_(top, cols)]) % self.N
        return K != K[np.arange(top.size), ref][:, None]


@dataclass
class _Ok:
    order: list[int]
    forced: bool


@dataclass
class _Fail:
    evidence: dict[str, object]
    proven: bool


def _orientations(sizes: list[tuple[int, int]], half: int) -> Iterator[tuple[int, ...]]:
    """Every choice of side per component (component 0: side 0) putting ``half`` columns in H0.

    ``sizes[c] = (|side 0|, |side 1|)``; choice ``o`` puts side ``o`` of component ``c`` in
    the first half. Backtracking with a reachable-sums table, so no dead ends (iterative: a
    group may have thousands of components).
    """
    m = len(sizes)
    reach = [0] * (m + 1)
    reach[m] = 1
    for c in range(m - 1, -1, -1):
        a, b = sizes[c]
        reach[c] = reach[c + 1] << a
        if c > 0:
            reach[c] |= reach[c + 1] << b
    if not (reach[0] >> half) & 1:
        return
    need = [0] * (m + 1)
    need[0] = half
    nxt = [0] * (m + 1)
    pick = [0] * m
    c = 0
    while c >= 0:
        if c == m:
            yield tuple(pick)
            c -= 1
            continue
        advanced = False
        while nxt[c] < (1 if c == 0 else 2):
            o = nxt[c]
            nxt[c] += 1
            rest = need[c] - sizes[c][o]
            if rest >= 0 and (reach[c + 1] >> rest) & 1:
                pick[c] = o
                need[c + 1] = rest
                nxt[c + 1] = 0
                c += 1
                advanced = True
                break
        if not advanced:
            c -= 1


class _Search:
    def __init__(self, target: ExactTarget, order: str, max_alternatives: int) -> None:
        n = target.A.shape[0]
        self.target = target
        self.n = n
        self.row_of = bitrev(n) if order == "reversed" else np.arange(n, dtype=np.int64)
        N = target.field.N
        if target.exponents is not None and N > 1:
            self.blk: _ObjectBlock | _ExponentBlock = _ExponentBlock(
                np.asarray(target.exponents)[self.row_of, :], N)
        else:
            self.blk = _ObjectBlock(target.A[self.row_of, :], target)
        self.max_alternatives = max_alternatives
        self.alternatives = 0
        self.groups = 0
        self.exhausted = False

    # ---- evidence ----------------------------------------------------------------------
    def _minor(self, a: int, b: int, j: int, k: int) -> str:
        A, bk = self.target.A, self.target.backend
        return format_exact(bk.to_public(A[a, j] * A[b, k] - A[a, k] * A[b, j]))

    def _edge(self, top: np.ndarray, bot: np.ndarray, cols: np.ndarray, p: int, q: int,
              r: int) -> dict[str, object]:
        a, b = int(self.row_of[top[r]]), int(self.row_of[bot[r]])
        j, k = int(cols[p]), int(cols[q])
        return {"cols": [j, k], "rows": [a, b], "minor": self._minor(a, b, j, k)}

    # ---- one group -----------------------------------------------------------------------
    def solve(self, rows: np.ndarray, cols: np.ndarray, level: int) -> _Ok | _Fail:
        n = cols.size
        if n == 1:
            return _Ok([int(cols[0])], True)
        self.groups += 1
        h = n // 2
        top, bot = rows[:h], rows[h:]
        blk = self.blk
        nz = blk.nonzero(top, cols) | blk.nonzero(bot, cols)
        j0 = np.argmax(nz, axis=1)
        np0 = blk.nonparallel(top, bot, cols, j0) & nz
        has1 = np0.any(axis=1)
        j1 = np.argmax(np0, axis=1)
        np1 = blk.nonparallel(top, bot, cols, j1) & nz & has1[:, None]
        third = np0 & np1
        where = {"level": level, "group": [int(c) for c in cols]}
        if third.any():
            r = int(np.argmax(third.any(axis=1)))
            p, q, s = int(j0[r]), int(j1[r]), int(np.argmax(third[r]))
            cycle = [self._edge(top, bot, cols, p, q, r), self._edge(top, bot, cols, q, s, r),
                     self._edge(top, bot, cols, s, p, r)]
            return _Fail({"kind": "odd-cycle", **where, "cycle": cycle,
                          "note": "three pairwise non-parallel columns on one row pair"}, True)
        # union-find with parity over the "different halves" edges
        parent = list(range(n))
        parity = [0] * n
        tree: list[list[tuple[int, int]]] = [[] for _ in range(n)]

        def find(x: int) -> tuple[int, int]:
            par = 0
            path = []
            while parent[x] != x:
                path.append(x)
                par ^= parity[x]
                x = parent[x]
            root, acc = x, par
            for y in path:  # path compression with parities relative to the root
                nxt_par = acc ^ parity[y]
                parent[y], parity[y], acc = root, acc, nxt_par
            return root, par

        for r in np.flatnonzero(has1).tolist():
            a, b = int(j0[r]), int(j1[r])
            alpha = np.flatnonzero(nz[r] & ~np0[r])
            beta = np.flatnonzero(np0[r])
            for x, ys in ((b, alpha), (a, beta)):
                for y in ys.tolist():
                    rx, px = find(x)
                    ry, py = find(y)
                    if rx != ry:
                        parent[ry], parity[ry] = rx, px ^ py ^ 1
                        tree[x].append((y, int(r)))
                        tree[y].append((x, int(r)))
                    elif px == py:
                        path = self._tree_path(tree, y, x)
                        cycle = [self._edge(top, bot, cols, u, v, rr) for u, v, rr in path]
                        cycle.append(self._edge(top, bot, cols, x, y, int(r)))
                        return _Fail({"kind": "odd-cycle", **where, "cycle": cycle}, True)
        comps: dict[int, tuple[list[int], list[int]]] = {}
        for x in range(n):
            root, par = find(x)
            comps.setdefault(root, ([], []))[par].append(x)
        # component of position 0 first; its side holding position 0 is side 0
        ordered = sorted(comps.values(), key=lambda s: min(s[0] + s[1]))
        ordered = [s if 0 in s[0] or min(s[0] + s[1]) != 0 else (s[1], s[0]) for s in ordered]
        sizes = [(len(s0), len(s1)) for s0, s1 in ordered]
        gen = _orientations(sizes, h)
        first = next(gen, None)
        if first is None:
            listed = [{"sides": [[int(cols[x]) for x in s0], [int(cols[x]) for x in s1]]}
                      for s0, s1 in ordered[:_MAX_LISTED]]
            return _Fail({"kind": "unbalanced", **where, "half": h,
                          "component_sizes": [list(s) for s in sizes], "components": listed},
                         True)
        second = next(gen, None)
        forced = second is None
        candidates = [first] if second is None else [first, second]
        failures: list[_Fail] = []
        proven = True
        tried = 0
        for flips in _chain(candidates, gen):
            if tried:
                if self.alternatives >= self.max_alternatives:
                    self.exhausted = True
                    proven = False
                    break
                self.alternatives += 1
            tried += 1
            in0 = np.zeros(n, dtype=bool)
            for (s0, s1), o in zip(ordered, flips, strict=True):
                in0[s0 if o == 0 else s1] = True
            result = self._halves(rows, cols, in0, level)
            if isinstance(result, _Ok):
                return _Ok(result.order, forced and result.forced)
            failures.append(result)
            proven = proven and result.proven
        if forced and len(failures) == 1:
            return failures[0]
        return _Fail({"kind": "every-split-fails", **where, "splits_tried": tried,
                      "complete": proven, "failures": [f.evidence for f in failures[:4]]},
                     proven)

    def _halves(self, rows: np.ndarray, cols: np.ndarray, in0: np.ndarray,
                level: int) -> _Ok | _Fail:
        h = cols.size // 2
        top, bot = rows[:h], rows[h:]
        order: list[int] = []
        forced = True
        for mask in (in0, ~in0):
            sub = cols[mask]
            # each rank-one row-pair block is u_i w_i^T with w_i its first nonzero row
            xnz = self.blk.nonzero(top, sub).any(axis=1)
            res = self.solve(np.where(xnz, top, bot), sub, level + 1)
            if isinstance(res, _Fail):
                return res
            order.extend(res.order)
            forced = forced and res.forced
        return _Ok(order, forced)

    @staticmethod
    def _tree_path(tree: list[list[tuple[int, int]]], start: int,
                   goal: int) -> list[tuple[int, int, int]]:
        """Edges ``(u, v, row pair)`` of the forest path from ``start`` to ``goal``."""
        prev: dict[int, tuple[int, int]] = {start: (-1, -1)}
        queue = deque([start])
        while queue:
            u = queue.popleft()
            if u == goal:
                break
            for v, r in tree[u]:
                if v not in prev:
                    prev[v] = (u, r)
                    queue.append(v)
        out = []
        v = goal
        while v != start:
            u, r = prev[v]
            out.append((u, v, r))
            v = u
        return out[::-1]


def _chain(first: list[tuple[int, ...]], rest: Iterator[tuple[int, ...]]
           ) -> Iterator[tuple[int, ...]]:
    yield from first
    yield from rest


def _obstruction_text(ev: dict[str, object]) -> str:
    kind = ev.get("kind")
    where = f"at level {ev.get('level')} (group of {len(ev.get('group', []))} columns)"  # type: ignore[arg-type]
    if kind == "odd-cycle":
        cycle: list[dict[str, list[int] | str]] = ev["cycle"]  # type: ignore[assignment]
        cols = [step["cols"][0] for step in cycle]  # type: ignore[index]
        e = cycle[0]
        return (f"{where} the columns {cols} form an odd cycle of non-parallel pairs, each a "
                f"nonzero 2x2 minor of A (e.g. rows {e['rows']}, columns {e['cols']}: "
                f"{e['minor']}), so they cannot be split into two halves with parallel "
                "2-vectors on every row pair")
    if kind == "unbalanced":
        return (f"{where} the conflict graph has components with sides "
                f"{ev.get('component_sizes')}, which cannot make two halves of "
                f"{ev.get('half')} columns")
    fails = ev.get("failures", [])
    first = _obstruction_text(fails[0]) if fails else "no detail"  # type: ignore[index, arg-type]
    return (f"{where} every one of the {ev.get('splits_tried')} balanced splits fails, "
            f"e.g. {first}")


def find_column_permutation_exact(A: object, order: str = "standard", *,
                                  backend: str = "flint",
                                  max_alternatives: int = MAX_ALTERNATIVES,
                                  ) -> ExactPermutationSearch:
    r"""Find ``perm`` with ``A[:, perm]`` a butterfly product exactly, or prove there is none.

    Parameters
    ----------
    A : ExactTarget or array_like of exact scalars
        Square ``N x N`` matrix, ``N`` a power of two (floats are refused).
    order : {"standard", "reversed"}
        Butterfly factor order. The reversed-order product is ``Q B Q`` with ``B`` a
        standard-order product and ``Q`` the bit reversal: the search runs on ``A[Q, :]`` and
        returns ``perm = perm'[Q]``; evidence names rows of ``A`` itself.
    backend : {"flint", "sympy"}
        Exact backend (when ``A`` is not already an :class:`ExactTarget`).
    max_alternatives : int
        Total number of alternative splits tried at groups whose split is not forced.

    Returns
    -------
    ExactPermutationSearch
        ``found`` (canonical representative ``perm``), ``refuted`` (with the obstruction) or
        ``undecided``.

    Notes
    -----
    T9: the level blocks of a butterfly product have rank <= 1, an iff for the square
    dyadic butterfly; the module doc derives the conflict-graph criterion and why forced
    splits make a refutation cover every permutation. Exact: 2x2 minors of backend scalars,
    or exponent differences mod N for roots-of-unity targets (the DFT). Cost ``O(N^2)``
    minors along forced splits.

    Examples
    --------
    >>> from fsmf_check.exact.targets import dft_matrix
    >>> res = find_column_permutation_exact(dft_matrix(8))
    >>> res.verdict, res.perm.tolist(), res.forced
    ('found', [0, 4, 2, 6, 1, 5, 3, 7], True)
    >>> res = find_column_permutation_exact([[1, 0, 1, 1], [0, 1, 1, 2], [0, 1, 2, 3],
    ...                                      [1, 1, 1, 1]])
    >>> res.verdict, res.evidence["kind"], len(res.evidence["cycle"])
    ('refuted', 'odd-cycle', 3)
    """
    target = A if isinstance(A, ExactTarget) else as_exact_matrix(A, backend)
    m, n = target.A.shape
    if m != n or n < 2 or n & (n - 1):
        msg = (f"columns = \"auto\" needs a square N x N matrix with N a power of two >= 2; "
               f"got {m} x {n}")
        raise InvalidInputError(msg)
    if order not in ("standard", "reversed"):
        msg = f"butterfly order must be 'standard' or 'reversed'; got {order!r}"
        raise InvalidInputError(msg)
    if isinstance(max_alternatives, bool) or not isinstance(max_alternatives, int) \
            or max_alternatives < 0:
        msg = f"max_alternatives must be an integer >= 0; got {max_alternatives!r}"
        raise InvalidInputError(msg)
    log2_exact(n)
    search = _Search(target, order, max_alternatives)
    idx = np.arange(n, dtype=np.int64)
    res = search.solve(idx, idx, 1)
    counts = {"groups": search.groups, "alternatives": search.alternatives}
    if isinstance(res, _Ok):
        perm = np.asarray(res.order, dtype=np.int64)
        if order == "reversed":
            perm = perm[bitrev(n)]
        perm.flags.writeable = False
        expl = (f"every split of the columns into halves is valid (rank <= 1 row-pair blocks, "
                f"T9) along the whole {order}-order tree"
                + ("; every split was forced" if res.forced else
                   "; some split was not forced"))
        return ExactPermutationSearch("found", order, perm, res.forced, expl, {}, **counts)
    if res.proven:
        expl = (f"no column permutation makes A a butterfly product ({order} order): "
                f"{_obstruction_text(res.evidence)} (T9: the level blocks of a "
                "butterfly product have rank <= 1"
                + ("; every split above that group was forced or enumerated, so every "
                   "permutation reaches it)" if res.evidence.get("level", 1) != 1 else ")"))
        return ExactPermutationSearch("refuted", order, None, False, expl, res.evidence,
                                      **counts)
    expl = (f"no valid permutation was found and none is refuted: the budget of "
            f"{max_alternatives} alternative splits at non-forced groups ran out "
            f"({_obstruction_text(res.evidence)})")
    return ExactPermutationSearch("undecided", order, None, False, expl, res.evidence, **counts)


def permute_columns(target: ExactTarget, perm: object) -> ExactTarget:
    """Return ``A[:, perm]`` as an :class:`ExactTarget`.

    Exponents (roots-of-unity targets) are permuted too; planted factors are kept only for the
    identity permutation.

    Examples
    --------
    >>> from fsmf_check.exact.targets import dft_matrix
    >>> permute_columns(dft_matrix(4), [0, 2, 1, 3]).exponents.tolist()[1]
    [0, 2, 3, 1]
    """
    p = np.asarray(perm, dtype=np.int64)
    n = target.A.shape[1]
    if p.shape != (n,) or not np.array_equal(np.sort(p), np.arange(n)):
        msg = f"perm must be a permutation of 0..{n - 1}; got {p.tolist()[:8]}"
        raise InvalidInputError(msg)
    identity = bool(np.array_equal(p, np.arange(n)))
    E = None if target.exponents is None else np.asarray(target.exponents)[:, p]
    Z = target.int64()
    desc = target.description if identity else f"{target.description}, columns permuted"
    return ExactTarget(target.A[:, p], target.field, target.backend, desc,
                       planted=target.planted if identity else None, exponents=E,
                       integers=None if Z is None else Z[:, p],
                       meta={**target.meta, "column_permutation": p.tolist()})

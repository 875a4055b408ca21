r"""Chains: the tractability verdict of every split and of every hierarchical tree (T6, T7).

For a chain ``F[0] ... F[L-1]`` the split ``s`` is the two-factor pattern (left part
``F[0..s-1]``, right part ``F[s..L-1]``). The hierarchical algorithm (T7) factorizes
along a binary tree; at a node covering ``F[p..q-1]`` with split ``s`` it solves the two-factor
problem of the sub-chain. A tree is *all-tractable* when every node's pattern is certified.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from fsmf_check._limits import check_work
from fsmf_check.analysis.tractability import TractabilityResult, decide_tractability
from fsmf_check.model.families import TruncatedChain
from fsmf_check.model.kronecker import KronPattern, chain_product, is_chainable
from fsmf_check.model.supports import Chain

__all__ = ["SplitVerdict", "TreeVerdict", "ChainAnalysis", "NodeResult", "decide_chain",
           "kronecker_pair_classes", "tree_nodes", "TREES"]

TREES = ("left", "right", "balanced")


def tree_nodes(p: int, q: int, tree: str) -> list[tuple[int, int, int]]:
    """Nodes ``(p, s, q)`` (0-based, q exclusive) of a factor-bracketing tree, top-down.

    ``left``: left-to-right comb (peel ``F[p]`` first, s = p + 1); ``right``: right-to-left
    comb (s = q - 1); ``balanced``: the left part has ceil((q - p) / 2) factors (T7).

    Examples
    --------
    >>> tree_nodes(0, 4, "left")
    [(0, 1, 4), (1, 2, 4), (2, 3, 4)]
    >>> tree_nodes(0, 4, "balanced")
    [(0, 2, 4), (0, 1, 2), (2, 3, 4)]
    """
    if q - p < 2:
        return []
    if tree == "left":
        s = p + 1
    elif tree == "right":
        s = q - 1
    elif tree == "balanced":
        s = p + (q - p + 1) // 2
    else:
        from fsmf_check.errors import InvalidInputError

        msg = f"tree must be one of {', '.join(TREES)}; got {tree!r}"
        raise InvalidInputError(msg)
    return [(p, s, q), *tree_nodes(p, s, tree), *tree_nodes(s, q, tree)]


@dataclass(frozen=True)
class NodeResult:
    """Verdict of one two-factor node of a chain, with its class counts (T1-T3, T6).

    ``detail`` is the full :class:`TractabilityResult` when the node was decided on explicit
    masks; structured nodes are decided in closed form and carry only the counts.
    """

    verdict: str
    rule: str | None
    theorem: str | None
    explanation: str
    n_classes: int
    n_complete_classes: int
    n_empty_supports: int
    witness: dict[str, object] | None = None
    method: str = "generic"
    detail: TractabilityResult | None = None

    @property
    def tractable(self) -> bool:
        """True iff the verdict is ``tractable``."""
        return self.verdict == "tractable"

    @classmethod
    def from_result(cls, res: TractabilityResult) -> NodeResult:
        """Summary of a full tractability result."""
        return cls(res.verdict, res.rule, res.theorem, res.explanation, res.n_classes,
                   int(res.class_complete.sum()), int(res.empty_columns.size), res.witness,
                   res.method, res)


@dataclass(frozen=True)
class SplitVerdict:
    """Verdict of one node ``F[p..s-1] x F[s..q-1]``."""

    p: int
    s: int
    q: int
    result: NodeResult

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary of the node."""
        res = self.result
        return {"left": [self.p, self.s - 1], "right": [self.s, self.q - 1],
                "verdict": res.verdict, "rule": res.rule, "theorem": res.theorem,
                "n_classes": res.n_classes, "n_complete_classes": res.n_complete_classes,
                "witness": res.witness}


def kronecker_pair_classes(left: KronPattern, right: KronPattern) -> tuple[int, int]:
    r"""``(n_classes, n_complete)`` of the Kronecker pair ``I = left``, ``J^T = right``.

    Notes
    -----
    T6 (derived): column ``k`` of ``left`` has rows determined by
    ``(k div c1 d1, k mod d1)`` and row ``k`` of ``right`` has columns determined by
    ``(k div b2 d2, k mod d2)``; distinct keys give disjoint index sets, so the classes are
    the distinct keys (pairwise disjoint, T2), of size ``|R| = b1`` by ``|C| = c2``. For a
    chainable pair of rank ``rho`` there are ``a2 d1`` classes of ``rho`` members each. In
    general ``k`` runs over intervals on which both quotients are constant (breakpoints at
    multiples of ``c1 d1`` and ``b2 d2``, periodic with their lcm); an interval of length
    ``len`` holds ``min(len, lcm(d1, d2))`` keys, the residues of ``k`` modulo
    ``lcm(d1, d2)``. Cost O(lcm / c1 d1 + lcm / b2 d2), estimated before it starts.

    Examples
    --------
    >>> kronecker_pair_classes(KronPattern(1, 4, 4, 4), KronPattern(4, 4, 4, 1))
    (16, 0)
    >>> kronecker_pair_classes(KronPattern(1, 2, 4, 2), KronPattern(2, 4, 2, 1))
    (4, 4)
    """
    need = min(left.b, right.c)
    if is_chainable(left, right):
        rho = left.a * left.c // right.a
        n_cls = right.a * left.d
        return n_cls, n_cls if rho >= need else 0
    r = left.shape[1]
    p1, p2 = left.c * left.d, right.b * right.d
    period = p1 // gcd(p1, p2) * p2
    check_work("the class count of a Kronecker split", period // p1 + period // p2)
    cuts = np.union1d(np.arange(0, period + 1, p1, dtype=np.int64),
                      np.arange(0, period + 1, p2, dtype=np.int64))
    lens = np.diff(cuts)
    dd = left.d // gcd(left.d, right.d) * right.d
    reps = r // period
    full, rem = lens // dd, lens % dd
    n_cls = int(np.minimum(lens, dd).sum()) * reps
    # in an interval, rem residues occur full + 1 times and dd - rem residues full times
    big = np.where(full + 1 >= need, rem, 0)
    small = np.where((full >= need) & (full > 0), dd - rem, 0)
    return n_cls, int((big + small).sum()) * reps


def _kron_node(left: KronPattern, right: KronPattern) -> NodeResult:
    n_cls, n_comp = kronecker_pair_classes(left, right)
    r = left.shape[1]
    expl = (f"The {r} rank-one supports form {n_cls} equivalence classes that are pairwise "
            "disjoint or identical (the Kronecker structure makes every two distinct classes "
            "use disjoint rows or disjoint columns, T6, derived; T2), so FSMF is "
            f"solved to global optimality by one truncated SVD per class ({n_comp} complete "
            "classes are filled exactly).")
    return NodeResult("tractable", "disjoint-or-identical", "T2", expl, n_cls, n_comp, 0,
                      method="kronecker-closed-form")


def _truncated_node(chain: TruncatedChain, p: int, s: int, q: int) -> NodeResult | None:
    """Decide a node of a truncated butterfly in closed form (T6, T11), or None.

    The node's masks are the full butterfly node ``left x right`` with the rows of ``left``
    restricted to ``reached[p]`` (the rows of ``right`` outside ``reached[s]`` are empty and
    so are the columns of ``left`` there). Restricting rows keeps identical rectangles
    identical and disjoint ones disjoint, so the node is T2; a class ``(alpha, delta)`` keeps
    ``|R ∩ reached[p]|`` rows. O(|reached[p]|).
    """
    left, right = chain_product(chain.base[p:s]), chain_product(chain.base[s:q])
    if left is None or right is None or not is_chainable(left, right):
        return None
    rows = chain.reached[p]
    alpha, delta = left.row_keys(rows)
    cnt = np.bincount(alpha * left.d + delta, minlength=left.a * left.d)
    per_key = right.a // left.a  # classes per left key (chainable pair)
    rho = left.a * left.c // right.a
    nonempty = cnt > 0
    n_cls = per_key * int(nonempty.sum())
    n_comp = per_key * int((nonempty & (rho >= np.minimum(cnt, right.c))).sum())
    n_empty = left.shape[1] - n_cls * rho
    expl = (f"The nonempty rank-one supports form {n_cls} equivalence classes that are pairwise "
            "disjoint or identical: they are the butterfly rectangles (T6) restricted "
            "to the rows reached from the outputs (T11), and restricting rows keeps "
            "disjoint rectangles disjoint, so FSMF is solved by one truncated SVD per class "
            f"(T2; {n_comp} complete classes, {n_empty} empty supports).")
    return NodeResult("tractable", "disjoint-or-identical", "T2", expl, n_cls, n_comp,
                      n_empty, method="truncated-butterfly-closed-form")


@dataclass(frozen=True)
class TreeVerdict:
    """Whether every node of a tree is certified, and the first node that is not."""

    tree: str
    all_tractable: bool
    nodes: tuple[tuple[int, int, int], ...]
    failing: tuple[int, int, int] | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"tree": self.tree, "all_tractable": self.all_tractable,
                "nodes": [list(n) for n in self.nodes],
                "first_failing_node": list(self.failing) if self.failing else None}


@dataclass(frozen=True)
class ChainAnalysis:
    """Per-split and per-tree verdicts of a chain, with its Kronecker report (T6)."""

    chain: Chain
    splits: tuple[SplitVerdict, ...]
    trees: tuple[TreeVerdict, ...]
    verdict: str
    theorem: str | None
    explanation: str
    rule: str | None = None

    def to_dict(self) -> dict[str, object]:
        """docs/reference/json-schema.md result object."""
        rep = self.chain.kronecker_report
        return {"verdict": self.verdict, "rule": self.rule, "theorem": self.theorem,
                "explanation": self.explanation,
                "exact": True, "n_factors": self.chain.n_factors,
                "splits": [s.to_dict() for s in self.splits],
                "trees": [t.to_dict() for t in self.trees],
                "tractable_splits": [s.s for s in self.splits if s.result.tractable],
                "kronecker": rep.to_dict() if rep is not None else None}


def decide_chain(chain: Chain) -> ChainAnalysis:
    r"""Decide every split of a chain and which hierarchical trees are all-tractable.

    Notes
    -----
    T6 (Lemma 2 of [LZRG-ICASSP]: butterfly splits have disjoint rank-one supports) and
    T7 (the hierarchical algorithm solves each tree node as a two-factor FSMF). Each distinct
    node ``(p, s, q)`` is decided once. Kronecker nodes are decided in closed form
    (:func:`kronecker_pair_classes`, O(1) for chainable pairs, no mask is formed), truncated
    butterflies from their reached rows (O(n) per node, T11); other nodes by
    :func:`decide_tractability` on the exact boolean partial products.
    The chain verdict is ``tractable`` when some tree is all-tractable: then the hierarchical
    algorithm runs on certified two-factor steps (its error guarantee is T9, not a global
    optimum).

    Examples
    --------
    >>> from fsmf_check.model import families
    >>> A = decide_chain(families.butterfly(16))
    >>> A.verdict, [t.all_tractable for t in A.trees]
    ('tractable', [True, True, True])
    """
    L = chain.n_factors
    cache: dict[tuple[int, int, int], NodeResult] = {}

    def decide(p: int, s: int, q: int) -> NodeResult:
        if isinstance(chain, TruncatedChain):
            res = _truncated_node(chain, p, s, q)
            if res is not None:
                return res
        if chain.is_structured:
            pats = chain.patterns
            assert pats is not None  # noqa: S101 - structured chains have patterns
            left, right = chain_product(pats[p:s]), chain_product(pats[s:q])
            if left is not None and right is not None:
                return _kron_node(left, right)
        return NodeResult.from_result(decide_tractability(chain.split(s, p, q)))

    def node(p: int, s: int, q: int) -> NodeResult:
        if (p, s, q) not in cache:
            cache[(p, s, q)] = decide(p, s, q)
        return cache[(p, s, q)]

    splits = tuple(SplitVerdict(0, s, L, node(0, s, L)) for s in range(1, L))
    trees = []
    for tree in TREES:
        nodes = tuple(tree_nodes(0, L, tree))
        failing = next((n for n in nodes if not node(*n).tractable), None)
        trees.append(TreeVerdict(tree, failing is None, nodes, failing))
    good = [t.tree for t in trees if t.all_tractable]
    rule = None
    if good:
        # the weakest rule any node of a certified tree needed (T2 < T3)
        best = next(t for t in trees if t.all_tractable)
        rules = {node(*n).rule for n in best.nodes}
        rule = "cec-reduction" if "cec-reduction" in rules else "disjoint-or-identical"
    if L == 1:
        verdict, theorem, rule = "tractable", None, None
        expl = "A single factor is a projection onto its support: keep the entries on it."
    elif good:
        verdict, theorem = "tractable", "T7"
        n_ok = sum(s.result.tractable for s in splits)
        expl = (f"{n_ok} of the {L - 1} top-level splits are certified and the "
                f"{', '.join(good)} tree(s) have a certified two-factor problem at every node, "
                "so the hierarchical algorithm (T7) runs on exactly solvable steps.")
    else:
        verdict, theorem = "not-certified", None
        expl = ("No factor-bracketing tree among left, right and balanced has a certified "
                "two-factor problem at every node, so no hierarchical tractability certificate "
                "applies (the general problem is NP-hard, T4).")
    return ChainAnalysis(chain, splits, tuple(trees), verdict, theorem, expl, rule)

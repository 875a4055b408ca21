r"""Chains: the tractability verdict of every split and of every hierarchical tree (T6, T7).

For a chain ``F[0] ... F[L-1]`` the split ``s`` is the two-factor pattern (left part
``F[0..s-1]``, right part ``F[s..L-1]``). The hierarchical algorithm (THEORY T7) factorizes
along a binary tree; at a node covering ``F[p..q-1]`` with split ``s`` it solves the two-factor
problem of the sub-chain. A tree is *all-tractable* when every node's pattern is certified.
"""

from __future__ import annotations

from dataclasses import dataclass

from fsmf_check.analysis.tractability import TractabilityResult, decide_tractability
from fsmf_check.model.supports import Chain

__all__ = ["SplitVerdict", "TreeVerdict", "ChainAnalysis", "decide_chain", "tree_nodes", "TREES"]

TREES = ("left", "right", "balanced")


def tree_nodes(p: int, q: int, tree: str) -> list[tuple[int, int, int]]:
    """Nodes ``(p, s, q)`` (0-based, q exclusive) of a factor-bracketing tree, top-down.

    ``left``: left-to-right comb (peel ``F[p]`` first, s = p + 1); ``right``: right-to-left
    comb (s = q - 1); ``balanced``: the left part has ceil((q - p) / 2) factors (THEORY T7).

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
class SplitVerdict:
    """Verdict of one node ``F[p..s-1] x F[s..q-1]``."""

    p: int
    s: int
    q: int
    result: TractabilityResult

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary of the node."""
        res = self.result
        return {"left": [self.p, self.s - 1], "right": [self.s, self.q - 1],
                "verdict": res.verdict, "rule": res.rule, "theorem": res.theorem,
                "n_classes": res.n_classes, "n_complete_classes": int(res.class_complete.sum()),
                "witness": res.witness}


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
        """SPEC §5 result object."""
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
    THEORY T6 (Lemma 2 of [LZRG-ICASSP]: butterfly splits have disjoint rank-one supports) and
    T7 (the hierarchical algorithm solves each tree node as a two-factor FSMF). Each distinct
    node ``(p, s, q)`` is decided once with :func:`decide_tractability`; structured chains
    cost O(L^2 r) integer operations, explicit chains need the exact boolean partial products.
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
    cache: dict[tuple[int, int, int], TractabilityResult] = {}

    def node(p: int, s: int, q: int) -> TractabilityResult:
        if (p, s, q) not in cache:
            cache[(p, s, q)] = decide_tractability(chain.split(s, p, q))
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
                "so the hierarchical algorithm (THEORY T7) runs on exactly solvable steps.")
    else:
        verdict, theorem = "not-certified", None
        expl = ("No factor-bracketing tree among left, right and balanced has a certified "
                "two-factor problem at every node, so no hierarchical tractability certificate "
                "applies (the general problem is NP-hard, THEORY T4).")
    return ChainAnalysis(chain, splits, tuple(trees), verdict, theorem, expl, rule)

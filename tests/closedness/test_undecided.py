"""The saturation rule for closedness (docs/theory.md §3) on hand instances and random patterns.

z3 (the optional ``qe`` extra) is used only as an oracle here: a ``closed`` verdict of the new
rule must never meet a z3 ``sat`` (not closed), and every exact ``not-closed`` witness must
pass the independent checker.
"""

from __future__ import annotations

import pytest

from fsmf_check.closure.decide import (
    decide_closedness,
    decide_closedness_qe,
    saturation_closedness,
)
from fsmf_check.model.supports import SupportPattern
from fsmf_check.verify.closedness import verify_closedness
from tests.closedness.random_patterns import RANDOM_SEEDS, random_pattern


def test_star_forest_leftover_is_closed() -> None:
    # single-column classes are complete; the third class leaves {(1,0), (2,1)}, a matching
    P = SupportPattern(["101", "110", "011"], ["011", "110"])
    ev = saturation_closedness(P)
    assert ev is not None
    assert [s["why"] for s in ev["steps"]] == ["complete", "complete", "star-forest"]
    assert ev["saturated"] == [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]]
    res = decide_closedness(P, qe=False)
    assert (res.verdict, res.theorem, res.exact) == ("closed", "T5", True)


def test_nested_pair_is_closed() -> None:
    # rank 1 on 2x3 plus rank 1 on the left 2x2: every 2x3 matrix
    P = SupportPattern(["111", "011"], ["011", "111", "010"])
    ev = saturation_closedness(P)
    assert ev is not None and ev["remaining"] == []
    assert "nested-pair-rows" in [s["why"] for s in ev["steps"]]
    assert decide_closedness(P, qe=False).evidence["rule"] == "saturation-projection"


def test_remaining_disjoint_rectangle() -> None:
    # a complete one-column class saturates column 0; the 2x3 rank-one class leaves the
    # rectangle {0,1} x {1,2}, where its projection is {rank <= 1}
    P = SupportPattern(["11", "11"], ["11", "01", "01"])
    ev = saturation_closedness(P)
    assert ev is not None
    assert ev["remaining"] == [{"rows": [0, 1], "cols": [1, 2], "rank_bound": 1}]
    # an L-shaped leftover (LU) is refused
    assert saturation_closedness(SupportPattern(["100", "010", "011"],
                                                ["100", "010", "011"])) is None


@pytest.mark.parametrize("rows", [(["10", "11"], ["10", "11"]),            # LU 2x2
                                  (["11", "11", "11"], ["10", "11", "01"])])  # completed LU
def test_not_closed_patterns_are_refused(rows: tuple[list[str], list[str]]) -> None:
    P = SupportPattern(*rows)
    assert saturation_closedness(P) is None
    res = decide_closedness(P, qe=False)
    assert res.verdict == "not-closed"
    assert verify_closedness(res.to_dict()).verified


def test_lu_shaped_leftover_is_refused() -> None:
    # a path of length 3 left outside T is the LU set: not a star forest, no rule applies
    P = SupportPattern(["11", "10"], ["11", "10"])
    ev = saturation_closedness(P)
    res = decide_closedness(P, qe=False)
    assert ev is None or res.verdict == "closed"
    assert res.verdict != "unknown"


def _never_contradicts(side: int, rank: int, seeds: range) -> tuple[int, int]:
    """Run the rule on random patterns; return (#saturation verdicts, #witnesses verified)."""
    n_sat = n_wit = 0
    for seed in seeds:
        P = random_pattern(seed, max_side=side, max_rank=rank)
        res = decide_closedness(P, qe=False)
        if res.verdict == "not-closed":
            assert saturation_closedness(P) is None
            assert verify_closedness(res.to_dict()).verified
            n_wit += 1
        if res.evidence.get("rule") == "saturation-projection":
            n_sat += 1
    return n_sat, n_wit


def test_random_counts() -> None:
    # the published counts (docs/benchmarks.md): unknown 1 of 340 (m, n, r <= 3), 13 (<= 4)
    for side, unknown, sat in ((3, 1, 5), (4, 13, 12)):
        verdicts = [decide_closedness(random_pattern(s, max_side=side, max_rank=side), qe=False)
                    for s in RANDOM_SEEDS]
        assert sum(v.verdict == "unknown" for v in verdicts) == unknown
        assert sum(v.evidence.get("rule") == "saturation-projection" for v in verdicts) == sat


def test_witnesses_verified_independently() -> None:
    n_sat, n_wit = _never_contradicts(4, 4, range(340))
    assert (n_sat, n_wit) == (12, 53)


def test_z3_oracle_agrees() -> None:
    """z3 never calls a pattern not closed that the new rule (alone) calls closed."""
    pytest.importorskip("z3")
    checked = 0
    for side in (3, 4):
        for seed in RANDOM_SEEDS:
            P = random_pattern(seed, max_side=side, max_rank=side)
            if decide_closedness(P, qe=False).evidence.get("rule") != "saturation-projection":
                continue
            q = decide_closedness_qe(P, timeout_s=2.0, max_vars=80)
            assert q.verdict != "not-closed", (side, seed)
            checked += 1
    assert checked == 17

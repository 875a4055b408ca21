"""The z3 quantifier-elimination verdict is bounded by a step budget, not by the wall clock."""

from __future__ import annotations

import pytest

from fsmf_check.closure import decide
from fsmf_check.model.supports import SupportPattern

z3 = pytest.importorskip("z3")


def test_qe_unknown_comes_from_the_step_budget_and_repeats(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    # the rank <= 1 pattern is the hard instance of theory §3 (z3 does not finish)
    monkeypatch.setattr(decide, "QE_RLIMIT", 200_000)
    rank1 = SupportPattern(["1", "1"], ["1", "1"])
    first = decide.decide_closedness_qe(rank1, timeout_s=600)
    second = decide.decide_closedness_qe(rank1, timeout_s=600)
    assert first.verdict == second.verdict == "unknown"
    assert first.evidence["rlimit"] == 200_000
    assert "step budget" in first.explanation and "timeout" not in first.evidence["reason"]


def test_qe_still_decides_the_lu_pattern_within_the_budget() -> None:
    res = decide.decide_closedness_qe(SupportPattern(["10", "11"], ["10", "11"]))
    assert res.verdict == "not-closed" and res.exact is False

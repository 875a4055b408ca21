"""``check`` and ``solve`` on valid cases the certified engines cannot answer.

An expectation that cannot be evaluated is undecided (exit 3) with its reason, never an
internal error (exit 4); ``solve`` runs the local solver and says ``local``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.commands.check import check_case
from fsmf_check.commands.solve import solve_case
from fsmf_check.inputs.cases import load_case, parse_case
from fsmf_check.numeric.local import solve_local

LU_ANTI = {"name": "lu-anti", "supports": {"I": ["10", "11"], "J": ["10", "11"]},
           "target": {"A": [["0", "1"], ["1", "0"]]}}


def test_optimal_value_on_a_non_closed_pattern_is_undecided() -> None:
    case = parse_case({**LU_ANTI, "expect": {"optimal_value": "0", "closed": False}})
    status, messages = check_case(case)
    assert status == "undecided"
    assert any(m.startswith("UNDEC optimal_value") and "no optimum is proven" in m
               for m in messages)
    assert any(m.startswith("ok   closed") for m in messages)


def test_a_refuted_expectation_beats_an_undecided_one() -> None:
    case = parse_case({**LU_ANTI, "expect": {"optimal_value": "0", "closed": True}})
    status, _ = check_case(case)
    assert status == "fail"


def test_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    und = tmp_path / "und.toml"
    und.write_text('name = "u"\n[supports]\nI = ["10", "11"]\nJ = ["10", "11"]\n'
                   '[target]\nA = [["0", "1"], ["1", "0"]]\n[expect]\noptimal_value = "0"\n')
    res = runner.invoke(cli, ["check", str(und)])
    assert res.exit_code == 3, res.output
    assert "0 passed, 0 failed, 1 undecided" in res.output
    # a certify expectation on a numeric target cannot be evaluated: undecided, not exit 4
    num = tmp_path / "num.toml"
    num.write_text('name = "n"\n[supports]\nI = ["1"]\nJ = ["1"]\n'
                   '[target]\nA = [[0.5]]\n[expect]\nmember = true\n')
    res = runner.invoke(cli, ["check", str(num)])
    assert res.exit_code == 3, res.output


def test_solve_without_a_certified_solver_is_local() -> None:
    out = solve_case(parse_case(LU_ANTI))
    res = out.results["solve"]
    assert res["verdict"] == "local"
    assert res["theorem"] is None
    assert "solve_tractable" not in res["explanation"]
    # the infimum 0 is approached while the factors grow (not closed, T5)
    assert res["objective"] < 1e-2
    assert res["factor_norm"] > 10


def test_local_solver_recovers_a_planted_product() -> None:
    rng = np.random.default_rng(3)
    I = np.array([[1, 1, 0], [1, 0, 1], [1, 0, 0], [0, 1, 1]])
    J = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1]])
    X, Y = rng.standard_normal(I.shape) * I, rng.standard_normal(J.shape) * J
    sol = solve_local(X @ Y.T, [I, J.T], starts=4, seed=1)
    assert sol.rel_error < 1e-6
    np.testing.assert_allclose(sol.product(), X @ Y.T, atol=1e-6)  # recovery of the product


def test_local_solver_loss_never_increases_over_starts() -> None:
    A = np.arange(9.0).reshape(3, 3)
    masks = [np.array([[1, 0], [1, 1], [0, 1]]), np.array([[1, 1, 0], [0, 1, 1]])]
    sol = solve_local(A, masks, starts=5)
    assert sol.objective == min(sol.objectives)
    direct = float(np.linalg.norm(A - sol.product()) ** 2)
    np.testing.assert_allclose(sol.objective, direct, rtol=1e-9)


def test_command_entry_points_take_a_case_or_a_path() -> None:
    from fsmf_check.commands.analyze import analyze_case
    from fsmf_check.commands.certify import certify_case

    path = str(Path(__file__).resolve().parent.parent / "cases" / "e4-lu-member.toml")
    for fn in (analyze_case, certify_case, solve_case):
        by_path, by_case = fn(path), fn(load_case(path))
        assert by_path.results == by_case.results
        assert by_path.exit_code == by_case.exit_code


def test_a_command_that_does_not_apply_is_a_usage_error_not_an_internal_one() -> None:
    cases = Path(__file__).resolve().parent.parent / "cases"
    runner = CliRunner()
    for args in (["landscape", str(cases / "hadamard-16.toml")],
                 ["landscape", str(cases / "lu-4x4.toml")]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 2, res.output
        assert res.output.count("Error:") == 1 and "Traceback" not in res.output

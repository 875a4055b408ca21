"""CLI `solve` and `butterfly` (docs/reference/cli.md/§5): JSON, exit codes, one-line errors, --save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.numeric.factor_files import load_factors

CASES = Path(__file__).resolve().parents[2] / "cases"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result, fragment: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output + result.stderr


def _write_case(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(text)
    return path


def test_solve_e1_json_and_save(tmp_path: Path) -> None:
    out = tmp_path / "f.npz"
    res = run("solve", str(CASES / "e1-dto-singletons.toml"), "--json", "--save", str(out))
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    s = d["results"]["solve"]
    assert (s["verdict"], s["theorem"], s["exact"]) == ("optimal", "T2", False)
    assert s["objective"] == pytest.approx(13.0, abs=1e-12)
    assert s["tolerance"] == 1e-10 and s["closed_form_matches_residual"] is True
    X, YT = load_factors(out)
    np.testing.assert_allclose((X @ YT).toarray(), [[1, 0], [0, 4]], atol=1e-14)
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temporary file


def test_solve_chain_local_with_bound(tmp_path: Path) -> None:
    case = _write_case(tmp_path, 'name = "bf"\nkind = "chain"\n[supports]\nfamily = "butterfly"\n'
                       'n = 16\n[target]\ngenerator = "random-butterfly"\nn = 16\nseed = 1\n'
                       'noise = 0.01\n')
    out = tmp_path / "chain.npz"
    res = run("solve", str(case), "--json", "--save", str(out))
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["results"]["solve"]
    assert (s["verdict"], s["theorem"], s["tree"]) == ("local", "T7", "left")
    assert s["bound_holds"] is True and s["bound_applies"] is True
    assert s["error_over_noise"] <= 1.05
    assert len(s["splits"]) == 3 and len(s["level_errors"]) == 3
    with np.load(out) as z:
        assert z["patterns"].tolist() == [[1, 2, 2, 8], [2, 2, 2, 4], [4, 2, 2, 2], [8, 2, 2, 1]]
        assert str(z["format"]) == "fsmf-check-factors" and int(z["n_factors"]) == 4


def test_solve_deterministic_outside_run() -> None:
    a = json.loads(run("solve", str(CASES / "e2-eckart-young.json"), "--json").stdout)
    b = json.loads(run("solve", str(CASES / "e2-eckart-young.json"), "--json").stdout)
    a.pop("run")
    b.pop("run")
    assert a == b


def test_solve_uncertified_is_local_and_missing_target_refused() -> None:
    res = run("solve", str(CASES / "e4-lu-2x2.toml"), "--json")
    assert res.exit_code == 0, res.output
    solve = json.loads(res.stdout)["results"]["solve"]
    assert solve["verdict"] == "local" and solve["algorithm"] == "alternating-least-squares"
    assert_one_line_error(run("solve", str(CASES / "lu-4x4.toml")), "no [target]")


def test_solve_bad_target_file(tmp_path: Path) -> None:
    np.save(tmp_path / "A.npy", np.array([[1.0, np.inf], [0.0, 1.0]]))
    case = _write_case(tmp_path, 'name = "x"\n[supports]\nI = ["10", "01"]\nJ = ["10", "01"]\n'
                       '[target]\nfile = "A.npy"\n')
    assert_one_line_error(run("solve", str(case)), "non-finite")


def test_butterfly_dft_bitrev_human_and_json() -> None:
    res = run("butterfly", "dft:64", "--bitrev", "--tree", "balanced")
    assert res.exit_code == 0, res.output
    assert "bit-reversed" in res.stdout and "relative error" in res.stdout
    d = json.loads(run("butterfly", "dft:64", "--bitrev", "--json").stdout)
    s = d["results"]["solve"]
    assert s["rel_error"] <= 1e-13 and s["exact_within_tolerance"] is True
    assert s["column_permutation"]["kind"] == "bit-reversal"
    assert s["column_permutation"]["perm"][:4] == [0, 32, 16, 48]
    assert d["shape"] == {"m": 64, "n": 64, "factors": 6}


def test_butterfly_options(tmp_path: Path) -> None:
    d = json.loads(run("butterfly", "random-butterfly:32:2:order=reversed", "--order",
                       "reversed", "--tree", "right", "--no-orthonormalize", "--json").stdout)
    s = d["results"]["solve"]
    assert s["rel_error"] <= 1e-10 and s["orthonormalized"] is False and s["order"] == "reversed"
    perm = np.random.default_rng(0).permutation(16)
    A = np.fft.fft(np.eye(16))[:, np.argsort(perm)]
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "p.npy", perm)
    # A[:, perm] is the DFT in natural order: factorizable only with its bit reversal, so a
    # random permutation gives a large error; the permutation is recorded in the output
    d = json.loads(run("butterfly", str(tmp_path / "A.npy"), "--perm", str(tmp_path / "p.npy"),
                       "--json").stdout)
    assert d["results"]["solve"]["column_permutation"]["perm"] == perm.tolist()
    res = run("butterfly", "dft:16", "--json")
    assert "hint" in json.loads(res.stdout)["results"]["solve"]


@pytest.mark.parametrize("args, fragment", [
    (("dft:12",), "power of two"),
    (("hadamard:12",), "power of two"),
    (("nosuch.npy",), "no such matrix file"),
    (("dft:8", "--bitrev", "--perm", str(CASES / "e1-dto-singletons.toml")), "mutually exclusive"),
])
def test_butterfly_bad_inputs(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run("butterfly", *args), fragment)


def test_butterfly_nan_and_rectangular(tmp_path: Path) -> None:
    np.save(tmp_path / "nan.npy", np.full((4, 4), np.nan))
    assert_one_line_error(run("butterfly", str(tmp_path / "nan.npy")), "non-finite")
    np.save(tmp_path / "rect.npy", np.ones((4, 8)))
    assert_one_line_error(run("butterfly", str(tmp_path / "rect.npy")), "square")


def test_butterfly_cross_check_agrees_with_the_exact_engine() -> None:
    import json

    from click.testing import CliRunner

    from fsmf_check.cli import cli

    res = CliRunner().invoke(cli, ["butterfly", "dft:16", "--bitrev", "--cross-check", "--json"])
    assert res.exit_code == 0, res.stderr
    cross = json.loads(res.stdout)["results"]["cross_check"]
    assert cross["verdict"] == "agree" and cross["exact_membership"]["verdict"] == "member"
    assert cross["numeric_error"] < 1e-12
    assert cross["matrix"].endswith("columns bit-reversed")
    res = CliRunner().invoke(cli, ["butterfly", "dft:16", "--cross-check", "--json"])
    cross = json.loads(res.stdout)["results"]["cross_check"]
    # natural-order DFT: the exact engine refutes membership and the numeric error is large
    assert cross["exact_membership"]["verdict"] == "not-member"
    assert cross["verdict"] == "agree" and cross["numeric_error"] > 1e-3


def test_solve_two_factor_chain_is_optimal_at_its_lower_bound(tmp_path: Path) -> None:
    # Monarch has one split: the hierarchical error is the optimal split error E_1 (T2), which
    # is also the T9 lower bound, so the verdict is optimal even for a noisy target
    case = _write_case(tmp_path, 'name = "m"\nkind = "chain"\n[supports]\nfamily = "monarch"\n'
                       'm = 3\n[target]\ngenerator = "random-in-support"\nseed = 2\nnoise = 0.1\n')
    res = run("solve", str(case), "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["results"]["solve"]
    assert (s["verdict"], s["theorem"], s["meets_lower_bound"]) == ("optimal", "T9", True)
    assert s["rel_error"] > 1e-3  # a genuine approximation, not an exact product
    assert abs(np.sqrt(s["objective"]) - s["lower_bound"]) <= 1e-10 * max(1.0, s["lower_bound"])

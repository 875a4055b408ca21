"""The spelling of a chain never changes the algorithm; solve/butterfly chain options; reported
errors equal the errors recomputed from the saved factors (T6/T7)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.commands.solve import butterfly_matrix, kronecker_spelling, solve_case
from fsmf_check.errors import InvalidInputError, NotApplicableError
from fsmf_check.inputs.cases import parse_case
from fsmf_check.model import families
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain


def _masks(patterns: list[KronPattern]) -> list[list[str]]:
    return [["".join(str(int(v)) for v in row) for row in p.to_dense()] for p in patterns]


def _case(supports: dict, target: dict, name: str = "t") -> object:
    return parse_case({"name": name, "kind": "chain", "supports": supports, "target": target})


def _product_from_npz(path: Path) -> np.ndarray:
    """Dense product of the saved factors, read back by the project's own loader."""
    from fsmf_check.numeric.factor_files import load_factors

    factors = load_factors(path)
    out = factors[0].toarray()
    for F in factors[1:]:
        out = out @ F.toarray()
    return out


def test_explicit_masks_run_the_family_algorithm_on_a_noisy_butterfly() -> None:
    # the measurement at N = 64 (N = 256 in docs/comparison.md): explicit masks used
    # to run explicit-block-svd, not orthonormalized, 1.6-2.7x worse
    target = {"generator": "random-butterfly", "seed": 1, "noise": 1e-2}
    fam = solve_case(_case({"family": "butterfly", "n": 64}, target)).results["solve"]
    pats = list(families.butterfly(64).patterns or ())
    exp = solve_case(_case({"factors": _masks(pats)}, target)).results["solve"]
    kro = solve_case(_case({"patterns": [list(p.as_tuple()) for p in pats]}, target)
                     ).results["solve"]
    for r in (fam, exp, kro):
        assert (r["method"], r["tree"], r["orthonormalized"]) == ("kronecker-batched-svd",
                                                                  "left", True)
        assert r["rel_error"] == pytest.approx(fam["rel_error"], rel=1e-12)
    assert fam["rel_error"] < 0.05
    assert exp["spelling"] == {"given": "factors", "recognized": True,
                               "patterns": [list(p.as_tuple()) for p in pats]}
    assert fam["spelling"]["given"] == "family butterfly"


def test_diagonal_masks_are_read_so_that_the_chain_chains() -> None:
    # lazylinop's Chain([(2,1,1,2)]*2): identity masks, several readings
    eye = ["1000", "0100", "0010", "0001"]
    chain, note = kronecker_spelling(Chain([np.eye(4), np.eye(4)]))
    assert chain.is_structured and note["recognized"]
    out = solve_case(_case({"factors": [eye, eye]}, {"A": [["1", "0", "0", "0"],
                                                          ["0", "2", "0", "0"],
                                                          ["0", "0", "3", "0"],
                                                          ["0", "0", "0", "4"]]}))
    r = out.results["solve"]
    assert r["method"] == "kronecker-batched-svd" and r["rel_error"] < 1e-15


def test_non_kronecker_masks_keep_the_explicit_engine() -> None:
    swap = ["0100", "1000", "0001", "0010"]  # a permutation mask: not I_a x 1 x I_d
    case = parse_case({"name": "swap", "kind": "chain",
                       "supports": {"factors": [swap, ["1111"] * 4]},
                       "target": {"generator": "random-in-support", "seed": 3}})
    r = solve_case(case).results["solve"]
    assert r["method"] == "explicit-block-svd" and not r["spelling"]["recognized"]
    assert r["rel_error"] < 1e-12


def test_solve_tree_and_orthonormalize_options(tmp_path: Path) -> None:
    target = {"generator": "random-butterfly", "seed": 2, "noise": 1e-2}
    case = _case({"family": "butterfly", "n": 32}, target)
    default = solve_case(case).results["solve"]
    assert (default["tree"], default["orthonormalized"], default["tree_requested"]) == (
        "left", True, None)
    bal = solve_case(case, tree="balanced", orthonormalize=False).results["solve"]
    assert (bal["tree"], bal["orthonormalized"]) == ("balanced", False)
    ref = butterfly_matrix("random-butterfly:32:2:noise=1e-2", tree="balanced",
                           orthonormalize=False).results["solve"]
    assert bal["rel_error"] == pytest.approx(ref["rel_error"], rel=1e-12)
    with pytest.raises(InvalidInputError, match="apply to chains"):
        solve_case(parse_case({"name": "e1", "supports": {"I": ["10", "01"],
                                                          "J": ["10", "01"]},
                               "target": {"A": [["1", "2"], ["3", "4"]]}}), tree="left")
    res = CliRunner().invoke(cli, ["solve", "cases/noisy-butterfly-64.toml", "--tree", "right",
                                   "--no-orthonormalize", "--json", "-q"])
    assert res.exit_code == 0, res.output
    r = json.loads(res.output)["results"]["solve"]
    assert (r["tree"], r["orthonormalized"]) == ("right", False)


def test_requested_tree_that_is_not_certified_is_refused() -> None:
    # (1,2,2,1)·(1,2,2,1)·(1,2,2,1) explicit LU-free dense 2x2 chain: every split is one full
    # block, certified; use a chain whose balanced tree fails instead: the fuse chain
    case = _case({"patterns": [[2, 2, 2, 4], [4, 2, 2, 2], [2, 4, 4, 2]]},
                 {"generator": "random-in-support", "seed": 0})
    from fsmf_check.analysis.chains import decide_chain

    trees = {t.tree: t.all_tractable for t in decide_chain(case.chain).trees}
    for name, ok in trees.items():
        if ok:
            assert solve_case(case, tree=name).results["solve"]["tree"] == name
        else:
            with pytest.raises(NotApplicableError, match=f"the {name} tree"):
                solve_case(case, tree=name)


@pytest.mark.parametrize("patterns", [
    [[2, 4, 4, 2]],                                 # lazylinop fuse docstring result, N = 16
    [[2, 2, 2, 4], [4, 2, 2, 2]],                   # its two-factor optimize chain
    [[1, 2, 4, 2], [4, 2, 2, 1]],                   # a rectangular 4 x 8 chain
    [[1, 2, 2, 4], [2, 2, 2, 2], [4, 2, 2, 1]],     # square dyadic N = 8
])
@pytest.mark.parametrize("seed", [1, 6])  # seeds where ||A||^2 - ||A on supp||^2 gave ~1e-8
def test_reported_error_equals_error_of_saved_factors(patterns: list, seed: int,
                                                      tmp_path: Path) -> None:
    case = _case({"patterns": patterns}, {"generator": "random-in-support", "seed": seed})
    out = tmp_path / "f.npz"
    r = solve_case(case, save=out).results["solve"]
    from fsmf_check.inputs.matrix_specs import numeric_target

    A = numeric_target(case).A
    B = _product_from_npz(out)
    recomputed = float(np.linalg.norm(A - B) / np.linalg.norm(A))
    assert recomputed < 1e-14  # exact products: the factors reproduce the target
    assert abs(r["rel_error"] - recomputed) < 1e-14  # was ~1e-8 from a cancelling difference


def _random_product(patterns: list[KronPattern], rng: np.random.Generator) -> np.ndarray:
    out = np.eye(patterns[0].shape[0])
    for p in patterns:
        out = out @ (p.to_dense() * rng.standard_normal(p.shape))
    return out


def test_butterfly_chain_option_rectangular_and_patterns(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    A = _random_product([KronPattern(1, 4, 8, 4), KronPattern(8, 4, 8, 1)], rng)  # 16 x 64
    f = tmp_path / "m.npy"
    np.save(f, A)
    for spec in ("monarch", "monarch:4:8", "1,4,8,4;8,4,8,1"):
        r = butterfly_matrix(str(f), chain=spec).results["solve"]
        assert r["chain"]["patterns"] == [[1, 4, 8, 4], [8, 4, 8, 1]]
        assert r["rel_error"] < 1e-13 and r["method"] == "kronecker-batched-svd"
    # transposed Monarch (lazylinop's Chain.monarch((64, 16)).T; ksd refuses it)
    T = _random_product([KronPattern(4, 4, 8, 1), KronPattern(1, 4, 8, 8)], rng)
    np.save(tmp_path / "t.npy", T)
    r = butterfly_matrix(str(tmp_path / "t.npy"), chain="4,4,8,1;1,4,8,8",
                         tree="right").results["solve"]
    assert r["rel_error"] < 1e-13 and r["transposed"]
    # permutation with a non-square chain
    perm = rng.permutation(64)
    np.save(tmp_path / "p.npy", perm)
    Ap = np.empty_like(A)
    Ap[:, perm] = A
    np.save(tmp_path / "ap.npy", Ap)
    r = butterfly_matrix(str(tmp_path / "ap.npy"), chain="monarch",
                         perm=tmp_path / "p.npy").results["solve"]
    assert r["rel_error"] < 1e-13
    res = CliRunner().invoke(cli, ["butterfly", str(f), "--chain", "monarch:3:8"])
    assert res.exit_code == 2 and "P must divide M" in res.output
    res = CliRunner().invoke(cli, ["butterfly", str(f), "--chain", "1,2,2,2;2,2,3,1"])
    assert res.exit_code == 2
    assert "product shape 4 x 6 but the matrix is 16 x 64" in res.output
    res = CliRunner().invoke(cli, ["butterfly", str(f), "--chain", "monarch", "--order",
                                   "reversed"])
    assert res.exit_code == 2 and "square-dyadic" in res.output


def test_butterfly_default_chain_is_unchanged() -> None:
    a = butterfly_matrix("dft:16", bitrev_columns=True).results["solve"]
    b = butterfly_matrix("dft:16", bitrev_columns=True, chain="square-dyadic").results["solve"]
    assert a["chain"] == b["chain"] == {"spec": "square-dyadic", "patterns": [
        [1, 2, 2, 8], [2, 2, 2, 4], [4, 2, 2, 2], [8, 2, 2, 1]]}
    assert a["rel_error"] < 1e-14

"""Membership by rational reconstruction of numeric chain factors (exactly checked).

The exact chain engine used to answer ``undecided`` on 16 of the 120 random chains (seeds
0-119) and 21 of the 300 chains with duplicated columns (seeds 5000-5299) of
``tests/exact/random_chains.py``; all of them are planted products. The numeric-then-exact
route must turn them into ``member`` with certificates that the independent checker accepts,
and a failure of the route must stay ``undecided`` and say what was tried.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.cli import cli
from fsmf_check.exact.chain import decide_chain_membership
from fsmf_check.exact.reconstruct import reconstruct_chain
from fsmf_check.exact.targets import as_exact_matrix
from fsmf_check.model.numbers import GaussianRational
from fsmf_check.model.supports import Chain
from fsmf_check.verify.certificates import verify_certificate

from .random_chains import random_chain_case

UNDECIDED_BEFORE = {False: [4, 23, 33, 37, 41, 47, 50, 52, 58, 63, 69, 71, 98, 105, 118, 119],
                    True: [5011, 5012, 5014, 5016, 5021, 5038, 5076, 5081, 5117, 5150, 5158,
                           5173, 5185, 5191, 5196, 5236, 5253, 5264, 5271, 5280, 5287]}


def _fr(M: object) -> list[list[Fraction]]:
    return [[Fraction(v) if not isinstance(v, Fraction) else v for v in row] for row in M]


def _matprod(mats: list[list[list[Fraction]]]) -> list[list[Fraction]]:
    """Independent exact product in plain Fractions."""
    P = mats[0]
    for G in mats[1:]:
        P = [[sum((row[k] * G[k][j] for k in range(len(G))), Fraction(0))
              for j in range(len(G[0]))] for row in P]
    return P


def _check_member(res: object, masks: list[np.ndarray], A: list[list[int]]) -> None:
    F = [_fr(res.backend.to_public_array(f)) for f in res.factors]
    assert _matprod(F) == _fr(A)
    for f, M in zip(F, masks, strict=True):
        nz = np.array([[v != 0 for v in row] for row in f], dtype=bool).reshape(M.shape)
        assert not (nz & ~M).any()  # supports inside the masks
    assert res.certificate is not None and res.certificate.method == "factors"
    assert verify_certificate(res.certificate)


@pytest.mark.parametrize("dup", [False, True])
def test_previously_undecided_planted_chains_are_members(dup: bool) -> None:
    for seed in UNDECIDED_BEFORE[dup]:
        masks, A, chain, _ = random_chain_case(seed, duplicated_columns=dup)
        res = decide_chain_membership(as_exact_matrix(A), chain)
        assert (res.verdict, res.method) == ("member", "numeric-reconstruction"), seed
        assert res.tried[-1].startswith("rational reconstruction of numeric factors")
        assert res.evidence["reconstruction"]["denominator_bound"] == 10_000
        assert "product equals A exactly" in res.explanation
        _check_member(res, masks, A)


def test_certificate_verifies_through_the_cli(tmp_path: Path) -> None:
    masks, A, chain, _ = random_chain_case(23)
    rows = ", ".join("[" + ", ".join(f'"{r}"' for r in f) + "]"
                     for f in [["".join("1" if v else "0" for v in row) for row in M]
                               for M in masks])
    case = tmp_path / "c.toml"
    case.write_text(f'name = "r23"\nkind = "chain"\n[supports]\nfactors = [{rows}]\n'
                    f"[target]\nA = {A}\n", encoding="utf-8")
    cert = tmp_path / "m.json"
    runner = CliRunner()
    out = runner.invoke(cli, ["certify", str(case), "--json", "--certificate", str(cert)])
    assert out.exit_code == 0, out.output
    mem = json.loads(out.output)["results"]["membership"]
    assert (mem["verdict"], mem["method"], mem["exact"]) == \
        ("member", "numeric-reconstruction", True)
    ver = runner.invoke(cli, ["verify", str(cert)])
    assert ver.exit_code == 0, ver.output


def test_failed_reconstruction_stays_undecided_and_says_so() -> None:
    # not a product: X (2x1) Y (1x2) has rank <= 1 but the identity has rank 2
    masks = [np.ones((2, 1), dtype=bool), np.ones((1, 2), dtype=bool)]
    res = reconstruct_chain([[1, 0], [0, 1]], masks)
    assert res.factors is None and res.residual is not None and res.residual > 0.1
    assert "no float solution" in res.reason
    assert "denominator bound 10000" in res.describe()


def test_gaussian_targets_skip_the_reconstruction() -> None:
    masks, A, chain, _ = random_chain_case(4)
    i = GaussianRational(Fraction(0), Fraction(1))
    res = decide_chain_membership(as_exact_matrix([[i * v for v in row] for row in A]), chain)
    assert res.verdict == "undecided"  # the exact route stops as over Q; no float search
    assert any("not attempted over Q(i)" in t for t in res.tried)
    assert "not attempted over Q(i)" in res.explanation


def test_undecided_evidence_names_the_reconstruction() -> None:
    # a 6-factor kaleidoscope chain with an integer target: real factors exist (96 unknowns for
    # 64 equations) but no rational point is found near them: undecided, never not-member
    from fsmf_check.exact.targets import exact_target
    from fsmf_check.inputs.cases import parse_case

    case = parse_case({"name": "k", "kind": "chain",
                       "supports": {"family": "kaleidoscope", "n": 8},
                       "target": {"generator": "random-in-support", "entries": "integer",
                                  "seed": 1}})
    res = decide_chain_membership(exact_target(case), case.chain)
    assert res.verdict == "undecided"
    rec = res.evidence["reconstruction"]
    assert rec["denominator_bound"] == 10_000 and rec["residual"] is not None
    assert rec["reason"] == "no rational point found near the float solutions"
    assert "rational reconstruction of numeric factors (residual" in res.explanation
    assert res.tried[-1].startswith("rational reconstruction of numeric factors (residual")


@st.composite
def _planted(draw: st.DrawFn) -> tuple[list[np.ndarray], list[list[Fraction]], list]:
    L = draw(st.integers(2, 3))
    dims = [draw(st.integers(1, 4)) for _ in range(L + 1)]
    masks, factors = [], []
    for l in range(L):
        m, n = dims[l], dims[l + 1]
        M = np.array(draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n)),
                     dtype=bool).reshape(m, n)
        vals = draw(st.lists(st.fractions(min_value=-4, max_value=4, max_denominator=3),
                             min_size=m * n, max_size=m * n))
        F = [[vals[i * n + j] if M[i, j] else Fraction(0) for j in range(n)] for i in range(m)]
        masks.append(M)
        factors.append(F)
    return masks, _matprod(factors), factors


@settings(max_examples=40, derandomize=True, deadline=None)
@given(_planted())
def test_planted_products_are_never_refuted_and_members_multiply_exactly(case) -> None:
    masks, A, _ = case
    chain = Chain([["".join("1" if v else "0" for v in row) for row in M] for M in masks])
    res = decide_chain_membership(as_exact_matrix(A), chain)
    assert res.verdict != "not-member"  # membership agrees with the construction
    if res.verdict == "member":
        _check_member(res, masks, A)
    rec = reconstruct_chain(A, masks)
    if rec.factors is not None:  # the reconstruction alone is exact too
        assert _matprod([_fr(F) for F in rec.factors]) == A


@settings(max_examples=30, derandomize=True, deadline=None)
@given(_planted(), st.integers(0, 15), st.integers(1, 3))
def test_a_perturbed_target_is_only_a_member_with_exact_factors(case, at, by) -> None:
    masks, A, _ = case
    B = [list(row) for row in A]
    i, j = divmod(at % (len(B) * len(B[0])), len(B[0]))
    B[i][j] += by  # usually not a product any more
    chain = Chain([["".join("1" if v else "0" for v in row) for row in M] for M in masks])
    res = decide_chain_membership(as_exact_matrix(B), chain)
    if res.verdict == "member":
        _check_member(res, masks, B)
    else:
        assert res.verdict in ("not-member", "undecided")

"""Rank-2 Kronecker chains (block-diagonal GL(2) gauge): identifiability against an exact oracle.

Planted chains with random integer factors; every answer is decided, carries a certificate
that the independent checker verifies, and agrees with the exact Jacobian rank of the product
map: ``identifiable`` iff ``rank = free entries - dim(orbit)``, where the orbit is that of the
block-diagonal gauge (one block per class of each split) and its dimension is the exact rank
of the gauge's tangent vectors at the factors (not assumed generic).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from flint import fmpz_mat
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.cli import cli
from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import ExactTarget, as_exact_matrix
from fsmf_check.files import atomic_write_text
from fsmf_check.model.families import deformable_chain, monarch
from fsmf_check.model.supports import Chain
from fsmf_check.verify.certificates import check_certificate

#: (name, constructor) of the planted rank-2 chains.
RANK2_CHAINS: tuple[tuple[str, object], ...] = (
    ("deformable-rank2-8", lambda: deformable_chain([[1, 2, 2, 4, 1, 2], [2, 2, 2, 2, 2, 2],
                                                     [4, 2, 2, 1, 2, 1]])),
    ("monarch-rect-rank2", lambda: monarch(2, 3, 4, 5, rank=2)),
    ("monarch-3-rank2", lambda: monarch(3, 2, 2, 3, rank=2)),
)


def planted_chain(spec: tuple[str, object], seed: int, *, span: int = 3
                  ) -> tuple[Chain, ExactTarget, list[np.ndarray]]:
    """Chain, exact product and integer factors (entries uniform in [-span, span] on the mask)."""
    chain = spec[1]()  # type: ignore[operator]
    return (chain, *_planted(chain, seed, span))


def _planted(chain: Chain, seed: int, span: int) -> tuple[ExactTarget, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    factors = []
    for q in range(chain.n_factors):
        M = chain.factor_mask(q).toarray().astype(bool)
        F = np.where(M, rng.integers(-span, span + 1, size=M.shape), 0).astype(np.int64)
        factors.append(F)
    prod = factors[0].astype(object)
    for F in factors[1:]:
        prod = prod @ F.astype(object)
    return as_exact_matrix(prod.tolist()), factors


def _rank(rows: list[list[Fraction]]) -> int:
    """Exact rank over Q (denominators cleared row by row, then flint's integer rank)."""
    if not rows or not rows[0]:
        return 0
    ints = []
    for r in rows:
        den = math.lcm(*(Fraction(v).denominator for v in r))
        ints.append([int(Fraction(v) * den) for v in r])
    return int(fmpz_mat(ints).rank())


def _split_classes(masks: list[np.ndarray], s: int) -> list[list[int]]:
    """Interface indices of split s grouped by identical (left column, right row) supports."""
    left = masks[0].astype(np.int64)
    for M in masks[1:s]:
        left = ((left @ M.astype(np.int64)) > 0).astype(np.int64)
    right = masks[s].astype(np.int64)
    for M in masks[s + 1:]:
        right = ((right @ M.astype(np.int64)) > 0).astype(np.int64)
    groups: dict[tuple[bytes, bytes], list[int]] = {}
    for k in range(left.shape[1]):
        groups.setdefault((left[:, k].tobytes(), right[k].tobytes()), []).append(k)
    return list(groups.values())


def exact_jacobian_oracle(chain: Chain, factors: list[np.ndarray]) -> tuple[int, int, int]:
    """Exact ``(rank J, free entries - dim(gauge orbit), largest class)`` at rational factors."""
    L = chain.n_factors
    masks = [chain.factor_mask(q).toarray().astype(bool) for q in range(L)]
    F = [np.vectorize(Fraction, otypes=[object])(f) for f in factors]
    pos = [(q, int(a), int(b)) for q, M in enumerate(masks) for a, b in zip(*np.nonzero(M),
                                                                            strict=True)]
    pre = [np.eye(F[0].shape[0], dtype=np.int64).astype(object) * Fraction(1)]
    for G in F[:-1]:
        pre.append(pre[-1] @ G)  # pre[q] = F[0] ... F[q-1]
    post = [np.eye(F[-1].shape[1], dtype=np.int64).astype(object) * Fraction(1)]
    for G in reversed(F[1:]):
        post.insert(0, G @ post[0])  # post[q] = F[q+1] ... F[L-1]
    cols = [np.outer(pre[q][:, a], post[q][b, :]).ravel().tolist() for q, a, b in pos]
    rank = _rank(cols)  # rank of J^T = rank of J
    index = {p: t for t, p in enumerate(pos)}
    tangent = []
    r_max = 1
    for s in range(1, L):
        for Q in _split_classes(masks, s):
            r_max = max(r_max, len(Q))
            for i in Q:
                for j in Q:
                    # F[s-1] -> F[s-1] (I + e E_ij), F[s] -> (I - e E_ij) F[s]
                    vec = [0] * len(pos)
                    for a in np.flatnonzero(F[s - 1][:, i]):
                        assert masks[s - 1][a, j], "the gauge leaves the mask"
                        vec[index[(s - 1, int(a), j)]] += F[s - 1][a, i]
                    for b in np.flatnonzero(F[s][j]):
                        assert masks[s][i, b], "the gauge leaves the mask"
                        vec[index[(s, i, int(b))]] -= F[s][j, b]
                    tangent.append(vec)
    return rank, len(pos) - _rank(tangent), r_max


def _check_verdict(chain: Chain, target: ExactTarget, factors: list[np.ndarray]
                   ) -> tuple[str, int, int]:
    """Decide, verify the certificate, compare with the oracle; (verdict, rank, expected)."""
    mem = decide_chain_membership(target, chain)
    assert mem.verdict == "member"
    res = decide_chain_identifiability(target, chain, mem)
    # the oracle runs at the factors the engine decided about (the recovered ones); with a
    # non-identifiable product they may lie on another component of the fiber than the planted
    recovered = [np.array(target.backend.to_public_array(f), dtype=object)
                 for f in mem.factors]
    rank, expected, r_max = exact_jacobian_oracle(chain, recovered)
    if res.verdict == "undecided":
        return res.verdict, rank, expected
    up_to = "diagonal scaling" if r_max == 1 else f"block-diagonal GL({r_max})"
    assert res.up_to == up_to
    assert res.certificate is not None
    report = check_certificate(res.certificate.to_dict())
    assert report.status == "verified", report.reason
    if res.verdict == "identifiable":
        assert rank == expected
    else:
        assert res.verdict == "not-identifiable"
        assert rank < expected  # a first-order direction outside the gauge orbit
        assert res.certificate.to_dict()["evidence"].get("up_to", "diagonal scaling") == up_to
    return res.verdict, rank, expected


@pytest.mark.parametrize("spec", RANK2_CHAINS, ids=[s[0] for s in RANK2_CHAINS])
def test_planted_rank2_chains_are_decided_and_certified(spec: tuple[str, object]) -> None:
    """Every planted chain is decided; verdicts are certified and agree with the oracle."""
    seen = set()
    for seed in range(6):
        for span in (3, 1):
            chain, target, factors = planted_chain(spec, seed, span=span)
            seen.add(_check_verdict(chain, target, factors)[0])
    assert "undecided" not in seen
    assert seen == {"identifiable", "not-identifiable"}


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 2), st.integers(0, 2**32 - 1))
def test_random_rank2_monarch_chains_agree_with_the_oracle(
        b: int, d: int, k: int, c: int, span: int, seed: int) -> None:
    """Random rank-2 Monarch pairs: every verdict agrees with the oracle.

    With ``b, c >= 2`` every answer is decided. Complete classes (``b = 1`` or ``c = 1``, a
    redundant pair) are decided through the same moves, except ``1 x 1`` class blocks with
    ``b = c = 1``, which are locally identifiable (the oracle has full rank) and stay
    ``undecided`` (the level-block argument does not cover them).
    """
    chain = monarch(b, d, k, c, rank=2)
    target, factors = _planted(chain, seed, span)
    verdict, rank, expected = _check_verdict(chain, target, factors)
    if verdict == "undecided":
        assert b == c == 1 and rank == expected


@pytest.mark.parametrize("seed", range(4))
def test_three_factor_random_chains_agree_with_the_oracle(seed: int) -> None:
    """Deformable rank-2 chain with entries in {-1, 0, 1}: the oracle agrees with each verdict."""
    chain = RANK2_CHAINS[0][1]()  # type: ignore[operator]
    target, factors = _planted(chain, 1000 + seed, 1)
    assert _check_verdict(chain, target, factors)[0] != "undecided"


def test_cli_verify_accepts_a_block_gauge_certificate(tmp_path) -> None:
    """``fsmf-check verify`` exits 0 on a GL(2) second-factorization certificate file."""
    chain, target, _ = planted_chain(RANK2_CHAINS[2], 1, span=1)
    res = decide_chain_identifiability(target, chain, decide_chain_membership(target, chain))
    assert res.verdict == "not-identifiable" and res.up_to == "block-diagonal GL(2)"
    path = tmp_path / "c.json"
    atomic_write_text(path, json.dumps(res.certificate.to_dict()))
    out = CliRunner().invoke(cli, ["verify", str(path)])
    assert out.exit_code == 0, out.output
    assert "verified" in out.output and "block-diagonal GL(2)" in out.output

"""The checker's block-diagonal gauge test for rank-2 Kronecker chains (``up_to`` GL(2)).

A ``not-identifiable`` certificate of a rank-2 chain claims that no block-diagonal gauge
(one block per class of each split) relates the two factorizations. The checker rebuilds the
linear system ``F[l] G[l+1] = G[l] F'[l]`` and proves it inconsistent. Tampered copies are
refuted: a second factorization that *is* a block gauge of the first (the old diagonal-only
test accepted those), a wrong ``GL(r)``, a changed number; a malformed ``up_to`` is exit 2.
"""

from __future__ import annotations

import copy
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.exact.certificates import Certificate, encode_sparse, encode_structure
from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import as_exact_matrix
from fsmf_check.model.families import monarch
from fsmf_check.verify.certificates import check_certificate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exact"))
from test_rank_r_identifiability import RANK2_CHAINS, _split_classes, planted_chain  # noqa: E402


def _certificates() -> list[tuple[dict, list[np.ndarray]]]:
    out = []
    for spec in RANK2_CHAINS:
        for seed in range(3):
            chain, target, _ = planted_chain(spec, seed, span=1)
            res = decide_chain_identifiability(target, chain,
                                               decide_chain_membership(target, chain))
            if res.verdict == "not-identifiable":
                masks = [chain.factor_mask(q).toarray().astype(bool)
                         for q in range(chain.n_factors)]
                out.append((res.certificate.to_dict(), masks))
    return out


CERTS = _certificates()


def _dense(obj: dict) -> np.ndarray:
    M = np.full(tuple(obj["shape"]), Fraction(0), dtype=object)
    for i, j, v in obj["entries"]:
        M[i, j] = Fraction(v)
    return M


def _sparse(M: np.ndarray) -> dict:
    return {"shape": list(M.shape),
            "entries": [[int(i), int(j), str(M[i, j])] for i, j in np.argwhere(M != 0)]}


def _block_gauge(masks: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Random invertible block-diagonal G_1..G_{L-1} (blocks: classes), unimodular blocks."""
    out = []
    for s in range(1, len(masks)):
        G = np.full((masks[s].shape[0],) * 2, Fraction(0), dtype=object)
        for Q in _split_classes(masks, s):
            if len(Q) == 1:
                G[Q[0], Q[0]] = Fraction(int(rng.choice([-2, -1, 1, 3])))
                continue
            a, b = (int(v) for v in rng.integers(-3, 4, size=2))
            # [[1, a], [b, 1 + a b]] has determinant 1
            block = [[1, a], [b, 1 + a * b]]
            for x, i in enumerate(Q[:2]):
                for y, j in enumerate(Q[:2]):
                    G[i, j] = Fraction(block[x][y])
            for i in Q[2:]:
                G[i, i] = Fraction(1)
        out.append(G)
    return out


def _inverse(G: np.ndarray) -> np.ndarray:
    n = G.shape[0]
    aug = np.concatenate([G.copy(), np.eye(n, dtype=np.int64).astype(object) * Fraction(1)],
                         axis=1)
    for col in range(n):
        piv = next(i for i in range(col, n) if aug[i, col] != 0)
        aug[[col, piv]] = aug[[piv, col]]
        aug[col] = aug[col] / aug[col, col]
        for i in range(n):
            if i != col and aug[i, col] != 0:
                aug[i] = aug[i] - aug[col] * aug[i, col]
    return aug[:, n:]


def test_there_are_block_gauge_certificates() -> None:
    """The planted chains give block-gauge certificates to tamper with."""
    assert len(CERTS) >= 5
    assert all(c["evidence"]["up_to"] == "block-diagonal GL(2)" for c, _ in CERTS)


@pytest.mark.parametrize("index", range(5))
def test_block_gauge_certificate_verifies_and_tampering_is_refuted(index: int) -> None:
    """The real certificate verifies; wrong GL(r), equal factors, doubled factor refute."""
    cert, _ = CERTS[index]
    report = check_certificate(cert)
    assert report.status == "verified", report.reason
    assert any("block-diagonal GL(2) gauge" in line for line in report.checks)
    bad = copy.deepcopy(cert)  # a wrong gauge group size
    bad["evidence"]["up_to"] = "block-diagonal GL(3)"
    assert check_certificate(bad).status == "refuted"
    bad["evidence"]["up_to"] = "GL(2) or so"
    assert check_certificate(bad).exit_code == 2
    bad = copy.deepcopy(cert)  # the second factorization equal to the first
    bad["evidence"]["second_factors"] = bad["evidence"]["factors"]
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)  # changed numbers: one factor doubled, the product doubles
    for entry in bad["evidence"]["second_factors"][0]["entries"]:
        entry[2] = str(2 * Fraction(entry[2]))
    report = check_certificate(bad)
    assert report.status == "refuted" and "product" in report.reason


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_block_gauge_of_the_factors_is_refuted(seed: int) -> None:
    """Second factors G_l^-1 F_l G_(l+1): the block test refutes what the diagonal test passed."""
    rng = np.random.default_rng(seed)
    cert, masks = CERTS[int(rng.integers(len(CERTS)))]
    F = [_dense(f) for f in cert["evidence"]["factors"]]
    G = [None, *_block_gauge(masks, rng), None]
    second = []
    for q, Fq in enumerate(F):
        M = Fq if G[q] is None else _inverse(G[q]) @ Fq
        second.append(M if G[q + 1] is None else M @ G[q + 1])
    assert all(not (np.vectorize(bool)(S) & ~M).any() for S, M in zip(second, masks,
                                                                       strict=True))
    bad = copy.deepcopy(cert)
    bad["evidence"]["second_factors"] = [_sparse(S) for S in second]
    report = check_certificate(bad)
    assert report.status == "refuted"
    assert "block-diagonal gauge" in report.reason
    # the diagonal-scaling test alone does not see the gauge (unless G happens to be diagonal)
    weak = copy.deepcopy(bad)
    weak["evidence"]["up_to"] = "diagonal scaling"
    is_diagonal = all(not np.vectorize(bool)(g - np.diag(np.diag(g))).any() for g in G[1:-1])
    assert check_certificate(weak).status == ("refuted" if is_diagonal else "verified")


def _hand_certificate(second_y: list[list[int]]) -> dict:
    """``monarch(2, 1, 1, 3, rank=2)``: one class of size 2; X v = 0 for v = (1, -1)."""
    chain = monarch(2, 1, 1, 3, rank=2)
    X, Y = [[1, 1], [1, 1]], [[1, 0, 0], [0, 1, 0]]
    A = (np.array(X, dtype=object) @ np.array(Y, dtype=object)).tolist()
    target = as_exact_matrix(A)
    bk = target.backend
    data = {"field": target.field.to_dict(), "structure": encode_structure(chain),
            "target": target.dense(),
            "factors": [encode_sparse(bk.array(X), bk), encode_sparse(bk.array(Y), bk)],
            "second_factors": [encode_sparse(bk.array(X), bk),
                               encode_sparse(bk.array(second_y), bk)],
            "up_to": "block-diagonal GL(2)"}
    return Certificate("not-identifiable", "second-factorization", data).to_dict()


def test_equal_rank_profiles_are_decided_by_the_linear_system() -> None:
    """Y + v e_3^T keeps every class block's rank; only the inconsistent system proves it."""
    report = check_certificate(_hand_certificate([[1, 0, 1], [0, 1, -1]]))
    assert report.status == "verified", report.reason
    assert "inconsistent by exact elimination" in report.checks[-1]
    # Y + v e_1^T: e_1 lies in the row space of Y, the system has a solution: refuted
    report = check_certificate(_hand_certificate([[2, 0, 0], [-1, 1, 0]]))
    assert report.status == "refuted" and "has a solution" in report.reason

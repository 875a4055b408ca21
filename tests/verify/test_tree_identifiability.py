"""The independent checker and the T8 tree argument for explicit-mask chains.

Every ``identifiable`` certificate of a random explicit chain (method ``nondegenerate-tree``)
verifies; tampered copies are refuted, and a forged ``identifiable`` claim for the issue's
free-entry chain is refuted by the checker's own free-entry test.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import as_exact_matrix
from fsmf_check.model.supports import Chain
from fsmf_check.verify.certificates import check_certificate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exact"))
from random_chains import random_chain_case  # noqa: E402


def _tree_certificates(seeds: range) -> list[dict]:
    out = []
    for seed in seeds:
        _, A, chain, _ = random_chain_case(seed)
        target = as_exact_matrix(A)
        mem = decide_chain_membership(target, chain)
        if mem.verdict != "member":
            continue
        idr = decide_chain_identifiability(target, chain, mem)
        if idr.method == "nondegenerate-tree":
            out.append(idr.certificate.to_dict())
    return out


CERTS = _tree_certificates(range(200))


def test_there_are_tree_certificates_to_check() -> None:
    assert len(CERTS) >= 8


@pytest.mark.parametrize("index", range(8))
def test_tree_certificate_verifies_and_tampering_is_refuted(index: int) -> None:
    cert = CERTS[index]
    assert check_certificate(cert).status == "verified"
    # a recorded contribution value changed
    bad = copy.deepcopy(cert)
    node = next((n for n in bad["evidence"]["nodes"] if n["contributions"]), None)
    if node is not None:  # (a chain whose masks are all empty has no contribution to list)
        node["contributions"][0]["value"] = str(int(node["contributions"][0]["value"]) + 1)
        assert check_certificate(bad).status == "refuted"
    # a node dropped: the tree no longer covers the chain
    bad = copy.deepcopy(cert)
    bad["evidence"]["nodes"] = bad["evidence"]["nodes"][1:]
    assert check_certificate(bad).status == "refuted"


def test_forged_identifiable_claim_with_a_free_entry_is_refuted() -> None:
    masks = [["111", "111", "111"], ["111", "111", "000"], ["100", "010", "001"]]
    chain = Chain(masks)
    target = as_exact_matrix([[1, 2, 3], [4, 5, 6], [5, 7, 9]])
    mem = decide_chain_membership(target, chain)
    assert mem.verdict == "member"
    idr = decide_chain_identifiability(target, chain, mem)
    assert idr.verdict == "not-identifiable" and idr.method == "free-entry"
    real = idr.certificate.to_dict()
    assert check_certificate(real).status == "verified"
    forged = copy.deepcopy(real)
    forged["claim"] = "identifiable"
    forged["evidence"] = {"kind": "nondegenerate-tree", "factors": real["evidence"]["factors"],
                          "tree": "left", "nodes": []}
    report = check_certificate(forged)
    assert report.status == "refuted"
    assert "free" in report.reason

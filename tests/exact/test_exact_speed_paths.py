"""The roots-of-unity fast path of the chain recovery agrees with the general path."""

from __future__ import annotations

import numpy as np
import pytest

from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import ExactTarget, dft_matrix
from fsmf_check.model.families import butterfly
from fsmf_check.verify.certificates import verify_certificate


def _general(target: ExactTarget) -> ExactTarget:
    """The same matrix without its exponents: the general (backend scalar) path."""
    return ExactTarget(target.A, target.field, target.backend, target.description)


@pytest.mark.parametrize(("n", "columns"), [(4, "bitrev"), (8, "bitrev"), (16, "bitrev"),
                                            (8, "natural"), (16, "natural")])
def test_roots_path_matches_general_path(n: int, columns: str) -> None:
    fast_t = dft_matrix(n, columns)
    slow_t = _general(fast_t)
    fast = decide_chain_membership(fast_t, butterfly(n))
    slow = decide_chain_membership(slow_t, butterfly(n))
    assert fast.verdict == slow.verdict == ("member" if columns == "bitrev" else "not-member")
    assert fast.certificate is not None and slow.certificate is not None
    assert fast.certificate.to_dict() == slow.certificate.to_dict() or columns == "natural"
    assert verify_certificate(fast.certificate)
    if fast.verdict == "member":
        assert fast.factors is not None and slow.factors is not None
        for F, G in zip(fast.factors, slow.factors, strict=True):
            assert all(a == b for a, b in zip(F.reshape(-1), G.reshape(-1), strict=True))
        fi = decide_chain_identifiability(fast_t, butterfly(n), fast)
        si = decide_chain_identifiability(slow_t, butterfly(n), slow)
        assert fi.verdict == si.verdict == "identifiable"
        assert fi.certificate is not None and si.certificate is not None
        assert fi.certificate.to_dict() == si.certificate.to_dict()
        assert verify_certificate(fi.certificate)


def test_roots_path_refutes_a_perturbed_dft() -> None:
    t = dft_matrix(8, "bitrev")
    E = np.array(t.exponents, dtype=np.int64)
    E[3, 5] = (E[3, 5] + 1) % 8
    bk = t.backend
    A = np.empty(E.shape, dtype=object)
    A.reshape(-1)[:] = [bk.root_of_unity(int(e)) for e in E.reshape(-1)]
    fast = decide_chain_membership(ExactTarget(A, t.field, bk, "perturbed", exponents=E),
                                   butterfly(8))
    slow = decide_chain_membership(ExactTarget(A, t.field, bk, "perturbed"), butterfly(8))
    assert fast.verdict == slow.verdict == "not-member"
    assert fast.certificate is not None
    assert verify_certificate(fast.certificate)

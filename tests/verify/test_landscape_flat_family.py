"""The ``flat-family`` evidence (non-strict spurious minimum) through the independent checker.

One certificate from the engine; every mutation must be refuted (or reported malformed),
and a legitimate reparametrization of the family (a polynomial, not affine, family) must
still verify: the checker expands the gradient along any polynomial family exactly.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest

from fsmf_check.commands.landscape import landscape_of_case
from fsmf_check.inputs.cases import load_case
from fsmf_check.verify.certificates import check_certificate

CASES = Path(__file__).resolve().parents[2] / "cases"


@pytest.fixture(scope="module")
def cert() -> dict:
    res = landscape_of_case(load_case(CASES / "landscape-flat-dead-unit.toml"), starts=10)
    data = res.certificate()
    assert data is not None and data["evidence"]["method"] == "flat-family"
    return data


def _status(data: dict) -> tuple[str, str]:
    rep = check_certificate(data)
    return rep.status, rep.reason


def _vec(data: dict, j: int) -> list[str]:
    return data["evidence"]["family"]["terms"][j]["vector"]


def test_untampered_certificate_verifies(cert):
    assert _status(cert) == ("verified", "")
    ev = cert["evidence"]
    assert ev["family"]["variables"] == 2 and ev["kernel_dimension"] == 5
    assert Fraction(ev["objective"]) == Fraction(9, 2)


def test_tampered_family_direction_is_refuted(cert):
    bad = copy.deepcopy(cert)
    v = _vec(bad, 0)
    x_entry = 0  # X[0,0]: moving it does not keep the gradient at 0
    v[x_entry] = str(Fraction(v[x_entry]) + 1)
    status, reason = _status(bad)
    assert status == "refuted" and "not identically 0" in reason


def test_tampered_kernel_basis_is_refuted(cert):
    # replace a family direction by a symmetry tangent (in ker H, but not transversal)
    ev = cert["evidence"]
    k, ell = ev["generators"][0]
    assert k == ell == 1  # the scaling of the dead unit: (X_1, -Y_1) = (0, -Y_1)
    bad = copy.deepcopy(cert)
    names = ev["parameters"]
    _vec(bad, 0)[:] = [str(-Fraction(v)) if n.startswith("Y[") and n.endswith(",1]") else "0"
                       for n, v in zip(names, ev["point"], strict=True)]
    status, reason = _status(bad)
    assert status == "refuted" and "not transversal" in reason
    # drop one family variable: the fixed coordinates no longer match
    bad = copy.deepcopy(cert)
    bad["evidence"]["family"] = {"variables": 1, "terms": [
        {"exponents": [1], "vector": _vec(cert, 0)}]}
    status, reason = _status(bad)
    assert status == "refuted" and "fixed coordinates" in reason
    # a wrong kernel dimension
    bad = copy.deepcopy(cert)
    bad["evidence"]["kernel_dimension"] = 4
    assert _status(bad)[0] == "refuted"


def test_tampered_point_is_refuted(cert):
    bad = copy.deepcopy(cert)
    pt = bad["evidence"]["point"]
    pt[1] = str(Fraction(pt[1]) + Fraction(1, 7))
    status, reason = _status(bad)
    assert status == "refuted" and "gradient at the point is not exactly zero" in reason


def test_free_and_fixed_swapped_is_refuted(cert):
    bad = copy.deepcopy(cert)
    ev = bad["evidence"]
    ev["fixed"], ev["free"] = ev["free"][:len(ev["fixed"])], ev["fixed"] + ev["free"][
        len(ev["fixed"]):]
    assert _status(bad)[0] == "refuted"


def test_polynomial_reparametrization_still_verifies_and_a_bad_term_does_not(cert):
    good = copy.deepcopy(cert)
    fam = good["evidence"]["family"]
    fam["terms"].append({"exponents": [2, 1], "vector": _vec(cert, 0)})  # t1^2 t2 v1
    assert _status(good) == ("verified", "")
    bad = copy.deepcopy(cert)
    bad["evidence"]["family"]["terms"].append(
        {"exponents": [0, 2], "vector": ["1"] + ["0"] * (len(_vec(cert, 0)) - 1)})
    status, reason = _status(bad)
    assert status == "refuted" and "not identically 0" in reason


def test_malformed_family_is_malformed(cert):
    bad = copy.deepcopy(cert)
    bad["evidence"]["family"]["terms"][0]["exponents"] = [1]
    assert _status(bad)[0] == "malformed"
    bad = copy.deepcopy(cert)
    bad["evidence"]["family"]["terms"][0]["exponents"] = [0, 0]  # a constant term
    assert _status(bad)[0] == "malformed"


def test_better_point_above_the_minimum_is_refuted(cert):
    bad = copy.deepcopy(cert)
    bad["evidence"]["better_point"]["point"] = ["0"] * len(_vec(cert, 0))  # loss 25/2 > 9/2
    status, reason = _status(bad)
    assert status == "refuted" and "not below" in reason

"""General landscape certifier (T10): certificates re-checked by the Fraction checker."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest

from fsmf_check.commands.landscape import landscape_outcome
from fsmf_check.inputs.cases import load_case
from fsmf_check.landscape.certify import analyze_landscape
from fsmf_check.model.certificate_schema import inputs_digest
from fsmf_check.verify.certificates import check_certificate
from fsmf_check.verify.landscape import verify_landscape_certificate

CASES = Path(__file__).resolve().parents[2] / "cases"
E7 = [[1, 0], [1, 1], [0, 1]]


@pytest.mark.parametrize(("name", "loss"), [("landscape-e7-sparse-network", "8"),
                                            ("landscape-e7-wide", "25/2"),
                                            ("landscape-chain-of-three", "9/2")])
def test_shipped_cases_have_certified_spurious_minima(name, loss, tmp_path):
    cert_file = tmp_path / "c.json"
    out = landscape_outcome(load_case(CASES / f"{name}.toml"), starts=10,
                            certificate=cert_file)
    land = out.results["landscape"]
    assert out.exit_code == 1 and land["verdict"] == "spurious-minimum"
    spurious = [mn for mn in land["minima"] if mn["spurious"]]
    assert loss in [mn["objective"] for mn in spurious]
    assert all(mn["certified"] and mn["kind"] == "strict" for mn in spurious)
    data = json.loads(cert_file.read_text())
    assert data["schema"] == "fsmf-check/certificate/2"
    assert data["claim"] == "spurious-local-minimum"
    report = check_certificate(data)
    assert report.status == "verified", report.reason
    # the better point's exact loss is below the certified one
    better = Fraction(data["evidence"]["better_point"]["objective"])
    assert better < Fraction(loss)


def test_krawczyk_certificate_of_the_global_minimum_rechecks():
    res = analyze_landscape(E7, E7, [[1, 2, 0], [2, 10, 0], [0, 0, 4]], starts=6)
    glob = res.minima[0]
    assert glob.certified and glob.method == "krawczyk" and not glob.spurious
    lo, hi = glob.objective_enclosure
    assert lo <= Fraction(16564104506, 10**11) <= hi + Fraction(1, 10**10)
    # the Krawczyk evidence of the global minimum with a worse "better point" (X = Y = 0):
    # every interval check passes and the checker must refuse the spurious claim
    cert = {"schema": "fsmf-check/certificate/2",
            "claim": {"kind": "spurious-local-minimum"}, "inputs": res.inputs,
            "evidence": {**glob.evidence, "better_point": {"point": ["0"] * 8}}}
    ok, checks = verify_landscape_certificate(cert)
    assert not ok and "not below" in checks[-1]
    assert any("Krawczyk" in c for c in checks)


def test_checker_rejects_tampered_certificates():
    res = analyze_landscape(E7, E7, [[1, 2, 0], [2, 10, 0], [0, 0, 4]], starts=10)
    cert = res.certificate()
    assert check_certificate(cert).status == "verified"
    bad = copy.deepcopy(cert)  # inputs that no longer match their hash
    bad["inputs"]["target"]["rows"][0][0] = "2"
    assert check_certificate(bad).status == "refuted"
    bad["inputs"]["sha256"] = inputs_digest(bad["inputs"]["structure"], bad["inputs"]["target"],
                                            bad["inputs"]["field"])
    assert check_certificate(bad).status == "refuted"  # hash fixed: the gradient is not 0
    bad = copy.deepcopy(cert)
    bad["evidence"]["generators"] = [[0, 1], [1, 1]]
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)
    bad["claim"] = "member"  # evidence of another kind than the claim needs
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)
    del bad["evidence"]["fixed"]
    assert check_certificate(bad).status == "malformed"  # a dropped field


def test_dto_supports_are_not_applicable():
    res = analyze_landscape([[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 2], [3, 4]])
    assert res.verdict == "not-applicable" and res.exact and res.certificate() is None


def test_cli_landscape_json(tmp_path):
    from click.testing import CliRunner

    from fsmf_check.cli import cli

    r = CliRunner().invoke(cli, ["landscape", str(CASES / "landscape-e7-sparse-network.toml"),
                                 "--starts", "10", "--json"])
    assert r.exit_code == 1
    assert json.loads(r.output)["results"]["landscape"]["verdict"] == "spurious-minimum"


@pytest.mark.parametrize("path", sorted(CASES.glob("landscape-*.toml")), ids=lambda p: p.stem)
def test_every_shipped_landscape_case_has_a_certificate_that_verifies(path: Path,
                                                                      tmp_path: Path) -> None:
    cert = tmp_path / "c.json"
    out = landscape_outcome(load_case(path), starts=10, certificate=cert)
    land = out.results["landscape"]
    assert land["verdict"] == "spurious-minimum" and out.exit_code == 1
    spurious = [mn for mn in land["minima"] if mn["spurious"] and mn["certified"]]
    assert spurious, land["minima"]
    # the spurious minimum is strictly above another certified minimum's loss
    assert min(Fraction(mn["objective"]) for mn in land["minima"]) < min(
        Fraction(mn["objective"]) for mn in spurious)
    assert check_certificate(json.loads(cert.read_text())).status == "verified"

"""Certificate files (fsmf-check/certificate/2) and the arithmetic-only checker.

Every certificate of every shipped case verifies; mutations are refuted (exit 1), dropped
fields are malformed (exit 2); the checker imports no engine.
"""

from __future__ import annotations

import ast
import copy
from fractions import Fraction
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.cli import cli
from fsmf_check.closure.decide import decide_closedness
from fsmf_check.commands.certify import certify_case
from fsmf_check.errors import FsmfError
from fsmf_check.exact.twofactor import decide_membership
from fsmf_check.inputs.cases import load_case
from fsmf_check.model.supports import SupportPattern
from fsmf_check.verify.certificates import check_certificate

ROOT = Path(__file__).resolve().parents[2]
CASE_FILES = sorted((ROOT / "cases").glob("*.toml")) + sorted((ROOT / "cases").glob("*.json"))


def _certificates_of(path: Path) -> list[dict]:
    case = load_case(path)
    out = []
    w = decide_closedness(case, qe=False).witness
    if w is not None and "certificate" in w:
        out.append(w["certificate"])
    if case.target is not None and case.target.is_exact:
        try:
            res = certify_case(case).results
        except FsmfError:
            return out
        for key in ("membership", "identifiability"):
            cert = res[key].get("certificate")
            if isinstance(cert, dict) and "schema" in cert:
                out.append(cert)
    return out


_SHIPPED = {p.name: _certificates_of(p) for p in CASE_FILES}
_ALL = [(name, i) for name, certs in _SHIPPED.items() for i in range(len(certs))]


def test_shipped_cases_yield_certificates_of_every_claim():
    kinds = {(c["claim"], c["evidence"]["kind"]) for certs in _SHIPPED.values() for c in certs}
    assert {("member", "factors"), ("not-member", "minor"), ("not-member", "nullstellensatz"),
            ("not-member", "entry-outside-supports"), ("identifiable", "nondegenerate-splits"),
            ("identifiable", "completion"), ("identifiable", "disjoint-supports"),
            ("not-identifiable", "second-factorization"),
            ("not-closed", "witness-sequence")} <= kinds


@pytest.mark.parametrize(("name", "idx"), _ALL)
def test_every_shipped_certificate_verifies(name, idx):
    rep = check_certificate(_SHIPPED[name][idx])
    assert rep.status == "verified", rep.reason
    assert rep.exit_code == 0 and len(rep.checks) >= 4


def _number_paths(obj: object, path: tuple = ()) -> list[tuple]:
    """Paths to every exact-number string in the evidence (values, coefficients)."""
    out: list[tuple] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in ("kind", "parameter", "tends_to"):
                out += _number_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _number_paths(v, (*path, i))
    elif isinstance(obj, str):
        out.append(path)
    return out


def _get(obj: object, path: tuple) -> object:
    for p in path:
        obj = obj[p]  # type: ignore[index]
    return obj


def _set(obj: object, path: tuple, value: object) -> None:
    _get(obj, path[:-1])[path[-1]] = value  # type: ignore[index]


def _bumped(text: str) -> str:
    return f"{text} + 1" if "z" in text else ("7/3" if text != "7/3" else "5")


# variables in cofactors are strings too; a changed name is not a changed number
def _is_number_path(cert: dict, path: tuple) -> bool:
    return not (len(path) >= 2 and path[-2] in (0,) and isinstance(_get(cert, path[:-1]), list)
                and len(_get(cert, path[:-1])) == 2 and isinstance(_get(cert, path[:-1])[1], int))


@pytest.mark.parametrize(("name", "idx"), _ALL)
def test_changing_any_number_refutes(name, idx):
    cert = _SHIPPED[name][idx]
    paths = [p for p in _number_paths(cert["evidence"]) if _is_number_path(cert["evidence"], p)]
    rng = np.random.default_rng(len(paths))
    chosen = [paths[i] for i in rng.choice(len(paths), size=min(6, len(paths)), replace=False)]
    for path in chosen:
        bad = copy.deepcopy(cert)
        old = _get(bad["evidence"], path)
        _set(bad["evidence"], path, _bumped(old))
        rep = check_certificate(bad)
        if cert["claim"] == "not-identifiable" and rep.status == "verified":
            # a factor entry that meets only zeros of the other factor does not change the
            # product: the mutated pair is still a valid proof of non-identifiability
            continue
        assert rep.status == "refuted", (path, old, rep.reason)
    bad = copy.deepcopy(cert)
    tgt = bad["inputs"]["target"]
    if tgt is not None:
        tgt["rows"][0][0] = _bumped(tgt["rows"][0][0])
        assert check_certificate(bad).status == "refuted"  # hash no longer matches


@pytest.mark.parametrize(("name", "idx"), _ALL)
def test_flipped_claim_wrong_kind_hash_and_dropped_fields(name, idx):
    cert = _SHIPPED[name][idx]
    flip = {"member": "not-member", "not-member": "member", "identifiable": "not-identifiable",
            "not-identifiable": "identifiable", "equivalent": "not-member",
            "not-closed": "member"}
    bad = dict(cert, claim=flip[cert["claim"]])
    assert check_certificate(bad).exit_code == 1
    bad = copy.deepcopy(cert)
    bad["inputs"]["sha256"] = "0" * 64
    assert check_certificate(bad).exit_code == 1
    bad = copy.deepcopy(cert)
    # evidence of a kind that proves another claim
    bad["evidence"]["kind"] = ("witness-sequence" if cert["claim"] != "not-closed"
                               else "factors")
    assert check_certificate(bad).exit_code == 1
    for key in ("claim", "inputs", "evidence", "schema"):
        bad = {k: v for k, v in cert.items() if k != key}
        assert check_certificate(bad).exit_code == 2
    for key in [k for k in cert["evidence"] if k != "split"]:
        bad = copy.deepcopy(cert)
        del bad["evidence"][key]
        assert check_certificate(bad).exit_code == 2, key


def test_cli_verify_exit_codes_and_printed_checks(tmp_path):
    runner = CliRunner()
    good = tmp_path / "c.json"
    res = runner.invoke(cli, ["closedness", str(ROOT / "cases/nonclosed-lu-3x3.toml"),
                              "--certificate", str(good)])
    assert res.exit_code == 1 and good.exists()
    res = runner.invoke(cli, ["verify", str(good)])
    assert res.exit_code == 0 and "verified" in res.output and "Nullstellensatz" in res.output
    out = json.loads(runner.invoke(cli, ["verify", str(good), "--json"]).output)
    assert out["results"]["certificate"]["verdict"] == "verified"
    data = json.loads(good.read_text())
    data["evidence"]["limit"]["entries"][0][2] = "2"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    res = runner.invoke(cli, ["verify", str(bad)])
    assert res.exit_code == 1 and "refuted" in res.output
    (tmp_path / "junk.json").write_text("{not json")
    assert runner.invoke(cli, ["verify", str(tmp_path / "junk.json")]).exit_code == 2
    m = tmp_path / "m.json"
    res = runner.invoke(cli, ["certify", str(ROOT / "cases/e4-lu-member.toml"),
                              "--certificate", str(m)])
    assert res.exit_code == 0
    for f in (m, tmp_path / "m.identifiability.json"):
        assert runner.invoke(cli, ["verify", str(f), "-q"]).exit_code == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_random_integer_factors_certify_and_perturbation_refutes(m, n, r, seed):
    rng = np.random.default_rng(seed)
    I = rng.random((m, r)) < 0.6
    J = rng.random((n, r)) < 0.6
    X = np.where(I, rng.integers(-4, 5, (m, r)), 0)
    Y = np.where(J, rng.integers(-4, 5, (n, r)), 0)
    A = (X @ Y.T).astype(int).tolist()
    pattern = SupportPattern(["".join("1" if v else "0" for v in row) for row in I],
                             ["".join("1" if v else "0" for v in row) for row in J])
    res = decide_membership(A, pattern)
    assert res.verdict in ("member", "undecided")
    if res.certificate is None:
        return
    cert = res.certificate.to_dict()
    assert check_certificate(cert).status == "verified"
    ents = cert["evidence"]["factors"][0]["entries"] or cert["evidence"]["factors"][1]["entries"]
    if ents:
        bad = copy.deepcopy(cert)
        e = (bad["evidence"]["factors"][0]["entries"] or bad["evidence"]["factors"][1]["entries"])
        e[0][2] = str(int(e[0][2]) + 1)
        # the perturbed factors still multiply to A only when the entry meets a zero column of
        # the other factor; the checker must refute exactly when the product changes
        changed = _product_of(bad["evidence"]["factors"]) != _product_of(
            cert["evidence"]["factors"])
        assert check_certificate(bad).status == ("refuted" if changed else "verified")


def _product_of(factors: list[dict]) -> list[list[Fraction]]:
    """X Y^T from the factor entries of a two-factor certificate (plain Fractions)."""
    (m, r), (n, _) = factors[0]["shape"], factors[1]["shape"]
    X = [[Fraction(0)] * r for _ in range(m)]
    Y = [[Fraction(0)] * r for _ in range(n)]
    for M, f in ((X, factors[0]), (Y, factors[1])):
        for i, k, v in f["entries"]:
            M[i][k] = Fraction(v)
    return [[sum((X[i][k] * Y[j][k] for k in range(r)), Fraction(0)) for j in range(n)]
            for i in range(m)]


_FORBIDDEN = ("fsmf_check.exact", "fsmf_check.analysis", "fsmf_check.closedness",
              "fsmf_check.numeric", "fsmf_check.landscape", "flint")


@pytest.mark.parametrize("path", sorted((ROOT / "fsmf_check/verify").glob("*.py"))
                         + [ROOT / "fsmf_check/commands/verify.py"], ids=lambda p: p.name)
def test_checker_imports_no_engine_and_no_flint(path):
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    for name in names:
        assert not any(name == f or name.startswith(f + ".") for f in _FORBIDDEN), name

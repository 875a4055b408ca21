"""Landscape of chains ``1/2 ||A - F_0 ... F_{L-1}||^2`` (T10): formulas, search, certificates.

Oracles independent of the certifier: exact identities of the chain polynomial (the ``L = 2``
chain is the two-factor loss; the gradient is orthogonal to every interface generator), a float
Hessian eigen check and random perturbations around certified minima, and the two-factor
reduction of a chain whose middle factor is diagonal.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.cli import cli
from fsmf_check.commands.landscape import landscape_outcome
from fsmf_check.errors import InvalidInputError
from fsmf_check.inputs.cases import load_case
from fsmf_check.landscape import polynomial as poly
from fsmf_check.landscape.certify import analyze_landscape
from fsmf_check.landscape.chains import analyze_chain_landscape, chain_loss_numeric
from fsmf_check.model.certificate_schema import inputs_digest
from fsmf_check.verify.certificates import check_certificate

CASES = Path(__file__).resolve().parents[2] / "cases"
E7 = [[1, 0], [1, 1], [0, 1]]
E7_A = [[1, 2, 0], [2, 10, 0], [0, 0, 4]]
#: E7 written as a chain with a diagonal middle factor (reducible to the two-factor E7).
E7_CHAIN = [E7, [[1, 0], [0, 1]], [[1, 1, 0], [0, 1, 1]]]


def _rand_chain(seed: int) -> tuple[list[np.ndarray], list[list[Fraction]], list[Fraction]]:
    rng = np.random.default_rng(seed)
    L = int(rng.integers(2, 5))
    dims = rng.integers(1, 4, L + 1)
    masks = [(rng.random((dims[t], dims[t + 1])) < 0.7).astype(int) for t in range(L)]
    A = [[Fraction(int(v)) for v in row] for row in rng.integers(-4, 5, (dims[0], dims[-1]))]
    p = int(sum(M.sum() for M in masks))
    th = [Fraction(int(v), int(d)) for v, d in zip(rng.integers(-9, 10, p),
                                                    rng.integers(1, 5, p), strict=True)]
    return masks, A, th


@settings(max_examples=25)
@given(st.integers(0, 10**6))
def test_gradient_is_exactly_orthogonal_to_every_interface_generator(seed: int) -> None:
    masks, A, th = _rand_chain(seed)
    lay = poly.chain_layout_of(masks)
    g = poly.gradient(lay, A, th, Fraction(0))
    for gen in poly.chain_generators(masks):
        xi = poly.generator_vector(lay, th, gen, Fraction(0))
        assert sum((a * b for a, b in zip(g, xi, strict=True)), Fraction(0)) == 0


@settings(max_examples=15)
@given(st.integers(0, 10**6))
def test_chain_derivatives_match_finite_differences(seed: int) -> None:
    masks, A, th = _rand_chain(seed)
    lay = poly.chain_layout_of(masks)
    Af = np.array(A, dtype=float)
    x = np.array(th, dtype=float)
    f0, g = chain_loss_numeric(lay, Af, x)
    assert f0 == pytest.approx(float(poly.loss(lay, A, th, Fraction(0), Fraction(1, 2))))
    assert np.allclose(g, np.array(poly.gradient(lay, A, th, Fraction(0)), dtype=float))
    H = np.array(poly.hessian(lay, A, th, Fraction(0)), dtype=float)
    eps = 1e-6
    for e in np.eye(lay.p):
        dg = (chain_loss_numeric(lay, Af, x + eps * e)[1]
              - chain_loss_numeric(lay, Af, x - eps * e)[1]) / (2 * eps)
        assert np.allclose(H @ e, dg, atol=1e-5 * max(1.0, np.abs(H).max()))


def test_two_factor_layout_is_the_chain_of_two() -> None:
    rng = np.random.default_rng(3)
    I = (rng.random((3, 2)) < 0.7).astype(int)
    J = (rng.random((4, 2)) < 0.7).astype(int)
    A = [[Fraction(int(v)) for v in row] for row in rng.integers(-4, 5, (3, 4))]
    two = poly.layout_of(I, J)
    ch = poly.chain_layout_of([I, J.T])
    th = [Fraction(int(v), 3) for v in rng.integers(-9, 10, two.p)]
    # chain order: F_1 = Y^T row-major over (k, j); two-factor order: Y row-major over (j, k)
    nx = len(two.xs)
    perm = list(range(nx)) + [nx + two.ys.index((j, k)) for k, j in ch.entries[1]]
    th_c = [th[a] for a in perm]
    z, h = Fraction(0), Fraction(1, 2)
    assert poly.loss(two, A, th, z, h) == poly.loss(ch, A, th_c, z, h)
    g2, gc = poly.gradient(two, A, th, z), poly.gradient(ch, A, th_c, z)
    assert [g2[a] for a in perm] == gc
    H2, Hc = poly.hessian(two, A, th, z), poly.hessian(ch, A, th_c, z)
    assert [[H2[a][b] for b in perm] for a in perm] == Hc


def _float_oracle(lay: poly.ChainLayout, A: list, point: tuple[float, ...],
                  evidence: dict) -> None:
    """Certified minimum: slice Hessian PD in floats and no descent in 400 random directions."""
    Af = np.array([[float(Fraction(v)) for v in row] for row in A])
    th = np.array(point)
    free = evidence["free"]
    H = np.array(poly.hessian(lay, Af.tolist(), list(th), 0.0))
    assert np.linalg.eigvalsh(H[np.ix_(free, free)]).min() > 1e-8
    assert np.linalg.eigvalsh(H).min() > -1e-8  # PSD on the full space (kernel: symmetries)
    f0 = chain_loss_numeric(lay, Af, th)[0]
    rng = np.random.default_rng(7)
    for _ in range(400):
        d = rng.standard_normal(lay.p)
        d *= 1e-3 / np.linalg.norm(d)
        assert chain_loss_numeric(lay, Af, th + d)[0] >= f0 - 1e-12


def test_reducible_chain_agrees_with_the_two_factor_reduction() -> None:
    chain = analyze_chain_landscape(E7_CHAIN, E7_A, starts=8)
    two = analyze_landscape(E7, E7, E7_A, starts=8)
    assert chain.verdict == two.verdict == "spurious-minimum"
    assert [round(m.objective, 9) for m in chain.minima] == \
        [round(m.objective, 9) for m in two.minima]
    assert [m.objective_enclosure for m in chain.minima if m.spurious] == [(Fraction(8),) * 2]
    lay = poly.chain_layout_of(E7_CHAIN)
    for mn in chain.minima:
        assert mn.certified and mn.kind == "strict"
        _float_oracle(lay, chain.inputs["A"], mn.point, mn.evidence)
    data = chain.to_dict()
    assert data["structure"] == "chain" and data["n_factors"] == 3
    cert = chain.certificate()
    assert cert["inputs"]["structure"]["kind"] == "chain"
    assert check_certificate(cert).status == "verified"


def _chain_cert() -> dict:
    res = analyze_chain_landscape(E7_CHAIN, E7_A, starts=8)
    cert = res.certificate()
    assert check_certificate(cert).status == "verified"
    return cert


def _rehash(cert: dict) -> dict:
    inp = cert["inputs"]
    inp["sha256"] = inputs_digest(inp["structure"], inp["target"], inp["field"])
    return cert


def test_chain_certificate_mutations_are_refuted() -> None:
    cert = _chain_cert()
    ev = cert["evidence"]
    bad = copy.deepcopy(cert)
    bad["inputs"]["target"]["rows"][1][1] = "11"
    assert check_certificate(bad).status == "refuted"  # hash mismatch
    assert check_certificate(_rehash(bad)).status == "refuted"  # gradient no longer 0
    bad = copy.deepcopy(cert)  # a mask entry removed: the point leaves the masks' layout
    bad["inputs"]["structure"]["factors"][1]["mask"] = ["11", "01"]
    assert check_certificate(_rehash(bad)).status != "verified"
    bad = copy.deepcopy(cert)  # an interface that does not exist
    bad["evidence"]["generators"][0] = [2, 0, 0]
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)  # a mixing that does not keep the masks
    bad["evidence"]["generators"][0] = [0, 0, 1]
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)  # one point entry nudged: the gradient is not 0
    k = ev["free"][0]
    bad["evidence"]["point"][k] = str(Fraction(ev["point"][k]) + Fraction(1, 10**6))
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)  # a better point that is not better
    bad["evidence"]["better_point"]["point"] = ["0"] * len(ev["better_point"]["point"])
    assert check_certificate(bad).status == "refuted"
    bad = copy.deepcopy(cert)
    del bad["evidence"]["free"]
    assert check_certificate(bad).status == "malformed"


def test_chain_krawczyk_mutations_are_refuted() -> None:
    res = analyze_chain_landscape(E7_CHAIN, E7_A, starts=8)
    glob = res.minima[0]
    assert glob.method == "krawczyk"
    cert = res.certificate()
    ev = {k: v for k, v in cert["evidence"].items()
          if k not in ("point", "objective", "ldl_pivots")}
    kraw = copy.deepcopy(cert)
    kraw["evidence"] = {**ev, **glob.evidence, "better_point": {"point": ["0"] * 10}}
    rep = check_certificate(kraw)  # every box check passes; the better point is worse
    assert rep.status == "refuted" and "not below" in rep.reason
    assert any("Krawczyk" in c for c in rep.checks)
    bad = copy.deepcopy(kraw)  # a box moved off the critical point
    c0 = bad["evidence"]["free"][0]
    bad["evidence"]["center"][c0] = str(Fraction(bad["evidence"]["center"][c0]) + Fraction(1, 8))
    rep = check_certificate(bad)
    assert rep.status == "refuted" and "Krawczyk" in rep.reason
    bad = copy.deepcopy(kraw)  # a huge box: the Hessian is not PD on all of it
    bad["evidence"]["radius"] = ["4"] * len(bad["evidence"]["radius"])
    assert check_certificate(bad).status == "refuted"


def test_chain_input_errors() -> None:
    with pytest.raises(InvalidInputError, match="consecutive factors must agree"):
        analyze_chain_landscape([[[1, 1]], [[1, 1]]], [[1, 1]])
    with pytest.raises(InvalidInputError, match="target shape"):
        analyze_chain_landscape(E7_CHAIN, [[1, 2], [3, 4]])


def test_cli_chain_landscape_json_and_verify(tmp_path: Path) -> None:
    case = tmp_path / "c.toml"
    case.write_text('name = "e7-chain"\nkind = "chain"\n[supports]\n'
                    'factors = [["10", "11", "01"], ["10", "01"], ["110", "011"]]\n'
                    "[target]\nA = [[1, 2, 0], [2, 10, 0], [0, 0, 4]]\n")
    cert = tmp_path / "cert.json"
    r = CliRunner().invoke(cli, ["landscape", str(case), "--starts", "8", "--json",
                                 "--certificate", str(cert)])
    assert r.exit_code == 1, r.output
    land = json.loads(r.output)["results"]["landscape"]
    assert land["structure"] == "chain" and land["verdict"] == "spurious-minimum"
    r = CliRunner().invoke(cli, ["verify", str(cert)])
    assert r.exit_code == 0, r.output


def test_two_factor_chain_case_is_the_two_factor_problem(tmp_path: Path) -> None:
    text = (CASES / "chain-lu-split.toml").read_text()
    case = tmp_path / "c.toml"
    case.write_text(text + "\n[target]\nA = [[0, 0, 1], [0, 1, 0], [1, 0, 0]]\n")
    out = landscape_outcome(load_case(case), starts=4)
    land = out.results["landscape"]
    assert "structure" not in land  # the chain L·U is analyzed as the two-factor pattern
    assert land["verdict"] in ("spurious-minimum", "no-spurious-found")


def test_shipped_sparse_chain_minima_pass_the_float_oracle() -> None:
    case = load_case(CASES / "landscape-chain-3-sparse.toml")
    masks = [case.chain.factor_mask(t).toarray() for t in range(3)]
    res = analyze_chain_landscape(masks, case.target.entries, starts=10)
    assert res.verdict == "spurious-minimum"
    assert [(m.method, m.spurious) for m in res.minima] == [("krawczyk", False),
                                                            ("krawczyk", True)]
    lo0, hi0 = res.minima[0].objective_enclosure
    assert hi0 < res.minima[1].objective_enclosure[0]
    lay = poly.chain_layout_of(masks)
    for mn in res.minima:
        _float_oracle(lay, res.inputs["A"], mn.point, mn.evidence)
    assert check_certificate(res.certificate()).status == "verified"

"""The sparse first-layer network case: two distinct local minima, both certified by boxes (T10).

``cases/landscape-network-4x4-r2.toml``: ``A ~ W2 W1`` with a dense output layer ``W2`` (4 x 2)
and a sparse first layer ``W1`` (hidden unit 0 reads inputs {0, 1}, unit 1 reads {1, 2, 3}).
Oracles independent of the certifier: the reduced one-angle function of the layer (its two
local maxima give the two minima's losses), float Hessian eigenvalues and random perturbations.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.inputs.cases import load_case
from fsmf_check.landscape import polynomial as poly

CASE = Path(__file__).resolve().parents[2] / "cases" / "landscape-network-4x4-r2.toml"


def _run(tmp_path: Path) -> tuple[dict, Path]:
    cert = tmp_path / "net.json"
    r = CliRunner().invoke(cli, ["landscape", str(CASE), "--starts", "10", "--json",
                                 "--certificate", str(cert)])
    assert r.exit_code == 1, r.output
    return json.loads(r.output)["results"]["landscape"], cert


def _reduced_minima(A: np.ndarray) -> list[float]:
    """Loss minima through the angle ``phi`` of unit 0's weights ``(cos phi, sin phi, 0, 0)``.

    With ``W1`` fixed the best ``W2`` projects ``A``'s rows on ``V = rowspace(W1)``; every plane
    ``V`` containing ``u`` meets span(e1, e2, e3), so the loss is
    ``(||A||^2 - u^T M u - lambda_max(Q M Q)) / 2`` with ``M = A^T A``, ``Q = I - u u^T``.
    """
    M = A.T @ A
    phis = np.linspace(0.0, np.pi, 3601)[:-1]
    vals = []
    for phi in phis:
        u = np.array([np.cos(phi), np.sin(phi), 0.0, 0.0])
        Q = np.eye(4) - np.outer(u, u)
        vals.append(0.5 * (np.sum(A * A) - u @ M @ u - np.linalg.eigvalsh(Q @ M @ Q)[-1]))
    v = np.array(vals)
    return sorted(float(v[i]) for i in range(len(v)) if v[i] < v[i - 1] and
                  v[i] < v[(i + 1) % len(v)])


def test_network_case_has_two_box_certified_minima_and_its_certificate_verifies(
        tmp_path: Path) -> None:
    land, cert = _run(tmp_path)
    assert land["verdict"] == "spurious-minimum"
    mins = land["minima"]
    assert len(mins) == 2
    assert all(mn["certified"] and mn["kind"] == "strict" and mn["method"] == "krawczyk"
               for mn in mins)
    lo0, hi0 = (Fraction(v) for v in mins[0]["objective_enclosure"])
    lo1, hi1 = (Fraction(v) for v in mins[1]["objective_enclosure"])
    assert hi0 < lo1  # two distinct minima: disjoint certified loss enclosures
    assert [mn["spurious"] for mn in mins] == [False, True]
    assert Fraction(mins[1]["better_point"]["objective"]) < lo1
    # independent oracle: the reduced one-angle function has exactly these two minima
    A = np.array(load_case(CASE).target.entries, dtype=float)
    red = _reduced_minima(A)
    assert len(red) == 2
    assert abs(red[0] - float(lo0)) < 1e-4 and abs(red[1] - float(lo1)) < 1e-4
    r = CliRunner().invoke(cli, ["verify", str(cert)])
    assert r.exit_code == 0, r.output
    assert json.loads(cert.read_text())["evidence"]["method"] == "krawczyk"


def test_network_minima_pass_a_float_hessian_and_perturbation_oracle(tmp_path: Path) -> None:
    land, _ = _run(tmp_path)
    case = load_case(CASE)
    I, J = case.pattern.I_dense(), case.pattern.J_dense()
    lay = poly.layout_of(I, J)
    A = np.array(case.target.entries, dtype=float)
    rng = np.random.default_rng(11)

    def loss(th: np.ndarray) -> float:
        return float(poly.loss(lay, A.tolist(), list(th), 0.0, 0.5))

    for mn in land["minima"]:
        th = np.array(mn["point"], dtype=float)
        H = np.array(poly.hessian(lay, A.tolist(), list(th), 0.0))
        ev = np.linalg.eigvalsh(H)
        # exactly the two column scalings are flat; every other direction curves up
        assert np.sum(np.abs(ev) < 1e-6) == 2 and ev.min() > -1e-6
        f0 = loss(th)
        for _ in range(300):
            d = rng.standard_normal(lay.p)
            assert loss(th + 1e-3 * d / np.linalg.norm(d)) >= f0 - 1e-12

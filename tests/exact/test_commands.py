"""`fsmf-check certify` and the exact half of `butterfly --cross-check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmf_check.inputs.cases import parse_case
from fsmf_check.cli import cli
from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.commands.certify import (
    certify_case,
    cross_check_butterfly,
    exact_spec_target,
)
from fsmf_check.exact.targets import exact_target
from fsmf_check.verify.certificates import verify_certificate
from fsmf_check.model.families import butterfly


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


E4 = '''name = "e4"
kind = "two-factor"
[supports]
family = "lu"
n = 2
[target]
A = [[1, 2], [3, 4]]
'''
DFT = '''name = "dft"
kind = "chain"
[supports]
family = "butterfly"
n = 16
[target]
generator = "dft"
n = 16
columns = "{columns}"
'''


def test_certify_member_json(tmp_path):
    res = CliRunner().invoke(cli, ["certify", str(_write(tmp_path, "e4", E4)), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    mem, ident = out["results"]["membership"], out["results"]["identifiability"]
    assert (mem["verdict"], mem["theorem"], mem["exact"]) == ("member", "T8", True)
    assert mem["certificate_verified"] is True and verify_certificate(mem["certificate"])
    assert (ident["verdict"], ident["scope"]) == ("identifiable", "target")
    assert out["command"] == "certify" and out["shape"] == {"m": 2, "n": 2, "r": 2}


def test_certify_dft_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["certify", str(_write(tmp_path, "a", DFT.format(columns="bitrev")))])
    assert ok.exit_code == 0 and "membership: member" in ok.output
    bad = runner.invoke(cli, ["certify", "--json",
                              str(_write(tmp_path, "b", DFT.format(columns="natural")))])
    assert bad.exit_code == 1
    mem = json.loads(bad.output)["results"]["membership"]
    assert mem["verdict"] == "not-member" and mem["certificate"]["evidence"]["minor"][
        "supports_meeting"] == 1
    assert verify_certificate(mem["certificate"])


def test_certify_undecided_and_usage_errors(tmp_path):
    runner = CliRunner()
    kal = '''name = "k"
kind = "chain"
[supports]
family = "kaleidoscope"
n = 8
[target]
generator = "random-in-support"
entries = "integer"
seed = 1
'''
    res = runner.invoke(cli, ["certify", str(_write(tmp_path, "k", kal)), "--json"])
    assert res.exit_code == 3
    assert json.loads(res.output)["results"]["membership"]["verdict"] == "undecided"
    gauss = kal.replace('entries = "integer"\n', "")
    res = runner.invoke(cli, ["certify", str(_write(tmp_path, "g", gauss))])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "entries = \"integer\"" in res.output
    notarget = kal[: kal.index("[target]")]
    res = runner.invoke(cli, ["certify", str(_write(tmp_path, "n", notarget))])
    assert res.exit_code == 2 and "needs a [target]" in res.output


def test_certify_planted_random_butterfly_scalings():
    case = parse_case({"name": "rb", "kind": "chain", "supports": {"family": "butterfly",
                       "n": 8, "order": "reversed"},
                       "target": {"generator": "random-butterfly", "n": 8, "seed": 4,
                                  "entries": "integer", "order": "reversed"}})
    out = certify_case(case, tree="left")
    planted = out.results["membership"]["planted_factors"]
    assert planted["equivalent"] is True and planted["certificate_verified"] is True
    assert planted["certificate"]["claim"] == "equivalent"


def test_chain_with_uncertified_split_uses_two_factor_machinery():
    case = parse_case({"name": "lu", "kind": "chain",
                       "supports": {"factors": [["10", "11"], ["11", "01"]]},
                       "target": {"A": [[1, 2], [3, 4]]}})
    out = certify_case(case)
    assert out.exit_code == 0
    assert out.results["membership"]["method"] == "rank-one-completion"
    assert out.results["membership"]["certificate_verified"] is True


def test_exact_target_refusals():
    case = parse_case({"name": "f", "supports": {"I": ["1"], "J": ["1"]},
                       "target": {"A": [[0.5]]}})
    with pytest.raises(ExactnessError, match="float"):
        exact_target(case)
    with pytest.raises(ExactnessError, match="noisy"):
        exact_spec_target("random-butterfly:8:0:noise=0.5")
    with pytest.raises(InvalidInputError):
        exact_spec_target("ones:8")


def test_cross_check_with_numeric_solver():
    import numpy as np

    from fsmf_check.exact.targets import bitrev
    from fsmf_check.numeric.hierarchical import hierarchical
    from fsmf_check.inputs.matrix_specs import dft

    n = 16
    num = hierarchical(dft(n), butterfly(n), column_perm=bitrev(n))
    out = cross_check_butterfly(exact_spec_target(f"dft:{n}"), butterfly(n),
                                num.factors.to_scipy_sparse(), column_perm=bitrev(n))
    assert out["exact"]["verdict"] == "member"
    assert out["identifiability"]["verdict"] == "identifiable"
    # numeric factors reproduce the exact matrix to rounding (float64, 4 levels)
    assert out["numeric_error"] < 1e-12
    assert out["agreement"]["agrees"] is True
    assert np.isfinite(out["agreement"]["max_relative_deviation"])


@pytest.mark.parametrize(("spec", "kw", "member"), [
    ("dft:16", {"bitrev_columns": True}, "member"),
    ("dft:16", {}, "not-member"),
    ("hadamard:32", {"tree": "balanced"}, "member"),
    ("random-butterfly:16:2", {"tree": "right"}, "member"),
])
def test_butterfly_cross_check_agrees(spec, kw, member):
    from fsmf_check.commands.certify import butterfly_cross_check

    out, lines = butterfly_cross_check(spec, **kw)
    assert out["verdict"] == "agree" and out["exact_membership"]["verdict"] == member
    # numeric error: rounding for members, the T9 gap (> 0.5 for DFT_16) otherwise
    assert (out["numeric_error"] < 1e-12) == (member == "member")
    assert lines[0].startswith("cross-check")

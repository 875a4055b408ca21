"""Chain sweeps: spec errors, determinism, agreement with the engines, certificate files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fsmf_check.analysis.chains import decide_chain
from fsmf_check.closure.decide import decide_closedness
from fsmf_check.commands.sweep import sweep_command
from fsmf_check.errors import CaseFormatError, SizeLimitError
from fsmf_check.exact import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import as_exact_matrix
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain
from fsmf_check.sweep.chains import chain_case
from fsmf_check.sweep.run import read_results, run_sweep
from fsmf_check.sweep.spec import load_sweep, parse_sweep
from fsmf_check.verify.certificates import check_certificate_file

ALL_Q = ["tractability", "closedness", "membership", "identifiability"]
# the first 10 cases of sweeps/chains-explicit-sample.toml (case 8 is not closed)
EXPLICIT = {"name": "ex", "kind": "chain", "questions": ALL_Q,
            "sample": {"family": "explicit", "factors": [2, 4], "dims": [1, 3],
                       "density": 0.6, "count": 10, "seed": 0, "target": "planted"}}
KRON = {"name": "kr", "kind": "chain", "questions": ALL_Q,
        "sample": {"family": "kronecker", "factors": [2, 4], "a": [1, 2], "b": [1, 3],
                   "c": [1, 3], "d": [1, 2], "chainable": False, "count": 12, "seed": 3,
                   "target": "planted"}}


def _with(base: dict, **sample: object) -> dict:
    data = json.loads(json.dumps(base))
    for key, value in sample.items():
        if value is None:
            del data["sample"][key]
        else:
            data["sample"][key] = value
    return data


@pytest.mark.parametrize(("data", "error", "match"), [
    (_with(EXPLICIT, family="dense"), CaseFormatError, "sample.family"),
    (_with(EXPLICIT, a=[1, 2]), CaseFormatError, "unknown key 'sample.a'"),
    (_with(EXPLICIT, count=None), CaseFormatError, "missing required key 'sample.count'"),
    (_with(EXPLICIT, dims=None), CaseFormatError, "missing required key 'sample.dims'"),
    (_with(EXPLICIT, factors=[1, 3]), CaseFormatError, "2 <= low <= high"),
    (_with(EXPLICIT, factors=[4, 2]), CaseFormatError, "sample.factors"),
    (_with(EXPLICIT, factors=[2, 9]), SizeLimitError, "MAX_SWEEP_CHAIN_FACTORS = 8"),
    (_with(EXPLICIT, dims=[1, 33]), SizeLimitError, "MAX_SWEEP_CHAIN_DIM = 32"),
    (_with(EXPLICIT, count=2**20 + 1), SizeLimitError, "MAX_SWEEP_CHAIN_CASES"),
    (_with(EXPLICIT, density=0), CaseFormatError, "sample.density"),
    (_with(EXPLICIT, target=None), CaseFormatError, "question 'membership' of a chain"),
    (_with(KRON, b=[1, 5], d=[1, 4]), SizeLimitError, "a*b*d"),
    (_with(KRON, chainable="yes"), CaseFormatError, "sample.chainable"),
    (_with(KRON, a=1, b=2, c=3, d=1), CaseFormatError, "no Kronecker chain of 2 factors"),
    ({**EXPLICIT, "questions": ["landscape"]}, CaseFormatError, "questions"),
    ({**EXPLICIT, "enumerate": {"shape": [2, 2, 2]}}, CaseFormatError, "unknown key"),
    ({k: v for k, v in EXPLICIT.items() if k != "sample"}, CaseFormatError, r"\[sample\]"),
])
def test_bad_chain_sweeps_are_one_line_errors(data, error, match):
    with pytest.raises(error, match=match) as info:
        parse_sweep(data)
    assert "\n" not in str(info.value)


def test_cli_refuses_bad_chain_sweep_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkind = "chain"\nquestions = ["tractability"]\n'
                   '[sample]\nfamily = "explicit"\nfactors = [2, 12]\ndims = 2\ncount = 3\n')
    proc = subprocess.run([sys.executable, "-m", "fsmf_check", "sweep", str(bad), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "MAX_SWEEP_CHAIN_FACTORS" in proc.stderr


def test_shipped_chain_sweeps_parse():
    ex = load_sweep("sweeps/chains-explicit-sample.toml")
    kr = load_sweep("sweeps/kronecker-sample.toml")
    assert (ex.kind, ex.family, ex.count, ex.factors, ex.dims) == \
        ("chain", "explicit", 200, (2, 4), (1, 3))
    assert (kr.family, kr.kron, kr.chainable) == ("kronecker", ((1, 2), (1, 3), (1, 3), (1, 2)),
                                                  False)


def test_cases_are_seeded_per_index_and_respect_the_ranges():
    spec = parse_sweep(EXPLICIT)
    for i in range(30):
        case = chain_case(spec, i)
        assert case == chain_case(spec, i)
        assert case.factors is not None and 2 <= len(case.factors) <= 4
        dims = [len(case.factors[0])] + [len(f[0]) for f in case.factors]
        assert all(1 <= d <= 3 for d in dims)
        Chain([[[int(c) for c in row] for row in f] for f in case.factors])  # shapes agree
    kspec = parse_sweep(_with(KRON, chainable=True, count=40))
    for i in range(40):
        case = chain_case(kspec, i)
        assert case.to_json()["chainable"] is True
        assert all(1 <= p[0] <= 2 and 1 <= p[3] <= 2 for p in case.patterns)
    # an arbitrary sample keeps non-chainable chains too
    loose = parse_sweep(_with(KRON, count=40))
    kinds = {chain_case(loose, i).to_json()["chainable"] for i in range(40)}
    assert kinds == {True, False}


@pytest.fixture(scope="module")
def explicit_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("explicit")
    return out, sweep_command(parse_sweep(EXPLICIT), out)


@pytest.fixture(scope="module")
def kron_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("kron")
    return out, sweep_command(parse_sweep(KRON), out)


def _chain_of(line: dict) -> Chain:
    ch = line["chain"]
    if "patterns" in ch:
        return Chain([KronPattern(*p) for p in ch["patterns"]])
    return Chain([[[int(c) for c in row] for row in f] for f in ch["factors"]])


@pytest.mark.parametrize("which", ["explicit_run", "kron_run"])
def test_results_agree_with_the_engines(which, request):
    out, data = request.getfixturevalue(which)
    lines = read_results(out)
    assert [ln["index"] for ln in lines] == list(range(data.summary["cases"]))
    for ln in lines:
        chain, res = _chain_of(ln), ln["results"]
        an = decide_chain(chain)
        assert res["tractability"]["verdict"] == an.verdict
        assert res["tractability"]["certified_trees"] == \
            [t.tree for t in an.trees if t.all_tractable]
        assert res["tractability"]["certified_splits"] == \
            sum(s.result.tractable for s in an.splits)
        assert res["closedness"]["verdict"] == decide_closedness(chain, qe=False).verdict
        target = as_exact_matrix(ln["target"])
        mem = decide_chain_membership(target, chain)
        assert res["membership"]["verdict"] == mem.verdict
        # planted targets are products on the masks: never refuted
        assert mem.verdict != "not-member"
        assert res["identifiability"]["verdict"] == \
            decide_chain_identifiability(target, chain, mem).verdict


def test_explicit_sample_reference_counts(explicit_run):
    _, data = explicit_run
    s = data.summary
    assert s["kind"] == "chain" and s["cases"] == 10
    assert s["counts"]["closedness"]["not-closed"] == 1
    # planted products: all members. The chain of case 8 has no certified tree, so the
    # hierarchical recovery does not apply; its factors come from the rational reconstruction
    # of numeric factors, checked exactly
    assert s["counts"]["membership"] == {"member": 10}
    assert sum(s["certified_splits"].values()) == 10
    line8 = read_results(explicit_run[0])[8]
    assert line8["results"]["closedness"]["verdict"] == "not-closed"
    assert line8["results"]["tractability"]["verdict"] == "not-certified"
    assert (line8["results"]["membership"]["verdict"],
            line8["results"]["membership"]["method"]) == ("member", "numeric-reconstruction")


def test_counterexample_files_and_certificates_verify(explicit_run):
    out, data = explicit_run
    files = data.summary["counterexamples"]
    assert {c["question"] for c in files} == {"closedness", "identifiability"}
    lines = read_results(out)
    for c in files:
        doc = json.loads((out / c["file"]).read_text())
        assert doc["chain"] == lines[c["index"]]["chain"]
        assert doc["result"]["verdict"] == c["verdict"]
        cert = lines[c["index"]]["results"][c["question"]]["certificate_file"]
        assert check_certificate_file(out / cert).status == "verified"


def test_workers_give_byte_identical_chain_results(explicit_run, kron_run, tmp_path):
    for (out, _), data in ((explicit_run, EXPLICIT), (kron_run, KRON)):
        two = tmp_path / data["name"]
        sweep_command(parse_sweep(data), two, workers=2)
        for name in ("results.jsonl", "summary.json"):
            assert (two / name).read_bytes() == (out / name).read_bytes()


def test_chain_sweep_resumes_after_a_truncated_line(kron_run, tmp_path):
    out, _ = kron_run
    reference = (out / "results.jsonl").read_bytes()
    spec = parse_sweep(KRON)
    sweep_command(spec, tmp_path)
    cut = reference.index(b'{"index": 5,') + 20
    (tmp_path / "results.jsonl").write_bytes(reference[:cut])
    run = run_sweep(spec, tmp_path)
    assert (run.resumed, run.computed) == (5, 7)
    assert (tmp_path / "results.jsonl").read_bytes() == reference


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_dask_gives_the_same_chain_results(kron_run, tmp_path):
    pytest.importorskip("dask.distributed")
    out, _ = kron_run
    data = sweep_command(parse_sweep(KRON), tmp_path, workers=2, scheduler="dask")
    assert data.run.computed == 12
    assert (tmp_path / "results.jsonl").read_bytes() == (out / "results.jsonl").read_bytes()


def test_two_factor_fingerprints_ignore_the_chain_fields():
    spec = parse_sweep({"name": "lu", "kind": "two-factor", "questions": ["closedness"],
                        "enumerate": {"shape": [2, 2, 2]}})
    assert spec.fingerprint() == \
        "e633cf0f3879df1dfcefc4785f99a8d4c6954f15c04e07dfb5f45f3d4ae343bb"  # as before chains

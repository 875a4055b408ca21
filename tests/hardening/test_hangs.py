"""Inputs that used to hang or exhaust memory: each now answers correctly or exits 2 at once.

Every big input runs ``fsmf-check`` in a subprocess under a wall timeout and an address-space
limit (RLIMIT_AS), so a regression fails the test instead of the machine. The closed forms
that make the big cases fast are checked against the explicit analysis on small sizes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.analysis.chains import _truncated_node, decide_chain, kronecker_pair_classes
from fsmf_check.analysis.tractability import decide_tractability
from fsmf_check.model import families
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60
MEMORY = 3 * 2**30  # address space: the interpreter with numpy, scipy and sympy maps ~1 GiB


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(tmp_path: Path, toml: str, *args: str) -> subprocess.CompletedProcess[str]:
    case = tmp_path / "case.toml"
    case.write_text(toml)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "fsmf_check", *args[:-1], args[-1], str(case),
                           "--json"], capture_output=True, text=True, timeout=TIMEOUT_S,
                          env=env, preexec_fn=_limit, check=False)


def _chain_toml(family: str, n: int, extra: str = "") -> str:
    return (f'name = "big"\nkind = "chain"\n[supports]\nfamily = "{family}"\nn = {n}\n'
            f"{extra}")


def test_butterfly_2_24_is_analyzed_in_closed_form(tmp_path: Path) -> None:
    proc = _run(tmp_path, _chain_toml("butterfly", 2**24), "analyze")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)["results"]
    tract = res["tractability"]
    assert tract["verdict"] == "tractable" and tract["n_factors"] == 24
    assert all(t["all_tractable"] for t in tract["trees"])
    # T6: every butterfly split has N classes of one rank-one support each
    assert {s["n_classes"] for s in tract["splits"]} == {2**24}
    assert res["closedness"]["verdict"] == "closed"


def test_truncated_butterfly_2_20_is_analyzed_in_closed_form(tmp_path: Path) -> None:
    proc = _run(tmp_path, _chain_toml("truncated-butterfly", 2**20, "outputs = 16\n"),
                "analyze")
    assert proc.returncode == 0, proc.stderr
    tract = json.loads(proc.stdout)["results"]["tractability"]
    assert tract["verdict"] == "tractable" and tract["n_factors"] == 20
    # split after F[0]: the 16 output rows lie in 16 row classes of F[0], each met by 2
    # classes of the right part (T6, T11)
    first = tract["splits"][0]
    assert first["verdict"] == "tractable" and first["n_classes"] == 32


def _assert_refused(proc: subprocess.CompletedProcess[str], limit: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-400:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and limit in lines[0], lines


def test_random_pattern_with_2_24_supports_is_refused_at_once(tmp_path: Path) -> None:
    toml = ('name = "big"\n[supports]\nfamily = "random"\nm = 4\nn = 4\nr = 16777216\n'
            "density = 0.3\n")
    _assert_refused(_run(tmp_path, toml, "analyze"), "MAX_RANDOM_NNZ")


def test_certify_dft_1024_is_refused_before_flint(tmp_path: Path) -> None:
    toml = _chain_toml("butterfly", 1024, '[target]\ngenerator = "dft"\ncolumns = "bitrev"\n')
    # held as exponents (about 384 bytes per entry): 1024^2 entries need about 400 MiB, so a
    # 200 MiB budget is refused up front, before any exact object exists
    proc = _run(tmp_path, toml, "--max-memory", "200M", "certify")
    _assert_refused(proc, "--max-memory")
    assert "roots of unity of order 1024" in proc.stderr


def test_certify_memory_estimate_of_dft_targets_follows_the_exponent_path() -> None:
    from fsmf_check.commands.certify import (CERTIFY_BYTES_PER_DEGREE,
                                             CERTIFY_BYTES_PER_ROOT_ENTRY,
                                             estimate_certify_memory)
    from fsmf_check.inputs.cases import parse_case

    case = parse_case({"name": "d", "kind": "chain",
                       "supports": {"family": "butterfly", "n": 1024},
                       "target": {"generator": "dft", "columns": "bitrev"}})
    est, what = estimate_certify_memory(case)
    assert est == 1024 * 1024 * CERTIFY_BYTES_PER_ROOT_ENTRY + 1024 * CERTIFY_BYTES_PER_DEGREE * 512
    assert est < 4 * 2**30 and "exponents" in what  # the default budget admits DFT_1024


# --------------------------------------------------------------------------------------------
# the closed forms agree with the explicit analysis

@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 100), st.integers(1, 4))
def test_kronecker_pair_classes_match_explicit(a1: int, b1: int, c1: int, d1: int,
                                               pick: int, c2: int) -> None:
    r = a1 * c1 * d1
    divs = [(a2, d2) for a2 in range(1, r + 1) for d2 in range(1, r + 1) if r % (a2 * d2) == 0]
    a2, d2 = divs[pick % len(divs)]
    left, right = KronPattern(a1, b1, c1, d1), KronPattern(a2, r // (a2 * d2), c2, d2)
    res = decide_tractability(SupportPattern(left.to_sparse(), right.to_sparse().T))
    assert res.verdict == "tractable"
    assert kronecker_pair_classes(left, right) == (res.n_classes,
                                                   int(res.class_complete.sum()))


@pytest.mark.parametrize(("n", "outputs"), [(8, 3), (16, [5, 1]), (32, 32), (32, [0, 9, 30])])
def test_truncated_nodes_match_explicit(n: int, outputs: int | list[int]) -> None:
    chain = families.truncated_butterfly(n, outputs).chain
    plain = Chain(list(chain.factors))
    assert decide_chain(chain).to_dict() == decide_chain(plain).to_dict()
    L = chain.n_factors
    for p in range(L):
        for q in range(p + 2, L + 1):
            for s in range(p + 1, q):
                got = _truncated_node(chain, p, s, q)  # type: ignore[arg-type]
                exp = decide_tractability(plain.split(s, p, q))
                assert got is not None
                assert (got.verdict, got.n_classes, got.n_complete_classes,
                        got.n_empty_supports) == (exp.verdict, exp.n_classes,
                                                  int(exp.class_complete.sum()),
                                                  int(exp.empty_columns.size))

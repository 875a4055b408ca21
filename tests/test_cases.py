"""Case files (docs/reference/case-format.md): parsing, exact targets, one-line errors, and a mutation fuzz test."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsmf_check.inputs.cases import find_cases, load_case, parse_case
from fsmf_check.errors import CaseFormatError, ExactnessError, InvalidInputError, MaskError
from fsmf_check.model.numbers import GaussianRational, parse_exact

from .strategies import mutate_text

CASES = Path(__file__).resolve().parent.parent / "cases"


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = 'name = "t"\nkind = "two-factor"\n[supports]\nI = ["10", "01"]\nJ = ["10", "01"]\n'


def test_every_shipped_case_loads_with_expect_and_source() -> None:
    files = find_cases([CASES])
    assert len(files) >= 15
    names = set()
    for f in files:
        case = load_case(f)
        assert case.expect, f"{f} has no [expect]"
        assert case.source, f"{f} has no source"
        assert case.name not in names
        names.add(case.name)


def test_exact_target_entries_are_lossless(tmp_path: Path) -> None:
    p = write(tmp_path, BASE + '[target]\nA = [[1, "-1/3"], ["2+1/2i", "-i"]]\n')
    t = load_case(p).target
    assert t.is_exact and t.kind == "explicit"
    assert t.entries[0] == (Fraction(1), Fraction(-1, 3))
    assert t.entries[1] == (GaussianRational(Fraction(2), Fraction(1, 2)),
                            GaussianRational(Fraction(0), Fraction(-1)))
    p = write(tmp_path, BASE + "[target]\nA = [[1, 0.5], [0, 1]]\n")
    assert not load_case(p).target.is_exact


def test_parse_exact_refuses_floats() -> None:
    with pytest.raises(ExactnessError, match="float"):
        parse_exact(0.1)
    with pytest.raises(ExactnessError, match="decimal"):
        parse_exact("0.1")
    with pytest.raises(InvalidInputError, match="zero denominator"):
        parse_exact("1/0")
    assert parse_exact("3-4i").to_exact_string() == "3-4i"


@pytest.mark.parametrize(("text", "error", "fragment"), [
    (BASE + "colour = 1\n", CaseFormatError, "unknown key 'supports.colour'"),
    ('name = "t"\nfoo = 1\n[supports]\nI=["1"]\nJ=["1"]\n', CaseFormatError, "unknown key 'foo'"),
    ('name = "Bad Name"\n[supports]\nI=["1"]\nJ=["1"]\n', CaseFormatError, "[a-z0-9-]+"),
    ('name = "t"\n', CaseFormatError, "missing required table [supports]"),
    ('name = "t"\n[supports\n', CaseFormatError, "invalid TOML"),
    (BASE + "[target]\nA = [[1, 2, 3]]\n", CaseFormatError, "needs 2 x 2"),
    (BASE + "[target]\nA = [[1, 2], [3, \"x\"]]\n", InvalidInputError, "not a number"),
    (BASE + "[target]\nA = [[1, 2], [3, nan]]\n", InvalidInputError, "not finite"),
    (BASE + "[expect]\ntractable = 1\n", CaseFormatError, "must be true or false"),
    (BASE + "[expect]\nfast = true\n", CaseFormatError, "unknown key 'expect.fast'"),
    ('name = "t"\n[supports]\nI=["12"]\nJ=["1"]\n', MaskError, "only 0 and 1"),
    ('name = "t"\n[supports]\nfamily="butterfly"\nn=12\n', CaseFormatError, "needs 'split'"),
    ('name = "t"\nkind="chain"\n[supports]\nfamily="butterfly"\nn=12\n', InvalidInputError,
     "power of two"),
    ('name = "t"\n[supports]\nfamily="lu"\nn=100000\n', InvalidInputError, "MAX_DENSE_ENTRIES"),
    ('name = "t"\nkind="chain"\n[supports]\nfamily="butterfly"\nn=8\nsplit=9\n',
     CaseFormatError, "makes a two-factor case"),
    ('name = "t"\n[supports]\nfamily="butterfly"\nn=8\nsplit=3\n', CaseFormatError,
     "must be in 1..2"),
    ('name = "t"\n[supports]\nfamily="hexagon"\n', CaseFormatError, "unknown family"),
    (BASE + '[target]\nfile = "missing.npy"\n', CaseFormatError, "not found"),
    (BASE + '[target]\ngenerator = "dft"\nn = 4\n', CaseFormatError, "needs 2 x 2"),
])
def test_bad_case_files_give_one_line_errors(tmp_path: Path, text: str, error: type,
                                             fragment: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(error) as info:
        load_case(p)
    msg = str(info.value)
    assert fragment in msg
    assert "\n" not in msg
    assert str(p) in msg


def test_json_case_and_relative_target_file(tmp_path: Path) -> None:
    import numpy as np

    np.save(tmp_path / "A.npy", np.eye(2))
    data = {"name": "j", "supports": {"I": ["10", "01"], "J": ["10", "01"]},
            "target": {"file": "A.npy"}, "expect": {"tractable": True}}
    p = write(tmp_path, json.dumps(data), "j.json")
    case = load_case(p)
    assert case.target.file == tmp_path / "A.npy"
    with pytest.raises(CaseFormatError, match="invalid JSON"):
        load_case(write(tmp_path, "{", "bad.json"))
    with pytest.raises(CaseFormatError, match="top level"):
        parse_case([1, 2])


def test_generator_targets_are_parsed() -> None:
    case = parse_case({"name": "g", "kind": "chain",
                       "supports": {"family": "butterfly", "n": 8},
                       "target": {"generator": "dft", "columns": "bitrev"}})
    assert case.target.generator == "dft" and case.target.is_exact
    assert dict(case.target.params)["n"] == 8 and dict(case.target.params)["columns"] == "bitrev"
    noisy = parse_case({"name": "g", "kind": "chain", "supports": {"family": "butterfly", "n": 8},
                        "target": {"generator": "random-butterfly", "entries": "integer",
                                   "noise": 0.01}})
    assert not noisy.target.is_exact


_SHIPPED_TEXTS = [p.read_text() for p in sorted(CASES.glob("*.toml"))]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(_SHIPPED_TEXTS), st.data())
def test_mutated_case_files_never_crash(tmp_path: Path, text: str, data) -> None:
    """Fuzz: random edits of shipped cases either load or raise a one-line InvalidInputError."""
    p = tmp_path / "fuzz.toml"
    p.write_text(mutate_text(text, data, list('01"[]=,.-x9\n{}') + ["1e9", "99999", "nan"]))
    try:
        load_case(p)
    except (InvalidInputError, ExactnessError) as exc:
        assert "\n" not in str(exc)

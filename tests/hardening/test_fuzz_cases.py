"""Fuzz the case-file reader and the commands that read cases (docs/reference/case-format.md, §4).

Three mutation families, all seeded from the shipped cases:

* JSON text edits (the TOML twin lives in ``tests/test_cases.py``);
* structured edits of the decoded case: a value replaced by a wrong type, a number beyond
  every size limit, a NaN/inf, a deep nesting, a key deleted or an unknown key added;
* deep nesting written straight into the text (JSON and TOML), deeper than Python's recursion
  limit.

The reader must either load the case or raise a one-line ``InvalidInputError`` /
``ExactnessError``; the CLI must exit 0/1/2/3 with exactly one ``Error:`` line for exit 2 and
never print a traceback.
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fsmf_check.inputs.cases import find_cases, load_case
from fsmf_check.errors import ExactnessError, InvalidInputError

from ..strategies import mutate_text
from ._util import CASES, assert_clean, run_cli

_FILES = find_cases([CASES])
_SEEDS: list[dict[str, Any]] = [
    tomllib.loads(p.read_text()) if p.suffix == ".toml" else json.loads(p.read_text())
    for p in _FILES]
# a few small cases with targets, cheap for every command (certify, solve, closedness)
_SMALL = [json.loads(json.dumps(s)) for s, p in zip(_SEEDS, _FILES, strict=True)
          if p.stem in ("e1-dto-singletons", "e2-eckart-young", "e3-complete-class",
                        "e4-lu-member", "hadamard-16", "dft-16-bitrev", "full-rank2-4x5",
                        "closed-cec-2x2", "butterfly-16-standard", "monarch-16")]

_DEEP = "__FSMF_DEEP__"

# values that are wrong for (almost) every key: wrong types, numbers beyond every limit
_BAD_VALUES = st.sampled_from([
    None, True, False, 0, -1, -(2**63), 2**25, 2**64, 10**30, 10**400, 1e308, -1e308,
    math.nan, math.inf, -math.inf, 0.5, "", "x", "1/0", "1e999", "nan", "0" * 5000,
    "\u00e9\u4e2d\U0001f600", [], [[]], [[], []], [1, "a"], [[1, 0], [0]], {}, {"a": 1},
    [[True, False]], [[0.5, 1]], [["10", "01"]], [None],
])


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys / indices) to a value inside a decoded case."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node[:6]):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _set(node: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _delete(node: Any, path: tuple) -> None:
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


@st.composite
def mutated_cases(draw, seeds: list[dict[str, Any]] = _SEEDS) -> str:
    """JSON text of a shipped case after 1-3 structured mutations."""
    case = json.loads(json.dumps(draw(st.sampled_from(seeds))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(case)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "add-key", "deep"]))
        if op == "replace":
            _set(case, path, copy.deepcopy(draw(_BAD_VALUES)))
        elif op == "delete":
            _delete(case, path)
        elif op == "add-key":
            parent = case
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(["colour", "I ", "N", "fam ily", ""]))] = 1
        else:
            _set(case, path, _DEEP)
    text = json.dumps(case)  # NaN / Infinity are valid for Python's json reader
    depth = draw(st.sampled_from([40, 100, 3000]))
    return text.replace(f'"{_DEEP}"', "[" * depth + "1" + "]" * depth)


def _load_or_one_line_error(path: Path) -> None:
    try:
        load_case(path)
    except (InvalidInputError, ExactnessError) as exc:
        message = str(exc)
        assert "\n" not in message and message.strip(), message
        assert str(path) in message or path.name in message, message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SEEDS), st.data())
def test_json_text_mutations_load_or_fail_in_one_line(tmp_path_factory, seed: dict,
                                                      data) -> None:
    text = mutate_text(json.dumps(seed), data, list('01"[]{}:,.-e9 \\') + [
        "1e999", "NaN", "-0", "null", "true", "99999999999"])
    path = tmp_path_factory.mktemp("fz") / "fuzz.json"
    path.write_text(text)
    _load_or_one_line_error(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases())
def test_structured_mutations_load_or_fail_in_one_line(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("fz") / "mut.json"
    path.write_text(text)
    _load_or_one_line_error(path)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_cases(_SMALL), st.sampled_from(["analyze", "certify", "closedness", "solve"]))
def test_commands_on_mutated_cases_exit_cleanly(tmp_path_factory, text: str,
                                                command: str) -> None:
    path = tmp_path_factory.mktemp("fz") / "mut.json"
    path.write_text(text)
    res = run_cli(command, path, "--json")
    assert_clean(res)
    if res.exit_code in (0, 1, 3):
        envelope = json.loads(res.stdout)
        assert envelope["schema"] == "fsmf-check/1" and envelope["command"] == command


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["I", "J", "A", "factors", "patterns", "blocks"]),
       st.sampled_from([30, 300, 5000]), st.sampled_from(["[", "{x="]),
       st.sampled_from([".toml", ".json"]))
def test_deep_nesting_in_the_text(tmp_path_factory, key: str, depth: int, opener: str,
                                  suffix: str) -> None:
    closer = "]" if opener == "[" else "}"
    value = opener * depth + "1" + closer * depth
    if suffix == ".json":
        value = value.replace("{x=", '{"x":')
        text = '{"name": "t", "supports": {"' + key + '": ' + value + ', "J": ["1"]}}'
    else:
        text = f'name = "t"\n[supports]\n{key} = {value}\nJ = ["1"]\n'
    path = tmp_path_factory.mktemp("deep") / f"deep{suffix}"
    path.write_text(text)
    assert_clean(run_cli("analyze", path))


_ENTRIES = st.one_of(st.integers(-5, 5), st.sampled_from(["1/2", "-3/4", "1+i", "2-i", "i"]),
                     st.sampled_from([0.5, -1.25, 2.0]))


@st.composite
def valid_cases(draw) -> dict[str, Any]:
    """A small valid two-factor case: random masks, optionally a random target."""
    m, n, r = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    bits = st.sampled_from("01")
    case: dict[str, Any] = {
        "name": "v",
        "supports": {"I": ["".join(draw(bits) for _ in range(r)) for _ in range(m)],
                     "J": ["".join(draw(bits) for _ in range(r)) for _ in range(n)]}}
    if draw(st.booleans()):
        entries = st.integers(-5, 5) if draw(st.booleans()) else _ENTRIES
        case["target"] = {"A": [[draw(entries) for _ in range(n)] for _ in range(m)]}
    return case


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_cases(), st.sampled_from(["analyze", "certify", "closedness", "solve"]))
def test_commands_on_random_valid_cases_exit_cleanly(tmp_path_factory, case: dict,
                                                     command: str) -> None:
    """Valid input never crashes; the JSON verdicts use the docs/reference/json-schema.md vocabularies."""
    path = tmp_path_factory.mktemp("valid") / "v.json"
    path.write_text(json.dumps(case))
    res = run_cli(command, path, "--json", *(["--no-qe"] if command == "closedness" else []))
    assert_clean(res)
    if res.exit_code in (0, 1, 3):
        results = json.loads(res.stdout)["results"]
        vocab = {"tractability": {"tractable", "not-certified"},
                 "closedness": {"closed", "not-closed", "unknown"},
                 "membership": {"member", "not-member", "undecided"},
                 "identifiability": {"identifiable", "not-identifiable", "undecided"},
                 "solve": {"optimal", "local"}}
        for question, result in results.items():
            assert result["verdict"] in vocab[question], (question, result["verdict"])
            assert {"theorem", "explanation", "exact"} <= set(result)

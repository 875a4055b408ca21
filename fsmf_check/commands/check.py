"""``fsmf-check check``: run cases and compare them with their ``[expect]`` blocks (SPEC §3-4).

Each expectation key is answered by the engine that proves it, through the same library
entry point the corresponding command uses, so ``check`` exercises exactly what users run:

=====================  ======================================================
key                    engine (command)
=====================  ======================================================
tractable, rule        analysis (``analyze``)
closed                 closedness (``closedness``)
member, identifiable   exact certificates (``certify``)
optimal_value,         numeric solver (``solve``); ``tolerance`` applies to
rel_error_max          ``optimal_value`` (default 1e-9, absolute + relative)
spurious_minimum       landscape certifier (``landscape``, 20 starts, seed 0)
=====================  ======================================================
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from fsmf_check.commands.outcome import EXIT_OK, EXIT_REFUTED, EXIT_USAGE, Outcome
from fsmf_check.inputs.cases import Case, display_path, find_cases, load_case
from fsmf_check.errors import ExactnessError, InvalidInputError
from fsmf_check.model.numbers import parse_entry

__all__ = ["check_case", "check_paths", "default_case_dir", "DEFAULT_TOLERANCE"]

DEFAULT_TOLERANCE = 1e-9


def default_case_dir() -> Path:
    """The shipped ``cases/`` folder: ``./cases`` if present, else the one beside the package."""
    here = Path.cwd() / "cases"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "cases"


def _analysis(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.commands.analyze import tractability_of_case

    return {"tractability": tractability_of_case(case)}


def _closedness(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.closedness.decide import decide_closedness

    return {"closedness": decide_closedness(case).to_dict()}


def _certify(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.commands.certify import certify_case

    return certify_case(case).results


def _solve(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.commands.solve import solve_case

    return solve_case(case).results


def _landscape(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.commands.landscape import landscape_of_case

    return {"landscape": landscape_of_case(case).to_dict()}


_ENGINES: dict[str, Callable[[Case], dict[str, dict[str, object]]]] = {
    "analysis": _analysis, "closedness": _closedness, "certify": _certify, "solve": _solve,
    "landscape": _landscape}
_KEY_ENGINE = {"tractable": "analysis", "rule": "analysis", "closed": "closedness",
               "member": "certify", "identifiable": "certify", "optimal_value": "solve",
               "rel_error_max": "solve", "spurious_minimum": "landscape"}
_VERDICT_BOOL = {"tractable": ("tractability", "tractable", "not-certified"),
                 "closed": ("closedness", "closed", "not-closed"),
                 "member": ("membership", "member", "not-member"),
                 "identifiable": ("identifiability", "identifiable", "not-identifiable"),
                 "spurious_minimum": ("landscape", "spurious-minimum", "not-applicable")}


def _compare(key: str, expected: object, results: dict[str, dict[str, object]],
             case: Case) -> tuple[bool, str]:
    if key in _VERDICT_BOOL:
        question, yes, no = _VERDICT_BOOL[key]
        verdict = results[question]["verdict"]
        got = {yes: True, no: False}.get(str(verdict))
        return got == expected, f"{key}: expected {str(expected).lower()}, got {verdict}"
    if key == "rule":
        got = results["tractability"].get("rule")
        return got == expected, f"rule: expected {expected}, got {got}"
    solve = results["solve"]
    if key == "rel_error_max":
        got = float(solve["rel_error"])  # type: ignore[arg-type]
        return got <= float(expected), f"rel_error: {got:.3e} (max {expected})"  # type: ignore[arg-type]
    # optimal_value
    tol = float(case.expect.get("tolerance", DEFAULT_TOLERANCE))  # type: ignore[arg-type]
    want = expected if isinstance(expected, int | float) else parse_entry(expected)
    got_raw = solve.get("objective_exact", solve["objective"])
    got = parse_entry(got_raw) if isinstance(got_raw, str) else got_raw
    ok = abs(complex(got) - complex(want)) <= tol * (1 + abs(complex(want)))  # type: ignore[arg-type]
    shown = str(want) if isinstance(want, Fraction) else f"{want}"
    return ok, f"optimal_value: expected {shown}, got {got_raw} (tolerance {tol:g})"


def check_case(case: Case) -> tuple[bool, list[str]]:
    """Evaluate every expectation of a case; return (all passed, one message per key)."""
    cache: dict[str, dict[str, dict[str, object]]] = {}
    passed = True
    messages = []
    for key in sorted(k for k in case.expect if k != "tolerance"):
        engine = _KEY_ENGINE[key]
        if engine not in cache:
            cache[engine] = _ENGINES[engine](case)
        ok, msg = _compare(key, case.expect[key], cache[engine], case)
        passed &= ok
        messages.append(("ok   " if ok else "FAIL ") + msg)
    return passed, messages


def check_paths(paths: list[Path], *, progress: bool = False) -> Outcome:  # noqa: C901
    """Run ``check`` over files and folders (default: the shipped cases) and summarize.

    Exit code 0 when every expectation holds, 1 when one fails (or a case has no [expect]
    block), 2 when a case file is invalid (all other cases are still run).
    """
    files = find_cases(paths or [default_case_dir()])
    if not files:
        msg = f"no case files (.toml/.json) found in {', '.join(map(str, paths)) or 'cases/'}"
        raise InvalidInputError(msg)
    lines, entries = [], []
    n_pass = n_fail = n_invalid = 0
    for path in files:
        start = time.perf_counter()
        try:
            case = load_case(path)
            if not case.expect:
                ok, msgs = False, ["FAIL case has no [expect] block"]
            else:
                ok, msgs = check_case(case)
            status = "pass" if ok else "fail"
        except (InvalidInputError, ExactnessError) as exc:
            ok, msgs, status = False, [f"invalid case: {exc}"], "invalid"
            n_invalid += 1
        elapsed = time.perf_counter() - start
        n_pass += ok
        n_fail += not ok
        shown = display_path(path)
        line = f"{'PASS' if ok else 'FAIL'} {shown} ({elapsed:.2f}s)"
        lines.append(line)
        lines.extend(f"    {m}" for m in msgs if not ok or m.startswith("FAIL"))
        if progress:
            print(line, file=sys.stderr, flush=True)
        entries.append({"path": shown, "status": status, "checks": msgs,
                        "elapsed_s": round(elapsed, 3)})
    lines.append(f"{n_pass} passed, {n_fail} failed")
    code = EXIT_USAGE if n_invalid else (EXIT_REFUTED if n_fail else EXIT_OK)
    result = {"verdict": "passed" if n_fail == 0 else "failed", "theorem": None,
              "explanation": f"{n_pass} of {len(files)} cases met every expectation.",
              "exact": True, "passed": n_pass, "failed": n_fail, "invalid": n_invalid,
              "cases": [{k: v for k, v in e.items() if k != "elapsed_s"} for e in entries]}
    return Outcome("check", {"check": result}, "\n".join(lines), code,
                   extra={"run": {"timings": {e["path"]: e["elapsed_s"] for e in entries}}})

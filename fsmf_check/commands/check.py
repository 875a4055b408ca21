"""``fsmf-check check``: run cases and compare them with their ``[expect]`` blocks.

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
from typing import Any

from fsmf_check.commands.outcome import (
    EXIT_OK,
    EXIT_REFUTED,
    EXIT_UNDECIDED,
    EXIT_USAGE,
    Outcome,
)
from fsmf_check.errors import (
    ExactnessError,
    InvalidInputError,
    NotApplicableError,
    SizeLimitError,
)
from fsmf_check.inputs.cases import Case, display_path, find_cases, load_case
from fsmf_check.model.numbers import parse_entry

__all__ = ["check_case", "check_paths", "default_case_dir", "DEFAULT_TOLERANCE"]

DEFAULT_TOLERANCE = 1e-9


def default_case_dir() -> Path:
    """Return the shipped ``cases/`` folder: ``./cases`` if present, else the package's own."""
    here = Path.cwd() / "cases"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "cases"


def _analysis(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.commands.analyze import tractability_of_case

    return {"tractability": tractability_of_case(case)}


def _closedness(case: Case) -> dict[str, dict[str, object]]:
    from fsmf_check.closure.decide import decide_closedness

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


def _compare(key: str, expected: object, results: dict[str, dict[str, Any]],
             case: Case) -> tuple[str, str]:
    """Compare one expectation; return (status, message), status ok | fail | undecided."""
    if key in _VERDICT_BOOL:
        question, yes, no = _VERDICT_BOOL[key]
        verdict = results[question]["verdict"]
        got = {yes: True, no: False}.get(str(verdict))
        msg = f"{key}: expected {str(expected).lower()}, got {verdict}"
        if got is None:
            return "undecided", msg + " (the tool could not decide)"
        return ("ok" if got == expected else "fail"), msg
    if key == "rule":
        got_rule = results["tractability"].get("rule")
        status = "ok" if got_rule == expected else "fail"
        return status, f"rule: expected {expected}, got {got_rule}"
    solve = results["solve"]
    if key == "rel_error_max":
        rel = float(solve["rel_error"])
        ok = rel <= float(expected)  # type: ignore[arg-type]
        return ("ok" if ok else "fail"), f"rel_error: {rel:.3e} (max {expected})"
    # optimal_value: only a proven optimum can confirm or refute it
    tol = float(case.expect.get("tolerance", DEFAULT_TOLERANCE))  # type: ignore[arg-type]
    want = expected if isinstance(expected, int | float) else parse_entry(expected)
    shown = str(want) if isinstance(want, Fraction) else f"{want}"
    if solve.get("verdict") != "optimal":
        return "undecided", (f"optimal_value: expected {shown}, but no optimum is proven for "
                             f"this case (the solver's answer is {solve.get('verdict')}: "
                             f"objective {solve.get('objective')}); if the set of products is "
                             "not closed, no optimum may exist (T5)")
    got_raw = solve.get("objective_exact", solve["objective"])
    got_val = parse_entry(got_raw) if isinstance(got_raw, str) else got_raw
    ok = abs(complex(got_val) - complex(want)) <= tol * (1 + abs(complex(want)))  # type: ignore[arg-type]
    return ("ok" if ok else "fail"), (f"optimal_value: expected {shown}, got {got_raw} "
                                      f"(tolerance {tol:g})")


def check_case(case: Case) -> tuple[str, list[str]]:
    """Evaluate every expectation of a case.

    Returns the case status (``pass``, ``fail`` when an expectation is refuted, ``undecided``
    when one cannot be evaluated and none is refuted) and one message per key. An engine that
    does not apply to a valid case (size limits, no exact target) makes its keys undecided with
    the reason; it never makes ``check`` fail with an internal error.
    """
    cache: dict[str, dict[str, dict[str, object]] | str] = {}
    statuses = []
    messages = []
    for key in sorted(k for k in case.expect if k != "tolerance"):
        engine = _KEY_ENGINE[key]
        if engine not in cache:
            try:
                cache[engine] = _ENGINES[engine](case)
            except (NotApplicableError, SizeLimitError, ExactnessError) as exc:
                cache[engine] = str(exc)
        got = cache[engine]
        if isinstance(got, str):
            status, msg = "undecided", f"{key}: cannot be evaluated: {got}"
        else:
            status, msg = _compare(key, case.expect[key], got, case)
        statuses.append(status)
        messages.append({"ok": "ok   ", "fail": "FAIL ", "undecided": "UNDEC "}[status] + msg)
    if "fail" in statuses:
        return "fail", messages
    return ("undecided" if "undecided" in statuses else "pass"), messages


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
    n_pass = n_fail = n_invalid = n_undecided = 0
    for path in files:
        start = time.perf_counter()
        try:
            case = load_case(path)
            if not case.expect:
                status, msgs = "fail", ["FAIL case has no [expect] block"]
            else:
                status, msgs = check_case(case)
        except (InvalidInputError, ExactnessError) as exc:
            status, msgs = "invalid", [f"invalid case: {exc}"]
            n_invalid += 1
        elapsed = time.perf_counter() - start
        n_pass += status == "pass"
        n_fail += status in ("fail", "invalid")
        n_undecided += status == "undecided"
        shown = display_path(path)
        label = {"pass": "PASS", "undecided": "UNDECIDED"}.get(status, "FAIL")
        line = f"{label} {shown} ({elapsed:.2f}s)"
        lines.append(line)
        lines.extend(f"    {m}" for m in msgs if status != "pass" or m.startswith("FAIL"))
        if progress:
            print(line, file=sys.stderr, flush=True)
        entries.append({"path": shown, "status": status, "checks": msgs,
                        "elapsed_s": round(elapsed, 3)})
    lines.append(f"{n_pass} passed, {n_fail} failed"
                 + (f", {n_undecided} undecided" if n_undecided else ""))
    if n_invalid:
        code = EXIT_USAGE
    elif n_fail:
        code = EXIT_REFUTED
    else:
        code = EXIT_UNDECIDED if n_undecided else EXIT_OK
    verdict = "failed" if n_fail else ("undecided" if n_undecided else "passed")
    result: dict[str, object] = {"verdict": verdict, "theorem": None,
              "explanation": f"{n_pass} of {len(files)} cases met every expectation.",
              "exact": True, "passed": n_pass, "failed": n_fail, "invalid": n_invalid,
              "undecided": n_undecided,
              "cases": [{k: v for k, v in e.items() if k != "elapsed_s"} for e in entries]}
    return Outcome("check", {"check": result}, "\n".join(lines), code,
                   extra={"run": {"timings": {e["path"]: e["elapsed_s"] for e in entries}}})

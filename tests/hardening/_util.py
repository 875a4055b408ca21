"""Shared helpers of the hardening suite: run the CLI in-process and judge the outcome.

The rule checked everywhere (docs/reference/cli.md): a command exits 0, 1 or 3 after running, or 2 for bad
input with exactly one ``Error: ...`` line on stderr; never a traceback, never exit 4
(internal error) on user input.

Every defect this suite found has a named regression test in ``test_regressions.py``.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from fsmf_check.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"


def run_cli(*args: str) -> Result:
    """Invoke ``fsmf-check ARGS`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def traced_peak(func: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``func`` under tracemalloc; return (its result, or the exception it raised; the
    peak of traced memory in bytes). Used to prove that sizes are refused before allocation."""
    tracemalloc.start()
    try:
        out = func()
    except Exception as exc:  # noqa: BLE001 - returned to the caller and asserted on
        out = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return out, peak


def assert_clean(result: Result) -> None:
    """Assert the docs/reference/cli.md contract for one run (see the module docstring)."""
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text[-2000:]
    assert result.exit_code in (0, 1, 2, 3), (
        f"exit {result.exit_code} (4 = internal error is a bug): {result.stderr[-1000:]}")
    if result.exit_code == 2:
        assert_one_error_line(result)


def assert_one_error_line(result: Result) -> str:
    """Exactly one non-empty stderr line, starting with ``Error: ``; return it."""
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]

"""Shared helpers of the hardening suite: run the CLI in-process and judge the outcome.

The rule checked everywhere (SPEC §4): a command exits 0, 1 or 3 after running, or 2 for bad
input with exactly one ``Error: ...`` line on stderr; never a traceback, never exit 4
(internal error) on user input.

``KNOWN_BUGS`` lists the stderr messages of exit-4 defects that were found by this suite and
reported to the owners of the code (each also has an ``xfail`` regression test in
``test_known_bugs.py``). The fuzz tests tolerate exactly these messages so that they keep
checking everything else; once a bug is fixed its strict ``xfail`` test starts to pass and
fails the suite, and the entry is removed from here.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner, Result

from fsmf_check.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"

#: Exit-4 messages of reported, not yet fixed defects (see test_known_bugs.py).
#: The exact engine's target-file reader (fsmf_check/exact/targets.py ``_from_file``) is
#: handled separately: see ``EXACT_FILE_READER_BUG``.
KNOWN_BUGS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    # deeply nested TOML arrays/tables: RecursionError escapes tomllib (cases.load_case)
    r"internal error: RecursionError",
    # truncated-butterfly 'outputs' list with non-integer items (families.truncated_butterfly)
    r"internal error: (TypeError|IndexError): .*(not supported between|only integers|"
    r"unhashable type|boolean index)",
    # every rank-one support empty: NotApplicableError escapes analyze / report
    r"NotApplicableError: every rank-one support is empty",
    # .npy header with a negative dimension; .mtx integer overflow; truncated .npy in the
    # exact engine's file reader
    r"internal error: ValueError: (read length must be non-negative|Failed to read all data)",
    r"internal error: OverflowError: Line \d+: Integer out of range",
    # .npy header with a bool dimension or unbalanced brackets (numeric reader)
    r"internal error: (TypeError: an integer is required|TokenError)",
    # .npy with a format version other than 1.0 / 2.0: private numpy helper is gone
    r"internal error: AttributeError: module 'numpy.lib.format' has no attribute",
    # finite entries so large that the numeric engine overflows (1e200, 10**400)
    r"internal error: (RuntimeWarning: overflow|OverflowError: integer division result too "
    r"large|RuntimeWarning: invalid value)",
    # an output path that cannot be written (parent is a file): OSError escapes
    r"internal error: (FileExistsError|NotADirectoryError|FileNotFoundError|PermissionError)",
))


#: ``certify`` reads target files with a bare ``np.load`` / ``mmread``: any malformed file
#: escapes as exit 4 (several exception types), and a header above the size limits is
#: allocated before it is checked. Reported; see test_known_bugs.py.
EXACT_FILE_READER_BUG = (r"internal error: \w+(Error|Exception|File)\b", r"out of memory")


def run_cli(*args: str) -> Result:
    """Invoke ``fsmf-check ARGS`` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def is_known_bug(result: Result, extra: tuple[str, ...] = ()) -> bool:
    """True when the run hit one of the reported defects in :data:`KNOWN_BUGS`.

    Also true for the reported ``check`` defect: an invalid case file makes ``check`` exit 2
    with the reason on stdout but no ``Error:`` line on stderr.
    """
    if result.exit_code == 2 and not result.stderr.strip() and "invalid case:" in result.stdout:
        return True
    patterns = (*KNOWN_BUGS, *(re.compile(p) for p in extra))
    return result.exit_code == 4 and any(p.search(result.stderr) for p in patterns)


def assert_clean(result: Result, *, allow_known: bool = True,
                 known: tuple[str, ...] = ()) -> None:
    """Assert the SPEC §4 contract for one run (see the module docstring).

    ``known`` adds test-specific patterns of reported defects to :data:`KNOWN_BUGS`.
    """
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text[-2000:]
    if allow_known and is_known_bug(result, known):
        return
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

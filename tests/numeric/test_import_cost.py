"""The default ``butterfly`` path imports no heavy library it does not use.

Start-up dominates small runs and is a fixed share of every ``fsmf-check butterfly`` process
(docs/benchmarks.md, side by side): sympy and flint belong to the exact engine, networkx to the
analysis graphs, matplotlib to the report pictures and scipy to sparse factors, factor files and
general supports; none of them is needed to factorize a generated matrix along the
square-dyadic chain, check the error and bound it (THEORY T7, T9).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sympy", "networkx", "flint", "matplotlib", "scipy")


def _loaded_after(call: str) -> list[str]:
    code = ("import sys\n"
            "from fsmf_check.cli import main\n"
            "from fsmf_check.commands.solve import butterfly_matrix\n"
            f"out = {call}\n"
            "assert out.results['solve']['exact_within_tolerance']\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    return eval(res.stdout.strip().splitlines()[-1])  # noqa: S307 - our own printed list


@pytest.mark.parametrize("call", [
    "butterfly_matrix('hadamard:16')",
    "butterfly_matrix('dft:16', bitrev_columns=True)",
    "butterfly_matrix('random-butterfly:16:3')",
])
def test_butterfly_path_imports_no_heavy_library(call: str) -> None:
    assert _loaded_after(call) == []


def test_cli_json_butterfly_imports_no_heavy_library() -> None:
    code = ("import sys, io, contextlib\n"
            "from fsmf_check.cli import cli\n"
            "buf = io.StringIO()\n"
            "try:\n"
            "    with contextlib.redirect_stdout(buf):\n"
            "        cli.main(['butterfly', 'hadamard:16', '--json', '--quiet'])\n"
            "except SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=True)
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_heavy_libraries_still_load_where_needed() -> None:
    # the lazy imports are real imports: a general support still reaches scipy.sparse
    from fsmf_check.model.supports import SupportPattern

    P = SupportPattern([[1, 0], [1, 1]], [[1, 1], [0, 1]])
    assert P.I.toarray().tolist() == [[1, 0], [1, 1]]

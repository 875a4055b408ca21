"""Every shipped case meets its recorded [expect] block (the README's main job)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fsmf_check.inputs.cases import find_cases, load_case
from fsmf_check.commands.check import check_case

CASES = Path(__file__).resolve().parent.parent / "cases"


@pytest.mark.parametrize("path", find_cases([CASES]), ids=lambda p: p.name)
def test_shipped_case_meets_expectations(path: Path) -> None:
    case = load_case(path)
    status, messages = check_case(case)
    assert status == "pass", "\n".join(messages)
    assert messages, "a shipped case must expect something"

"""Environment facts the exact engine relies on (EXACT_NOTES.md pitfall 4)."""

from __future__ import annotations

import flint
import sympy
from sympy.external.gmpy import GROUND_TYPES


def test_sympy_uses_flint_ground_types() -> None:
    # python-flint is pinned >=0.9,<0.11 so sympy keeps flint ground types (QQ(1,3) is fmpq)
    assert GROUND_TYPES == "flint"
    assert type(sympy.QQ(1, 3)).__name__ == "fmpq"
    major, minor = (int(x) for x in flint.__version__.split(".")[:2])
    assert (major, minor) >= (0, 9) and (major, minor) < (0, 11)

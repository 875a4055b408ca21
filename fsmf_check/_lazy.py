"""Names of a package imported on first use (PEP 562), so that importing it stays light."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, names: dict[str, str], namespace: dict[str, Any],
               public: list[str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return a module's ``__getattr__`` and ``__dir__`` that import ``names`` on first use.

    ``names`` maps an attribute to the module that defines it; the imported value is cached in
    ``namespace`` (the package's globals), so each name is imported once.

    Examples
    --------
    >>> ns: dict = {}
    >>> get, _ = lazy_names("demo", {"Fraction": "fractions"}, ns, ["Fraction"])
    >>> get("Fraction").__name__, "Fraction" in ns
    ('Fraction', True)
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            msg = f"module {package!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__

"""The package's layering, enforced on the import statements of every module.

Units and their levels (lower levels never import higher ones)::

    base (errors, _version, verdicts, _limits, files,
          _lazy)                                         0
    model                                                1
    inputs                                               2
    engines: analysis, closure, exact, numeric,
             landscape, sweep                            3
    commands                                             4
    report                                               5
    api, cli, __main__                                   6

``verify`` checks certificates independently: it may import base and model only. ``exact``
never imports ``numeric``. Imports inside functions count. The package root
(``fsmf_check/__init__.py``) is the public facade: nothing inside the package imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PKG = Path(__file__).resolve().parents[1] / "fsmf_check"
BASE = {"errors", "_version", "verdicts", "_limits", "files", "_lazy"}
ENGINES = {"analysis", "closure", "exact", "numeric", "landscape", "sweep"}
LEVEL = {"base": 0, "model": 1, "inputs": 2, **dict.fromkeys(ENGINES, 3), "commands": 4,
         "report": 5, "api": 6, "cli": 6, "__main__": 6, "verify": 1}
THIRD_PARTY_HOMES = {
    "click": {"cli.py"},
    "matplotlib": {"report"},
    "networkx": {"analysis", "closure", "sweep"},
    "flint": {"exact/_flint.py", "landscape/intervals.py", "numeric/_arb.py"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _unit(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "ROOT"
    head = parts[1]
    return "base" if head in BASE else head


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Absolute names imported by a module (every import statement, nested ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[: len(base) - node.level + 1]
                name = ".".join(prefix + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((name, node.lineno))
            out += [(f"{name}.{a.name}", node.lineno) for a in node.names]
    return out


MODULES = _modules()


def _edges() -> list[tuple[str, str, str]]:
    edges = []
    for mod, path in MODULES.items():
        for name, line in _imports(mod, path):
            if not name.startswith("fsmf_check"):
                continue
            target = name
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target == mod:
                continue
            edges.append((mod, target, f"{path.relative_to(PKG.parent)}:{line}"))
    return edges


EDGES = _edges()


def test_every_module_is_in_a_known_unit() -> None:
    units = {_unit(m) for m in MODULES} - {"ROOT"}
    assert units <= set(LEVEL), sorted(units - set(LEVEL))


def test_nothing_inside_the_package_imports_the_facade() -> None:
    bad = [w for a, b, w in EDGES if b == "fsmf_check" and a != "fsmf_check"]
    assert bad == []


def test_imports_go_one_way() -> None:
    bad = []
    for a, b, where in EDGES:
        ua, ub = _unit(a), _unit(b)
        if "ROOT" in (ua, ub) or ua == ub:
            continue
        if ua == "verify":
            if ub not in ("base", "model"):
                bad.append(f"{where}: verify imports {b}")
        elif ub == "verify" and ua not in ("commands", "report", "api", "cli"):
            bad.append(f"{where}: {ua} imports the independent checker {b}")
        elif LEVEL[ub] > LEVEL[ua]:
            bad.append(f"{where}: {ua} (level {LEVEL[ua]}) imports {ub} (level {LEVEL[ub]})")
        elif ua == "exact" and ub == "numeric":
            bad.append(f"{where}: the exact engine imports the numeric engine")
    assert bad == []


def test_no_cycle_between_units() -> None:
    graph = nx.DiGraph()
    for a, b, _ in EDGES:
        ua, ub = _unit(a), _unit(b)
        if ua != ub and "ROOT" not in (ua, ub):
            graph.add_edge(ua, ub)
    assert list(nx.simple_cycles(graph)) == []


@pytest.mark.parametrize("lib", sorted(THIRD_PARTY_HOMES))
def test_third_party_libraries_stay_in_their_modules(lib: str) -> None:
    homes = THIRD_PARTY_HOMES[lib]
    bad = []
    for mod, path in MODULES.items():
        rel = path.relative_to(PKG).as_posix()
        allowed = any(rel == h or rel.startswith(h + "/") for h in homes)
        for name, line in _imports(mod, path):
            if (name == lib or name.startswith(lib + ".")) and not allowed:
                bad.append(f"{rel}:{line}")
    assert bad == []


def test_nested_and_relative_imports_are_seen(tmp_path: Path) -> None:
    pkg = tmp_path / "fsmf_check" / "exact"
    pkg.mkdir(parents=True)
    mod = pkg / "planted.py"
    mod.write_text("def f():\n    from ..numeric import hierarchical\n    return hierarchical\n")
    names = [n for n, _ in _imports("fsmf_check.exact.planted", mod)]
    assert "fsmf_check.numeric.hierarchical" in names
    assert _unit("fsmf_check.verify.certificates") == "verify"
    assert _unit("fsmf_check.files") == "base"

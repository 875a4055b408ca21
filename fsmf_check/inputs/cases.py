r"""Case files: TOML or JSON descriptions of a support pattern, a target and expectations.

A case names a two-factor pattern (explicit masks ``I``/``J`` or a generator family, or one
split of a chain) or a chain (a family, Kronecker ``patterns`` or explicit ``factors``), an
optional ``[target]`` and an optional ``[expect]`` block that ``fsmf-check check`` compares.
Unknown keys are errors naming the key and the file; exact target entries are parsed without
loss (integers, ``"p/q"``, Gaussian ``"a+bi"``).

Target keys: ``A`` (rows of entries) | ``generator`` (``dft``, ``hadamard``,
``random-butterfly``, ``random-in-support``) with ``n``, ``seed``, ``entries``
(``gaussian`` | ``integer``), ``noise`` (float, numeric only), ``columns`` (``natural`` |
``bitrev``: the DFT with bit-reversed columns is exactly a butterfly product, docs/theory.md §1;
``auto``: ``certify`` searches the column permutation exactly, docs/permutations.md) |
``file`` (``.npy``/``.npz``/``.mtx``, relative to the case file). ``columns = "auto"`` is also
allowed with ``A`` and ``file``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from fsmf_check._limits import MAX_CASE_BYTES, check_dense
from fsmf_check.errors import CaseFormatError, FsmfError, InvalidInputError
from fsmf_check.model import families
from fsmf_check.model.numbers import ExactScalar, parse_entry
from fsmf_check.model.supports import Chain, SupportPattern

__all__ = ["Case", "TargetSpec", "load_case", "parse_case", "as_case", "find_cases", "display_path",
           "EXPECT_KEYS", "TARGET_GENERATORS"]

_NAME_RE = re.compile(r"^[a-z0-9-]+$")
_TOP_KEYS = {"name", "description", "source", "kind", "supports", "target", "expect"}
_KINDS = ("two-factor", "chain")
TARGET_GENERATORS = ("dft", "hadamard", "random-butterfly", "random-in-support")
_TARGET_KEYS = {"A", "generator", "n", "seed", "entries", "noise", "columns", "file", "order"}
EXPECT_KEYS = {"tractable", "rule", "closed", "member", "identifiable", "optimal_value",
               "tolerance", "rel_error_max", "spurious_minimum"}

# family -> (allowed keys besides "family", kinds it can produce)
_FAMILIES: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "lu": ({"n"}, ("two-factor",)),
    "full": ({"m", "n", "r"}, ("two-factor",)),
    "block-diagonal": ({"blocks"}, ("two-factor",)),
    "random": ({"m", "n", "r", "density", "seed"}, ("two-factor",)),
    "butterfly": ({"n", "order", "split"}, _KINDS),
    "kronecker": ({"patterns", "split"}, _KINDS),
    "deformable": ({"tuples", "split"}, _KINDS),
    "monarch": ({"b", "d", "k", "c", "rank", "m", "split"}, _KINDS),
    "monarch-pair": ({"b", "d", "k", "c", "rank", "m", "split"}, _KINDS),
    "kaleidoscope": ({"n", "w", "split"}, _KINDS),
    "truncated-butterfly": ({"n", "outputs", "split"}, _KINDS),
}


@dataclass(frozen=True)
class TargetSpec:
    """The ``[target]`` of a case, parsed but not materialized.

    ``entries`` holds exact scalars (Fraction / GaussianRational) when ``is_exact`` is True,
    otherwise Python floats/complex. Generators and files are materialized by the numeric
    (``fsmf_check.numeric``) or exact (``fsmf_check.exact``) engine.
    """

    kind: str
    shape: tuple[int, int]
    entries: tuple[tuple[ExactScalar | float | complex, ...], ...] | None = None
    is_exact: bool = False
    generator: str | None = None
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    file: Path | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (no entries)."""
        out: dict[str, object] = {"kind": self.kind, "shape": list(self.shape),
                                  "exact": self.is_exact}
        if self.generator:
            out["generator"] = self.generator
            out["params"] = dict(self.params)
        if self.file:
            out["file"] = self.file.name
        return out


@dataclass(frozen=True)
class Case:
    """A parsed case file. ``pattern`` is set for two-factor cases, ``chain`` for chains.

    For a two-factor case made from a chain split, ``chain`` and ``split`` are also set.
    """

    name: str
    description: str
    source: str | None
    path: Path | None
    kind: str
    pattern: SupportPattern | None
    chain: Chain | None
    family: str | None
    params: MappingProxyType
    target: TargetSpec | None
    expect: MappingProxyType
    order: str = "standard"
    split: int | None = None

    @property
    def shape(self) -> dict[str, int]:
        """JSON ``shape``: m, n and r (two-factor) or the number of factors (chain)."""
        if self.pattern is not None:
            return {"m": self.pattern.m, "n": self.pattern.n, "r": self.pattern.r}
        assert self.chain is not None
        m, n = self.chain.shape
        return {"m": m, "n": n, "factors": self.chain.n_factors}

    def input_files(self) -> list[Path]:
        """Return the files this case reads: the case file and its target file, if any."""
        files = [self.path] if self.path is not None else []
        if self.target is not None and self.target.file is not None:
            files.append(self.target.file)
        return files

    def case_ref(self) -> dict[str, object]:
        """docs/reference/json-schema.md ``case`` object."""
        return {"name": self.name, "source": display_path(self.path)}


def display_path(path: Path | None) -> str | None:
    """``path`` relative to the working directory when it lies below it, else as given."""
    if path is None:
        return None
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def find_cases(paths: list[Path]) -> list[Path]:
    """Expand files and directories into a sorted list of ``.toml``/``.json`` case files."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".toml", ".json")
                              and q.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            msg = f"{p}: no such file or directory"
            raise InvalidInputError(msg)
    return out


def load_case(path: Path | str) -> Case:
    r"""Read and validate a case file (``.toml`` or ``.json``).

    Raises
    ------
    CaseFormatError
        Malformed file, unknown key, missing key or wrong type (one line, names file and key).
    InvalidInputError
        Any other invalid content (bad masks, shapes, sizes), prefixed with the file name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> text = ('name = "e1"\nkind = "two-factor"\n[supports]\n'
    ...         'I = ["10", "01"]\nJ = ["10", "01"]\n')
    >>> _ = (d / "c.toml").write_text(text)
    >>> load_case(d / "c.toml").pattern.shape
    (2, 2, 2)
    >>> _ = (d / "bad.toml").write_text('name = "e1"\nkind = "two-factor"\ncolour = 1\n')
    >>> load_case(d / "bad.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.CaseFormatError: .../bad.toml: unknown key 'colour' (allowed: ...)
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such case file"
        raise InvalidInputError(msg)
    size = path.stat().st_size
    if size > MAX_CASE_BYTES:
        msg = f"file is {size} bytes, above MAX_CASE_BYTES = {MAX_CASE_BYTES}"
        raise CaseFormatError(msg, path=path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        msg = "file is not valid UTF-8"
        raise CaseFormatError(msg, path=path) from None
    depth = _bracket_depth(text, toml=path.suffix == ".toml")
    if depth > MAX_NESTING:
        msg = (f"arrays/tables are nested {depth} levels deep, above "
               f"MAX_NESTING = {MAX_NESTING}")
        raise CaseFormatError(msg, path=path)
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = f"invalid TOML: {exc}"
            raise CaseFormatError(msg, path=path) from None
        except RecursionError:
            msg = "invalid TOML: nested too deeply"
            raise CaseFormatError(msg, path=path) from None
        except ValueError as exc:  # Python's int-string limit (4300 digits)
            msg = f"invalid TOML: {_int_limit_message(exc)}"
            raise CaseFormatError(msg, path=path) from None
    elif path.suffix == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = f"invalid JSON: {str(exc).splitlines()[0]}"
            raise CaseFormatError(msg, path=path) from None
        except ValueError as exc:
            msg = f"invalid JSON: {_int_limit_message(exc)}"
            raise CaseFormatError(msg, path=path) from None
    else:
        msg = "case files must end in .toml or .json"
        raise CaseFormatError(msg, path=path)
    return parse_case(data, path=path)


def parse_case(data: object, *, path: Path | None = None) -> Case:
    """Validate an already-decoded case mapping (see :func:`load_case`)."""
    try:
        return _parse_case(data, path)
    except CaseFormatError:
        raise
    except FsmfError as exc:
        prefix = f"{path}: " if path is not None else ""
        raise type(exc)(prefix + str(exc)) if isinstance(exc, InvalidInputError) else exc
    except RecursionError:
        msg = "structure is nested too deeply"
        raise CaseFormatError(msg, path=path) from None


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """JSON object hook: a key given twice is an error (TOML refuses it too)."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            msg = f"duplicate key {key!r} in a JSON object"
            raise ValueError(msg)
        out[key] = value
    return out


def _int_limit_message(exc: ValueError) -> str:
    text = str(exc)
    if "4300" in text or "int_max_str_digits" in text:
        return ("an integer has more digits than Python's int-string limit "
                f"({sys.get_int_max_str_digits()} digits); give it as a smaller number")
    return " ".join(text.split())


#: Deepest bracket nesting accepted in a case file (masks need 2 levels, factor lists 3).
MAX_NESTING = 32
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'')
_COMMENT = re.compile(r"#[^\n]*")


def _bracket_depth(text: str, toml: bool = False) -> int:
    """Deepest nesting of ``[``/``{`` outside quoted strings and TOML comments.

    Checked before any parser runs, so a hostile file never reaches a recursive parser; an
    unbalanced file is the parser's to refuse.

    Examples
    --------
    >>> _bracket_depth('a = [[1], "[[["] # [[[[', toml=True)
    2
    """
    text = _QUOTED.sub("", text)
    if toml:
        text = _COMMENT.sub("", text)
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    step = np.isin(raw, (ord("["), ord("{"))).astype(np.int64)
    step -= np.isin(raw, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


def _err(path: Path | None, message: str, key: str | None = None) -> CaseFormatError:
    return CaseFormatError(message, path=path, key=key)


def _table(data: dict, key: str, path: Path | None, required: bool = False) -> dict | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _err(path, f"missing required table [{key}]", key)
        return None
    if not isinstance(value, dict):
        raise _err(path, f"key '{key}' must be a table, got {type(value).__name__}", key)
    return value


def _check_keys(table: dict, allowed: set[str], path: Path | None, where: str) -> None:
    for key in table:
        if key not in allowed:
            shown = ", ".join(sorted(allowed))
            full = f"{where}{key}"
            text = f"'{full}'" if full.isprintable() else repr(full)  # one line, always
            raise _err(path, f"unknown key {text} (allowed: {shown})", key)


def _int(table: dict, key: str, path: Path | None, where: str, default: int | None = None,
         minimum: int = 1) -> int:
    if key not in table:
        if default is None:
            raise _err(path, f"missing required key '{where}{key}'", key)
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(path, f"key '{where}{key}' must be an integer, got {value!r}", key)
    if value < minimum:
        raise _err(path, f"key '{where}{key}' must be >= {minimum}, got {value}", key)
    return value


def _str(table: dict, key: str, path: Path | None, where: str, choices: tuple[str, ...] | None,
         default: str | None = None) -> str | None:
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, str):
        raise _err(path, f"key '{where}{key}' must be a string, got {value!r}", key)
    if choices is not None and value not in choices:
        raise _err(path, f"key '{where}{key}' must be one of {', '.join(choices)}; got {value!r}",
                   key)
    return value


def _parse_case(data: object, path: Path | None) -> Case:
    if not isinstance(data, dict):
        raise _err(path, "a case must be a table/object at the top level")
    _check_keys(data, _TOP_KEYS, path, "")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _err(path, f"key 'name' is required and must match [a-z0-9-]+; got {name!r}", "name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _err(path, "key 'description' must be a string", "description")
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise _err(path, "key 'source' must be a string", "source")
    kind = _str(data, "kind", path, "", _KINDS, default="two-factor")
    supports = _table(data, "supports", path, required=True)
    assert kind is not None and supports is not None  # kind has a default, supports is required
    pattern, chain, family, params, order, split = _parse_supports(supports, kind, path)
    target_tab = _table(data, "target", path)
    shape = (pattern.m, pattern.n) if pattern is not None else chain.shape  # type: ignore[union-attr]
    target = _parse_target(target_tab, shape, path) if target_tab is not None else None
    expect_tab = _table(data, "expect", path) or {}
    expect = _parse_expect(expect_tab, path)
    return Case(name=name, description=description, source=source, path=path, kind=kind,
                pattern=pattern, chain=chain, family=family,
                params=MappingProxyType(params), target=target,
                expect=MappingProxyType(expect), order=order, split=split)


def _parse_supports(sup: dict, kind: str, path: Path | None):  # noqa: ANN202
    where = "supports."
    family = sup.get("family")
    if family is None:
        if "patterns" in sup:
            family = "kronecker"
        elif kind == "two-factor":
            _check_keys(sup, {"I", "J"}, path, where)
            if "I" not in sup or "J" not in sup:
                raise _err(path, "two-factor supports need 'I' and 'J' (or a 'family')", "I")
            return SupportPattern(sup["I"], sup["J"]), None, None, {}, "standard", None
        else:
            _check_keys(sup, {"factors"}, path, where)
            facs = sup.get("factors")
            if not isinstance(facs, list) or not facs:
                raise _err(path, "chain supports need 'factors', 'patterns' or a 'family'",
                           "factors")
            return None, Chain(facs), None, {}, "standard", None
    if not isinstance(family, str) or family not in _FAMILIES:
        raise _err(path, f"unknown family {family!r} (known: {', '.join(sorted(_FAMILIES))})",
                   "family")
    allowed, kinds = _FAMILIES[family]
    _check_keys(sup, allowed | {"family"}, path, where)
    if kind not in kinds:
        raise _err(path, f"family '{family}' cannot make a {kind} case", "kind")
    params = {k: v for k, v in sup.items() if k != "family"}
    split = None
    if "split" in sup:
        if kind != "two-factor":
            raise _err(path, "'split' makes a two-factor case: set kind = \"two-factor\"", "split")
        split = _int(sup, "split", path, where)
    elif kind == "two-factor" and family in ("butterfly", "kronecker", "deformable",
                                              "kaleidoscope", "truncated-butterfly"):
        raise _err(path, f"family '{family}' with kind = \"two-factor\" needs 'split'", "split")
    order = _str(sup, "order", path, where, ("standard", "reversed"), default="standard")
    assert order is not None
    if family == "lu":
        return families.lu(_int(sup, "n", path, where)), None, family, params, order, None
    if family == "full":
        pat = families.full(*(_int(sup, k, path, where) for k in ("m", "n", "r")))
        return pat, None, family, params, order, None
    if family == "block-diagonal":
        blocks = sup.get("blocks")
        if not isinstance(blocks, list):
            raise _err(path, "key 'supports.blocks' must be a list of [m, n, r]", "blocks")
        return families.block_diagonal(blocks), None, family, params, order, None
    if family == "random":
        density = sup.get("density", 0.3)
        if isinstance(density, bool) or not isinstance(density, int | float):
            raise _err(path, f"key 'supports.density' must be a number, got {density!r}",
                       "density")
        m, n, r = (_int(sup, k, path, where) for k in ("m", "n", "r"))
        pat = families.random_pattern(m, n, r, density=float(density),
                                      seed=_int(sup, "seed", path, where, 0, minimum=0))
        return pat, None, family, params, order, None
    chain = _chain_family(family, sup, path, where, order)
    if split is not None:
        if not 0 < split < chain.n_factors:
            raise _err(path, f"key 'supports.split' must be in 1..{chain.n_factors - 1} for a "
                       f"chain of {chain.n_factors} factors; got {split}", "split")
        return chain.split(split), chain, family, params, order, split
    return None, chain, family, params, order, None


def _chain_family(family: str, sup: dict, path: Path | None, where: str, order: str) -> Chain:
    if family == "butterfly":
        return families.butterfly(_int(sup, "n", path, where, minimum=2), order)
    if family == "kronecker":
        pats = sup.get("patterns")
        if not isinstance(pats, list) or not pats:
            raise _err(path, "key 'supports.patterns' must be a non-empty list of [a,b,c,d]",
                       "patterns")
        return families.kronecker_chain(pats)
    if family == "deformable":
        tuples = sup.get("tuples")
        if not isinstance(tuples, list) or not tuples:
            raise _err(path, "key 'supports.tuples' must be a list of [a,b,c,d,p,q]", "tuples")
        return families.deformable_chain(tuples)
    if family in ("monarch", "monarch-pair"):
        if "m" in sup:
            return families.monarch(_int(sup, "m", path, where), rank=_int(sup, "rank", path,
                                                                            where, 1))
        b = _int(sup, "b", path, where)
        d, k, c = (_int(sup, key, path, where, b) for key in ("d", "k", "c"))
        return families.monarch(b, d, k, c, rank=_int(sup, "rank", path, where, 1))
    if family == "kaleidoscope":
        return families.kaleidoscope(_int(sup, "n", path, where, minimum=2),
                                     _int(sup, "w", path, where, 1))
    outputs = sup.get("outputs")
    if isinstance(outputs, bool) or not isinstance(outputs, int | list):
        raise _err(path, "key 'supports.outputs' must be a count or a list of indices", "outputs")
    return families.truncated_butterfly(_int(sup, "n", path, where, minimum=2), outputs).chain


def _parse_target(tab: dict, shape: tuple[int, int], path: Path | None) -> TargetSpec:
    where = "target."
    _check_keys(tab, _TARGET_KEYS, path, where)
    given = [k for k in ("A", "generator", "file") if k in tab]
    if len(given) != 1:
        raise _err(path, "[target] needs exactly one of 'A', 'generator' or 'file'", "target")
    m, n = shape
    auto = _columns_auto(tab, path, where)
    if "A" in tab:
        extra = set(tab) - {"A", "columns"}
        if extra:
            raise _err(path, f"key 'target.{sorted(extra)[0]}' is not allowed with 'A'",
                       sorted(extra)[0])
        rows = tab["A"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            raise _err(path, "key 'target.A' must be a non-empty list of rows", "A")
        check_dense("target A", len(rows), max(len(r) for r in rows))
        if len(rows) != m or any(len(r) != n for r in rows):
            widths = sorted({len(r) for r in rows})
            raise _err(path, f"target A has shape {len(rows)} x {widths} but the pattern "
                       f"needs {m} x {n}", "A")
        entries = tuple(tuple(parse_entry(v, f"target A[{i}][{j}]") for j, v in enumerate(r))
                        for i, r in enumerate(rows))
        exact = all(not isinstance(v, float | complex) for r in entries for v in r)
        return TargetSpec("explicit", (m, n), entries=entries, is_exact=exact, params=auto)
    if "file" in tab:
        extra = set(tab) - {"file", "columns"}
        if extra:
            raise _err(path, f"key 'target.{sorted(extra)[0]}' is not allowed with 'file'",
                       sorted(extra)[0])
        fname = tab["file"]
        if not isinstance(fname, str):
            raise _err(path, "key 'target.file' must be a string path", "file")
        fpath = (path.parent / fname) if path is not None else Path(fname)
        if fpath.suffix not in (".npy", ".npz", ".mtx"):
            raise _err(path, f"target file {fname!r} must be .npy, .npz or .mtx", "file")
        if not fpath.is_file():
            raise _err(path, f"target file {fname!r} not found (relative to the case file)",
                       "file")
        return TargetSpec("file", (m, n), file=fpath, params=auto)
    gen = _str(tab, "generator", path, where, TARGET_GENERATORS)
    params: dict[str, Any] = {}
    params["n"] = _int(tab, "n", path, where, default=n)
    if gen != "random-in-support" and (m != n or params["n"] != n):
        raise _err(path, f"generator '{gen}' makes an n x n matrix with n = {params['n']}; the "
                   f"pattern needs {m} x {n}", "n")
    params["seed"] = _int(tab, "seed", path, where, default=0, minimum=0)
    params["entries"] = _str(tab, "entries", path, where, ("gaussian", "integer"),
                             default="gaussian")
    params["columns"] = _str(tab, "columns", path, where, ("natural", "bitrev", "auto"),
                             default="natural")
    params["order"] = _str(tab, "order", path, where, ("standard", "reversed"),
                           default="standard")
    noise = tab.get("noise", 0.0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise < 1e6:
        raise _err(path, f"key 'target.noise' must be a number >= 0, got {noise!r}", "noise")
    params["noise"] = float(noise)
    exact = gen in ("dft", "hadamard") or params["entries"] == "integer"
    if params["noise"] > 0:
        exact = False
    return TargetSpec("generator", (m, n), is_exact=exact, generator=gen,
                      params=MappingProxyType(params))


def _columns_auto(tab: dict, path: Path | None, where: str) -> MappingProxyType:
    """``columns = "auto"`` with ``A`` or ``file``: the only ``columns`` value allowed there."""
    if "generator" in tab or "columns" not in tab:
        return MappingProxyType({})
    _str(tab, "columns", path, where, ("auto",))
    return MappingProxyType({"columns": "auto"})


def _parse_expect(tab: dict, path: Path | None) -> dict[str, object]:
    _check_keys(tab, EXPECT_KEYS, path, "expect.")
    for key in ("tractable", "closed", "member", "identifiable", "spurious_minimum"):
        if key in tab and not isinstance(tab[key], bool):
            raise _err(path, f"key 'expect.{key}' must be true or false", key)
    if "rule" in tab and tab["rule"] not in ("disjoint-or-identical", "cec-reduction"):
        raise _err(path, "key 'expect.rule' must be 'disjoint-or-identical' or 'cec-reduction'",
                   "rule")
    if "optimal_value" in tab:
        value = tab["optimal_value"]
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _err(path, "key 'expect.optimal_value' must be an exact string or a number",
                       "optimal_value")
        if isinstance(value, str):
            parse_entry(value, "expect.optimal_value")
    for key in ("tolerance", "rel_error_max"):
        if key in tab and (isinstance(tab[key], bool) or not isinstance(tab[key], int | float)
                           or not 0 <= tab[key] < float("inf")):
            raise _err(path, f"key 'expect.{key}' must be a finite non-negative number", key)
    value = tab.get("optimal_value")
    if isinstance(value, float) and not math.isfinite(value):
        raise _err(path, "key 'expect.optimal_value' must be finite", "optimal_value")
    return dict(tab)



def as_case(case: object) -> Case:
    """Return ``case`` itself, or the case loaded from a case-file path (str or Path).

    Every command entry point accepts either, so a path never reaches code that expects a
    parsed case.

    Raises
    ------
    InvalidInputError
        If ``case`` is neither a Case nor a path (one line naming the type).

    Examples
    --------
    >>> as_case(3)
    Traceback (most recent call last):
    ...
    fsmf_check.errors.InvalidInputError: expected a Case or the path of a case file; got int
    """
    if isinstance(case, Case):
        return case
    if isinstance(case, str | Path):
        return load_case(case)
    msg = f"expected a Case or the path of a case file; got {type(case).__name__}"
    raise InvalidInputError(msg)

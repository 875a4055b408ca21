r"""Sweep files: which family of two-factor supports to classify, and which questions to ask.

A sweep file is a TOML table (docs/howto/run-a-sweep.md)::

    name = "two-factor-2x2x2"
    kind = "two-factor"
    questions = ["tractability", "closedness"]
    [enumerate]
    shape = [2, 2, 2]            # m, r, n
    symmetry = "permutations"    # or "none" (default)

or, instead of ``[enumerate]``, ``[sample]`` with ``shape``, ``count``, ``seed`` and
``density``. Both may name ``target = "planted" | "integer"`` (needed by ``membership``);
``[landscape]`` sets the numeric search (``n_starts``, ``max_iter``, ``seed``).

``kind = "chain"`` sweeps sample random chains (:mod:`fsmf_check.sweep.chains`)::

    name = "chains"
    kind = "chain"
    questions = ["tractability", "closedness", "membership", "identifiability"]
    [sample]
    family = "explicit"          # or "kronecker" (with ranges a, b, c, d and chainable)
    factors = [2, 4]             # number of factors, inclusive range (or one integer)
    dims = [1, 3]                # every dimension of the chain, inclusive range
    density = 0.6
    count = 100
    seed = 0
    target = "planted"           # or "integer"; needed by membership and identifiability

Every error is one :class:`~fsmf_check.errors.CaseFormatError` or
:class:`~fsmf_check.errors.SizeLimitError` line naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from fsmf_check._limits import (
    MAX_FILE_BYTES,
    MAX_SWEEP_CASES,
    MAX_SWEEP_CHAIN_CASES,
    MAX_SWEEP_CHAIN_DIM,
    MAX_SWEEP_CHAIN_FACTORS,
)
from fsmf_check.errors import CaseFormatError, SizeLimitError

__all__ = ["QUESTIONS", "CHAIN_QUESTIONS", "TARGETS", "CHAIN_FAMILIES", "SweepSpec",
           "load_sweep", "parse_sweep"]

#: The questions a sweep can ask, in the order they are answered and written.
QUESTIONS = ("tractability", "closedness", "membership", "identifiability", "landscape")
#: Target generators: ``planted`` (A = X Y^T with integer factors in [-3, 3] on the supports,
#: so A is a member) and ``integer`` (every entry an integer in [-3, 3]).
TARGETS = ("none", "planted", "integer")
#: The questions a chain sweep can ask (no numeric landscape for chains).
CHAIN_QUESTIONS = ("tractability", "closedness", "membership", "identifiability")
#: Random chain families: explicit 0/1 masks, or Kronecker patterns ``(a, b, c, d)``.
CHAIN_FAMILIES = ("explicit", "kronecker")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TOP = {"name", "description", "kind", "questions", "qe", "enumerate", "sample", "landscape"}
_ENUM = {"shape", "symmetry", "target", "seed"}
_SAMPLE = {"shape", "count", "seed", "density", "target"}
_LANDSCAPE = {"n_starts", "max_iter", "seed"}
_CHAIN_TOP = {"name", "description", "kind", "questions", "qe", "sample"}
_CHAIN_SAMPLE = {"explicit": {"family", "factors", "dims", "density", "count", "seed", "target"},
                 "kronecker": {"family", "factors", "a", "b", "c", "d", "chainable", "count",
                               "seed", "target"}}
_CHAIN_FIELDS = ("kind", "family", "factors", "dims", "kron", "chainable")


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """A validated sweep: the family (``mode`` ``enumerate`` or ``sample``) and the questions.

    ``shape`` is ``(m, r, n)`` as in the sweep file; ``symmetry`` is ``none`` or
    ``permutations`` (enumerations only); ``count``, ``density`` apply to samples; ``seed``
    drives every random choice (supports, targets); ``landscape_*`` configure the numeric
    search.

    Chain sweeps (``kind = "chain"``, always ``mode = "sample"``, ``shape = (0, 0, 0)``):
    ``family`` is ``explicit`` or ``kronecker``; ``factors`` and ``dims`` are inclusive
    ranges; ``kron`` holds the inclusive ranges of ``a, b, c, d``; ``chainable`` keeps only
    chains whose consecutive Kronecker pairs are chainable (T6).
    """

    name: str
    questions: tuple[str, ...]
    mode: str
    shape: tuple[int, int, int]
    symmetry: str = "none"
    count: int = 0
    density: float = 0.5
    seed: int = 0
    target: str = "none"
    qe: bool = False
    landscape_starts: int = 8
    landscape_max_iter: int = 2000
    landscape_seed: int = 0
    description: str = ""
    kind: str = "two-factor"
    family: str = ""
    factors: tuple[int, int] = (0, 0)
    dims: tuple[int, int] = (0, 0)
    kron: tuple[tuple[int, int], ...] = ()
    chainable: bool = True

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the spec (what a resumed run must match).

        The chain fields are left out of two-factor sweeps, so their fingerprints are those
        of earlier versions (their output folders still resume).
        """
        fields = asdict(self)
        if self.kind == "two-factor":
            for key in _CHAIN_FIELDS:
                del fields[key]
        data = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _err(path: Path | None, message: str, key: str | None = None) -> CaseFormatError:
    return CaseFormatError(message, path=path, key=key)


def _keys(table: dict, allowed: set[str], path: Path | None, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise _err(path, f"unknown key '{where}{key}' (allowed: {', '.join(sorted(allowed))})",
                       key)


def _int(table: dict, key: str, path: Path | None, where: str, default: int,
         minimum: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(path, f"key '{where}{key}' must be an integer, got {value!r}", key)
    if value < minimum:
        raise _err(path, f"key '{where}{key}' must be >= {minimum}, got {value}", key)
    return value


def _choice(table: dict, key: str, path: Path | None, where: str, choices: tuple[str, ...],
            default: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise _err(path, f"key '{where}{key}' must be one of {', '.join(choices)}; got {value!r}",
                   key)
    return value


def _shape(table: dict, path: Path | None, where: str) -> tuple[int, int, int]:
    value = table.get("shape")
    if value is None:
        raise _err(path, f"missing required key '{where}shape' ([m, r, n])", "shape")
    if (not isinstance(value, list) or len(value) != 3
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value)):
        raise _err(path, f"key '{where}shape' must be [m, r, n] with three integers >= 1; "
                   f"got {value!r}", "shape")
    m, r, n = value
    return m, r, n


def parse_sweep(data: object, *, path: Path | None = None) -> SweepSpec:
    """Validate a decoded sweep mapping (see :func:`load_sweep`).

    Raises
    ------
    CaseFormatError
        Unknown or missing key, wrong type or value (one line naming the file and key).
    SizeLimitError
        An enumeration or sample above :data:`~fsmf_check._limits.MAX_SWEEP_CASES`.

    Examples
    --------
    >>> spec = parse_sweep({"name": "lu", "kind": "two-factor", "questions": ["closedness"],
    ...                     "enumerate": {"shape": [2, 2, 2]}})
    >>> spec.mode, spec.shape, spec.questions
    ('enumerate', (2, 2, 2), ('closedness',))
    >>> parse_sweep({"name": "x", "kind": "two-factor", "questions": ["closedness"],
    ...              "enumerate": {"shape": [4, 4, 4]}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fsmf_check.errors.SizeLimitError: enumerate.shape = [4, 4, 4] has 2^32 support pairs, ...
    """
    if not isinstance(data, dict):
        raise _err(path, "a sweep must be a table at the top level")
    _keys(data, _TOP, path, "")
    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise _err(path, f"key 'name' must match [a-z0-9-]+; got {name!r}", "name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _err(path, f"key 'description' must be a string, got {description!r}",
                   "description")
    if data.get("kind") == "chain":
        return _parse_chain(data, name, description, path)
    if data.get("kind") != "two-factor":
        raise _err(path, "key 'kind' must be \"two-factor\" or \"chain\"; got "
                   f"{data.get('kind')!r}", "kind")
    qs = data.get("questions")
    if not isinstance(qs, list) or not qs or any(q not in QUESTIONS for q in qs):
        raise _err(path, f"key 'questions' must be a non-empty list drawn from "
                   f"{', '.join(QUESTIONS)}; got {qs!r}", "questions")
    questions = tuple(q for q in QUESTIONS if q in qs)
    qe = data.get("qe", False)
    if not isinstance(qe, bool):
        raise _err(path, f"key 'qe' must be true or false, got {qe!r}", "qe")
    has_enum, has_sample = "enumerate" in data, "sample" in data
    if has_enum == has_sample:
        raise _err(path, "a sweep needs exactly one of the tables [enumerate] and [sample]")
    mode = "enumerate" if has_enum else "sample"
    table = data[mode]
    if not isinstance(table, dict):
        raise _err(path, f"key '{mode}' must be a table, got {type(table).__name__}", mode)
    where = f"{mode}."
    _keys(table, _ENUM if has_enum else _SAMPLE, path, where)
    shape = _shape(table, path, where)
    m, r, n = shape
    seed = _int(table, "seed", path, where, 0, 0)
    target = _choice(table, "target", path, where, TARGETS, "none")
    extra: dict[str, object] = {}
    if has_enum:
        extra["symmetry"] = _choice(table, "symmetry", path, where, ("none", "permutations"),
                                    "none")
        bits = (m + n) * r
        work = 2**bits * (math.factorial(r) if extra["symmetry"] == "permutations" else 1)
        if bits > 62 or work > MAX_SWEEP_CASES:
            what = "support pairs" if extra["symmetry"] == "none" else \
                f"support pairs times r! = {math.factorial(r)} inner permutations"
            msg = (f"{path}: " if path is not None else "") + (
                f"enumerate.shape = {list(shape)} has 2^{bits} {what}, above the limit "
                f"MAX_SWEEP_CASES = {MAX_SWEEP_CASES} (2^{MAX_SWEEP_CASES.bit_length() - 1})")
            raise SizeLimitError(msg)
    else:
        count = _int(table, "count", path, where, -1, 1) if "count" in table else None
        if count is None:
            raise _err(path, "missing required key 'sample.count'", "count")
        if count > MAX_SWEEP_CASES:
            msg = (f"{path}: " if path is not None else "") + (
                f"sample.count = {count} is above the limit MAX_SWEEP_CASES = {MAX_SWEEP_CASES}")
            raise SizeLimitError(msg)
        if max(m, n) * r > 4096:
            msg = (f"{path}: " if path is not None else "") + (
                f"sample.shape = {list(shape)} has masks of {max(m, n) * r} entries; sweeps "
                "classify small supports (at most 4096 entries per mask)")
            raise SizeLimitError(msg)
        density = table.get("density", 0.5)
        if isinstance(density, bool) or not isinstance(density, int | float) \
                or not 0 < density <= 1:
            raise _err(path, f"key 'sample.density' must be a number in (0, 1]; got {density!r}",
                       "density")
        extra.update(count=count, density=float(density))
    if "membership" in questions and target == "none":
        raise _err(path, f"question 'membership' needs a target: set {where}target = "
                   "\"planted\" or \"integer\"", "target")
    land = data.get("landscape", {})
    if not isinstance(land, dict):
        raise _err(path, f"key 'landscape' must be a table, got {type(land).__name__}",
                   "landscape")
    _keys(land, _LANDSCAPE, path, "landscape.")
    return SweepSpec(
        name=name, description=description, questions=questions, mode=mode, shape=shape,
        seed=seed, target=target, qe=qe,
        landscape_starts=_int(land, "n_starts", path, "landscape.", 8, 1),
        landscape_max_iter=_int(land, "max_iter", path, "landscape.", 2000, 1),
        landscape_seed=_int(land, "seed", path, "landscape.", 0, 0),
        **extra)  # type: ignore[arg-type]


def _range(table: dict, key: str, path: Path | None, default: tuple[int, int] | None,
           lo: int, hi: int, limit: str) -> tuple[int, int]:
    """Read an inclusive integer range ``[low, high]`` (or one integer) within ``[lo, hi]``."""
    where = f"sample.{key}"
    value = table.get(key)
    if value is None:
        if default is None:
            raise _err(path, f"missing required key '{where}' ([low, high])", key)
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    if (not isinstance(value, list) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in value)
            or not lo <= value[0] <= value[1]):
        raise _err(path, f"key '{where}' must be an integer or a range [low, high] of "
                   f"integers with {lo} <= low <= high; got {value!r}", key)
    if value[1] > hi:
        msg = (f"{path}: " if path is not None else "") + (
            f"{where} = {value} goes above the limit {limit} = {hi}")
        raise SizeLimitError(msg)
    return value[0], value[1]


def _parse_chain(data: dict, name: str, description: str, path: Path | None) -> SweepSpec:
    """Validate a ``kind = "chain"`` sweep (random explicit or Kronecker chains)."""
    _keys(data, _CHAIN_TOP, path, "")
    qs = data.get("questions")
    if not isinstance(qs, list) or not qs or any(q not in CHAIN_QUESTIONS for q in qs):
        raise _err(path, f"key 'questions' of a chain sweep must be a non-empty list drawn "
                   f"from {', '.join(CHAIN_QUESTIONS)}; got {qs!r}", "questions")
    questions = tuple(q for q in CHAIN_QUESTIONS if q in qs)
    qe = data.get("qe", False)
    if not isinstance(qe, bool):
        raise _err(path, f"key 'qe' must be true or false, got {qe!r}", "qe")
    table = data.get("sample")
    if not isinstance(table, dict):
        raise _err(path, "a chain sweep needs the table [sample] (chains are sampled, not "
                   "enumerated)", "sample")
    family = table.get("family")
    if family not in CHAIN_FAMILIES:
        raise _err(path, f"key 'sample.family' must be one of {', '.join(CHAIN_FAMILIES)}; "
                   f"got {family!r}", "family")
    _keys(table, _CHAIN_SAMPLE[family], path, "sample.")
    if "count" not in table:
        raise _err(path, "missing required key 'sample.count'", "count")
    count = _int(table, "count", path, "sample.", -1, 1)
    if count > MAX_SWEEP_CHAIN_CASES:
        msg = (f"{path}: " if path is not None else "") + (
            f"sample.count = {count} is above the limit MAX_SWEEP_CHAIN_CASES = "
            f"{MAX_SWEEP_CHAIN_CASES}")
        raise SizeLimitError(msg)
    seed = _int(table, "seed", path, "sample.", 0, 0)
    target = _choice(table, "target", path, "sample.", TARGETS, "none")
    factors = _range(table, "factors", path, None, 2, MAX_SWEEP_CHAIN_FACTORS,
                     "MAX_SWEEP_CHAIN_FACTORS")
    extra: dict[str, object] = {}
    if family == "explicit":
        extra["dims"] = _range(table, "dims", path, None, 1, MAX_SWEEP_CHAIN_DIM,
                               "MAX_SWEEP_CHAIN_DIM")
        density = table.get("density", 0.5)
        if isinstance(density, bool) or not isinstance(density, int | float) \
                or not 0 < density <= 1:
            raise _err(path, f"key 'sample.density' must be a number in (0, 1]; got {density!r}",
                       "density")
        extra["density"] = float(density)
    else:
        kron = tuple(_range(table, k, path, (1, 2), 1, MAX_SWEEP_CHAIN_DIM,
                            "MAX_SWEEP_CHAIN_DIM") for k in "abcd")
        (_, ha), (_, hb), (_, hc), (_, hd) = kron
        if max(ha * hb * hd, ha * hc * hd) > MAX_SWEEP_CHAIN_DIM:
            msg = (f"{path}: " if path is not None else "") + (
                f"sample ranges a, b, c, d = {[list(k) for k in kron]} allow factors with "
                f"{max(ha * hb * hd, ha * hc * hd)} rows or columns (a*b*d, a*c*d), above the "
                f"limit MAX_SWEEP_CHAIN_DIM = {MAX_SWEEP_CHAIN_DIM}")
            raise SizeLimitError(msg)
        chainable = table.get("chainable", True)
        if not isinstance(chainable, bool):
            raise _err(path, f"key 'sample.chainable' must be true or false, got {chainable!r}",
                       "chainable")
        extra.update(kron=kron, chainable=chainable)
    for q in ("membership", "identifiability"):
        if q in questions and target == "none":
            raise _err(path, f"question '{q}' of a chain sweep needs a target: set "
                       "sample.target = \"planted\" or \"integer\"", "target")
    spec = SweepSpec(name=name, description=description, questions=questions, mode="sample",
                     shape=(0, 0, 0), count=count, seed=seed, target=target, qe=qe,
                     kind="chain", family=family, factors=factors,
                     **extra)  # type: ignore[arg-type]
    if family == "kronecker":
        from fsmf_check.sweep.chains import kronecker_feasibility

        missing = kronecker_feasibility(spec)
        if missing:
            raise _err(path, f"no {'chainable ' if spec.chainable else ''}Kronecker chain of "
                       f"{missing[0]} factors has consecutive shapes that agree within the "
                       f"ranges a, b, c, d = {[list(k) for k in spec.kron]}; widen them",
                       "factors")
    return spec


def load_sweep(path: Path | str) -> SweepSpec:
    """Read and validate a sweep file (TOML).

    Raises
    ------
    CaseFormatError
        Unreadable or malformed file, unknown key, wrong value (one line).
    SizeLimitError
        A family above :data:`~fsmf_check._limits.MAX_SWEEP_CASES`.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _err(path, f"file has {size} bytes, above the limit MAX_FILE_BYTES = "
                       f"{MAX_FILE_BYTES}")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _err(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise _err(path, "not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(path, f"invalid TOML: {exc}") from None
    return parse_sweep(data, path=path)

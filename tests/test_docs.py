"""The documentation cannot go stale: every check here compares docs/ with the code.

* ``docs/cases.md`` is generated from ``cases/`` (regenerate with
  ``python3 tests/test_docs.py --write-cases``) and must match byte for byte;
* every command's ``--help`` has an ``Example: fsmf-check CMD ...`` line, and the example
  runs as written (from a folder holding ``cases/``);
* ``docs/reference/cli.md`` documents every command and every option;
* ``docs/reference/api.md`` names every public name (``__all__``) of the documented modules;
* ``docs/theory-map.md`` covers T1..T12 and every function and test it names exists;
* ``docs/reference/json-schema.md``: each ``<!-- schema: ... -->`` table lists exactly the
  fields of the real command output it describes;
* ``docs/reference/errors.md`` lists every size limit with the value the code uses;
* relative links between the Markdown files resolve, and the index links every page.

The Markdown ``>>>`` examples themselves run as doctests (pyproject ``--doctest-glob``).
"""

from __future__ import annotations

import ast
import importlib
import json
import re
import shlex
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fsmf_check.inputs.cases import Case, find_cases, load_case
from fsmf_check.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CASES = ROOT / "cases"
COMMANDS = ["analyze", "solve", "certify", "closedness", "butterfly", "report", "check"]


# ------------------------------------------------------------------ case catalogue


def _value(v: object) -> str:
    return json.dumps(v) if not isinstance(v, float) else repr(v)


def _target_summary(case: Case) -> str:
    t = case.target
    if t is None:
        return "none"
    exact = "exact" if t.is_exact else "numeric"
    if t.kind == "explicit":
        return f"explicit {t.shape[0]} x {t.shape[1]} ({exact})"
    if t.kind == "file":
        return f"file `{t.file.name}` ({exact})"  # type: ignore[union-attr]
    p = dict(t.params)
    extras = [f"{k} = {_value(p[k])}" for k in ("seed", "entries", "columns", "order", "noise")
              if k in p and p[k] not in (0, 0.0, "gaussian", "natural", "standard")]
    if t.generator in ("dft", "hadamard"):
        extras = [e for e in extras if not e.startswith(("seed", "entries"))]
    more = f", {', '.join(extras)}" if extras else ""
    return f"generator `{t.generator}` n = {p['n']}{more} ({exact})"


def _pattern_summary(case: Case) -> str:
    obj = case.pattern if case.pattern is not None else case.chain
    text = obj.describe()  # type: ignore[union-attr]
    if case.family:
        params = ", ".join(f"{k} = {_value(v)}" for k, v in case.params.items())
        text = f"family `{case.family}` ({params}): {text}"
    return text


def render_case_catalogue() -> str:
    """The full text of docs/cases.md, generated from the shipped case files."""
    files = find_cases([CASES])
    cases = [load_case(p) for p in files]
    lines = [
        "# Case catalogue",
        "",
        "Every case shipped in [`cases/`](../cases), with what it describes, where it comes",
        "from and what `fsmf-check check` expects of it (the `[expect]` block; keys in",
        "[case-format.md](reference/case-format.md#expect)). This page is generated from the",
        "case files: after adding or editing a case run",
        "",
        "```bash",
        "python3 tests/test_docs.py --write-cases",
        "```",
        "",
        "(`tests/test_docs.py` fails while this page and `cases/` disagree).",
        "",
        f"{len(cases)} cases: "
        f"{sum(c.kind == 'two-factor' for c in cases)} two-factor, "
        f"{sum(c.kind == 'chain' for c in cases)} chains, "
        f"{sum(c.target is not None for c in cases)} with a target.",
        "",
        "| case | kind | shape | target | expects |",
        "| --- | --- | --- | --- | --- |",
    ]
    for path, case in zip(files, cases, strict=True):
        shape = " x ".join(str(v) for k, v in case.shape.items() if k in ("m", "n"))
        shape += f", r = {case.shape['r']}" if "r" in case.shape else (
            f", {case.shape['factors']} factors")
        keys = ", ".join(k for k in case.expect if k != "tolerance")
        lines.append(f"| [`{case.name}`](#{case.name}) | {case.kind} | {shape} | "
                     f"{_target_summary(case).split(' (')[0]} | {keys} |")
    for path, case in zip(files, cases, strict=True):
        rel = path.relative_to(ROOT).as_posix()
        lines += ["", f"## {case.name}", "", case.description or "(no description)", "",
                  f"* file: [`{rel}`](../{rel})",
                  f"* source: {case.source or '(none)'}",
                  f"* kind: {case.kind}; pattern: {_pattern_summary(case)}"
                  + (f"; split after factor {case.split}" if case.split else ""),
                  f"* target: {_target_summary(case)}",
                  "* expects: " + ", ".join(f"`{k} = {_value(v)}`"
                                            for k, v in case.expect.items())]
    return "\n".join(lines) + "\n"


def test_case_catalogue_lists_every_case() -> None:
    text = (DOCS / "cases.md").read_text(encoding="utf-8")
    for path in find_cases([CASES]):
        assert f"## {load_case(path).name}\n" in text, f"{path.name} missing from docs/cases.md"
    assert text == render_case_catalogue(), (
        "docs/cases.md is stale: run `python3 tests/test_docs.py --write-cases`")


# ------------------------------------------------------------------ --help examples


def _help(command: str) -> str:
    res = CliRunner().invoke(cli, [command, "--help"], terminal_width=100)
    assert res.exit_code == 0, res.output
    return res.stdout


def _example(command: str) -> list[str]:
    lines = [ln.strip() for ln in _help(command).splitlines()
             if ln.strip().startswith(f"Example: fsmf-check {command}")]
    assert len(lines) == 1, f"`fsmf-check {command} --help` needs one 'Example:' line"
    return shlex.split(lines[0].removeprefix("Example: fsmf-check "))


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_an_example_line(command: str) -> None:
    args = _example(command)
    assert args[0] == command


@pytest.mark.parametrize("command", COMMANDS)
def test_help_example_runs_as_written(command: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cases").symlink_to(CASES, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    args = _example(command)
    if command == "butterfly":  # keep the test fast: same example, smaller size
        args = [a.replace("dft:1024", "dft:64") for a in args]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 1, 3), (args, res.stderr)
    assert "Traceback" not in res.output + res.stderr


def test_group_help_example_runs() -> None:
    res = CliRunner().invoke(cli, ["--help"])
    line = next(ln.strip() for ln in res.stdout.splitlines() if "Example: fsmf-check" in ln)
    args = shlex.split(line.removeprefix("Example: fsmf-check "))
    args = [str(ROOT / a) if a.startswith("cases/") else a for a in args]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code in (0, 1, 3), (args, run.stderr)


# ------------------------------------------------------------------ shell examples


def _shell_examples() -> list[tuple[str, str, str]]:
    """(page, command, documented output) for a ``bash`` block followed by its output."""
    out = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for cmd, shown in re.findall(r"```bash\n(fsmf-check [^\n]*)\n```\n\n```\n(.*?)```",
                                     text, flags=re.S):
            out.append((page.relative_to(ROOT).as_posix(), cmd.split("  #")[0].strip(), shown))
    return out


def _normalize(text: str) -> str:
    return re.sub(r"\(\d+\.\d+s\)", "(TIME)", text).strip()


# solve and butterfly print floating-point errors at rounding level (platform dependent)
_EXACT_COMMANDS = ("analyze", "certify", "closedness", "check", "report")


def _runnable(command: str) -> bool:
    """An exact command whose input files ship with the repository (how-tos also show
    commands on files the reader creates, like ``my-first-case.toml``)."""
    args = command.split()[1:]
    files = [a for a in args if a.endswith((".toml", ".json", ".npy", ".npz", ".mtx"))]
    return args[0] in _EXACT_COMMANDS and all((ROOT / f).exists() for f in files)


@pytest.mark.parametrize(("page", "command", "shown"),
                         [e for e in _shell_examples() if _runnable(e[1])],
                         ids=lambda v: v if isinstance(v, str) and v.startswith("fsmf") else "")
def test_documented_shell_output_is_current(page: str, command: str, shown: str,
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs of the exact commands shown in the docs are what the commands print now."""
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    if "-o" in args:  # write reports into a temporary folder, print the documented one
        shown_dir = args[args.index("-o") + 1]
        args[args.index("-o") + 1] = str(tmp_path / "out")
    res = CliRunner().invoke(cli, args)
    assert res.exit_code in (0, 1, 3), res.stderr
    actual = res.stdout.replace(str(tmp_path / "out"), shown_dir) if "-o" in args else res.stdout
    lines = [ln for ln in _normalize(shown).splitlines() if ln != "..."]
    got = _normalize(actual).splitlines()
    if "..." in shown.splitlines():
        assert all(ln in got for ln in lines), (page, command, got)
    else:
        assert lines == got, (page, command)


# ------------------------------------------------------------------ CLI and API references


def test_cli_reference_documents_every_command_and_option() -> None:
    text = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        assert f"## `fsmf-check {name}" in text, f"cli.md has no section for {name}"
        section = text.split(f"## `fsmf-check {name}", 1)[1].split("\n## ", 1)[0]
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("-") and opt not in ("-h", "--help"):
                    assert f"`{opt}" in section, f"cli.md: {name} does not document {opt}"
        assert "Example" in section and "Exit" in section
    for code in ("0", "1", "2", "3", "4"):
        assert f"| {code} |" in text


_API_MODULES = ["fsmf_check", "fsmf_check.api", "fsmf_check.verdicts", "fsmf_check.errors", "fsmf_check.inputs.cases", "fsmf_check.commands.check",
                "fsmf_check.model.supports", "fsmf_check.model.kronecker", "fsmf_check.model.families",
                "fsmf_check.model.numbers", "fsmf_check.analysis", "fsmf_check.closure.decide",
                "fsmf_check.landscape.search", "fsmf_check.exact", "fsmf_check.numeric",
                "fsmf_check.report", "fsmf_check.commands.outcome", "fsmf_check.report.envelope",
                "fsmf_check.files", "fsmf_check.verify.closedness",
                "fsmf_check.commands.analyze", "fsmf_check.commands.certify",
                "fsmf_check.commands.solve"]


@pytest.mark.parametrize("module", _API_MODULES)
def test_api_reference_names_every_public_name(module: str) -> None:
    text = (DOCS / "reference" / "api.md").read_text(encoding="utf-8")
    assert f"`{module}`" in text, f"api.md has no section for {module}"
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", []):
        if name.startswith("__"):
            continue
        assert re.search(rf"`{re.escape(name)}\b", text), f"api.md: {module}.{name} missing"


# ------------------------------------------------------------------ theory map


def _theory_rows() -> dict[str, str]:
    rows = {}
    for line in (DOCS / "theory-map.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| (T\d+) \|", line)
        if m:
            rows[m.group(1)] = line
    return rows


def test_theory_map_covers_every_label() -> None:
    assert sorted(_theory_rows(), key=lambda t: int(t[1:])) == [f"T{i}" for i in range(1, 13)]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
            and n.name.startswith("test_")}


def test_theory_map_names_existing_functions_and_tests() -> None:
    for label, row in _theory_rows().items():
        cells = row.split(" | ")
        functions = re.findall(r"`(fsmf_check(?:\.\w+)+)`", row)
        tests = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", row)
        assert functions and tests, f"theory-map.md: {label} needs functions and tests"
        for dotted in functions:
            module, _, attr = dotted.rpartition(".")
            try:
                mod = importlib.import_module(dotted)
            except ImportError:
                mod = importlib.import_module(module)
                assert hasattr(mod, attr), f"theory-map.md {label}: {dotted} does not exist"
        for file, name in tests:
            assert name in _test_names(ROOT / file), f"theory-map.md {label}: {file}::{name}"
        assert len(cells) >= 4


# ------------------------------------------------------------------ JSON schema reference


def _schema_blocks() -> list[tuple[list[list[str]], str, list[str]]]:
    """(runs, where, documented fields) for every ``<!-- schema: RUN ; RUN -> WHERE -->``."""
    text = (DOCS / "reference" / "json-schema.md").read_text(encoding="utf-8")
    blocks = []
    for m in re.finditer(r"<!-- schema: (.+?) -> (\S+) -->\n\n((?:\|.*\n)+)", text):
        runs = [shlex.split(run) for run in m.group(1).split(" ; ")]
        fields = re.findall(r"^\| `([^`]+)` \|", m.group(3), flags=re.M)
        blocks.append((runs, m.group(2), fields))
    return blocks


def _dig(data: object, where: str) -> dict:
    for key in where.split("."):
        if key == "$":
            continue
        data = data[int(key)] if isinstance(data, list) else data[key]  # type: ignore[index]
    assert isinstance(data, dict), where
    return data


def test_json_schema_tables_match_real_output(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each table lists exactly the union of the fields of the outputs it names."""
    monkeypatch.chdir(ROOT)
    blocks = _schema_blocks()
    assert len(blocks) >= 20
    outputs: dict[tuple[str, ...], dict] = {}
    for runs, where, fields in blocks:
        actual: set[str] = set()
        for args in runs:
            key = tuple(args)
            if key not in outputs:
                run_args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
                res = CliRunner().invoke(cli, [*run_args, "--json"])
                assert res.exit_code in (0, 1, 3), (args, res.stderr)
                outputs[key] = json.loads(res.stdout)
            actual |= set(_dig(outputs[key], where))
        assert len(fields) == len(set(fields)), f"duplicate rows in the table of {where}"
        assert set(fields) == actual, (
            f"json-schema.md table for {where} ({runs[0]}...): documented but absent "
            f"{sorted(set(fields) - actual)}; present but undocumented "
            f"{sorted(actual - set(fields))}")


# ------------------------------------------------------------------ limits and links


def test_errors_reference_lists_every_limit_with_its_value() -> None:
    from fsmf_check import _limits

    text = (DOCS / "reference" / "errors.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| `([\w.]+)` \|", text, flags=re.M)
    documented = {name: (value, module) for name, value, module in rows}
    for name in (n for n in dir(_limits) if n.startswith("MAX_")):
        assert name in documented, f"errors.md does not list {name}"
    for name, (value, module) in documented.items():
        actual = getattr(importlib.import_module(module), name)
        documented_value = eval(value, {})  # noqa: S307 - literals like `2**24` from our own docs
        assert documented_value == actual, f"errors.md: {name} = {value}, code has {actual}"


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)


@pytest.mark.parametrize("page", sorted(p.relative_to(ROOT).as_posix()
                                        for p in [*DOCS.rglob("*.md"), ROOT / "README.md"]))
def test_relative_links_resolve(page: str) -> None:
    path = ROOT / page
    for link in _links(path):
        target = (path.parent / link).resolve()
        if re.match(r"[a-z]+://", link) or not target.is_relative_to(ROOT):
            continue  # web links, and the shared SPEC/THEORY kept beside the repository
        assert target.exists(), f"{page}: broken link {link}"


def test_index_links_every_page() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).as_posix()
        if rel != "index.md":
            assert f"]({rel})" in index, f"docs/index.md does not link {rel}"


def test_readme_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install -e . && fsmf-check check" in readme
    assert 'python3 -m pip install -e ".[test]" && python3 -m pytest -q' in readme


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-cases"]:
        (DOCS / "cases.md").write_text(render_case_catalogue(), encoding="utf-8")
        print(f"wrote {DOCS / 'cases.md'}")
    else:
        print("usage: python3 tests/test_docs.py --write-cases")

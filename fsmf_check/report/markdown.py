r"""Render the Markdown report (``report.md``): statements, theorems, witnesses, how to re-check.

Pure string formatting of the result dictionaries; deterministic (no timings, no paths that
depend on the machine beyond the case source shown in report.json).
"""

from __future__ import annotations

from typing import Any

from fsmf_check.inputs.cases import Case

__all__ = ["render_markdown"]

_THEOREMS = {
    "T1": "rank-one supports and equivalence classes",
    "T2": "disjoint-or-identical supports (Theorem 1 of [LZRG-ICASSP], citing [LRG-SIMAX])",
    "T3": "complete-equivalence-class reduction (derived reconstruction of [LRG-SIMAX])",
    "T5": "closedness of the set of products (theory §3)",
    "T4": "NP-hardness of general FSMF",
    "T6": "Kronecker-sparse supports and chainability",
    "T7": "hierarchical butterfly algorithm",
    "T8": "identifiability and exact recovery",
    "T9": "complementary low-rank characterization of butterfly products",
    "T10": "landscape: spurious minima and valleys",
    "T11": "truncated butterfly networks",
    "T12": "Kaleidoscope hierarchy",
}
_RECHECK = {"membership": "certify", "identifiability": "certify", "solve": "solve"}


def _fmt_matrix(rows: list[list[str]]) -> str:
    width = max((len(x) for r in rows for x in r), default=1)
    return "\n".join("[ " + "  ".join(x.rjust(width) for x in r) + " ]" for r in rows)


def _dense_from_entries(m: int, n: int, entries: list[list[Any]]) -> list[list[str]]:
    M = [["0"] * n for _ in range(m)]
    for i, j, v in entries:
        M[int(i)][int(j)] = str(v)
    return M


def _theorem(label: str | None) -> str:
    if not label:
        return "none"
    return f"{label} ({_THEOREMS.get(label, 'see docs/theory.md')})"


def _summary(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| question | verdict | theorem | exact |", "| --- | --- | --- | --- |"]
    for key, res in results.items():
        lines.append(f"| {key} | **{res.get('verdict')}** | {res.get('theorem') or '—'} | "
                     f"{'yes' if res.get('exact') else 'no (numeric)'} |")
    return lines


def _tractability(res: dict[str, Any]) -> list[str]:
    out = ["## Tractability", "", f"**Verdict:** {res['verdict']}"
           + (f" (rule `{res['rule']}`)" if res.get("rule") else "")
           + f". **Theorem:** {_theorem(res.get('theorem'))}.", "", res["explanation"], ""]
    classes = res.get("classes")
    if classes:
        out += ["| class | rows | cols | size | complete |", "| --- | --- | --- | --- | --- |"]
        for c, cls in enumerate(classes[:32]):
            out.append(f"| {c} | {cls['rows']} | {cls['cols']} | {cls['size']} | "
                       f"{'yes' if cls['complete'] else 'no'} |")
        if len(classes) > 32:
            out.append(f"| … | {len(classes) - 32} more classes in report.json | | | |")
        out.append("")
    elif "n_classes" in res:
        out += [f"{res['n_classes']} equivalence classes (listed in report.json when few).", ""]
    return out


def _witness_two_factor(w: dict[str, Any]) -> list[str]:
    m, n, r = w["shape"]["m"], w["shape"]["n"], w["shape"]["r"]
    e = w["embedding"]
    seq = w["sequence"]
    small = m * n <= 144 and m * r <= 144 and n * r <= 144
    if w["kind"] == "lu-embedding":
        intro = (f"The LU-type sub-pattern: column k = {e['k']} alone covers the entries "
                 f"({e['i1']},{e['j1']}), ({e['i1']},{e['j2']}) and ({e['i2']},{e['j1']}); "
                 f"column l = {e['l']} also covers ({e['i2']},{e['j2']}) (0-based indices).")
    else:
        comp = w.get("completion")
        extra = ("" if comp is None else ", plus the constant completion term "
                 f"e_{comp['entry'][0]} e_{comp['entry'][1]}^T through column "
                 f"{comp['through_column']}")
        intro = (f"An LU-type sequence in columns k = {e['k']} and l = {e['l']} on rows "
                 f"{e['i1']}, {e['i2']} and columns {e['j1']}, {e['j2']}{extra}. The entries "
                 "are covered by several columns, so the three-entry argument does not apply; "
                 "the Gröbner basis below proves non-membership (0-based indices).")
    out = ["### Witness", "", intro, ""]
    out += ["**The limit point** A* (in the closure, not in the set):", ""]
    if small:
        out += ["```", _fmt_matrix(_dense_from_entries(m, n, w["A"]["entries"])), "```", ""]
    else:
        out += ["nonzero entries: " + ", ".join(f"A*[{i},{j}] = {v}"
                                                 for i, j, v in w["A"]["entries"]), ""]
    out += ["**The sequence** (t → ∞), every other entry of X_t and Y_t is 0:", ""]
    out += ["- X_t: " + ", ".join(f"X[{i},{c}] = {v}" for i, c, v in seq["X_display"]),
            "- Y_t: " + ", ".join(f"Y[{j},{c}] = {v}" for j, c, v in seq["Y_display"]),
            "- X_t Y_t^T: " + ", ".join(f"[{i},{j}] = {v}" for i, j, v in seq["product_display"])
            + " (all other entries 0)",
            f"- limit (`{seq['limit_method']}`, exact): A*; "
            f"‖X_t‖² + ‖Y_t‖² = {seq['norm_squared']} → {seq['norm_squared_limit']} "
            "(the factors diverge: the infimum 0 of ‖A* − XYᵀ‖ is not attained)", ""]
    out += ["| t | ‖X_t Y_tᵀ − A*‖²_F (exact) |", "| --- | --- |"]
    out += [f"| {s['t']} | {s['distance_squared']} |" for s in seq["samples"]]
    nm = w["non_membership"]
    g = nm["groebner"]
    out += ["", "**Why A* is not a product.**", ""]
    if "three_entry" in nm:
        out.append(f"1. Three-entry argument: {nm['three_entry']['argument']}.")
    out += [f"{2 if 'three_entry' in nm else 1}. Gröbner basis: the {len(g['polynomials'])} "
            f"equations (XYᵀ)_ij = A*_ij for the "
            f"{g['system']} system ({len(g['variables'])} unknowns, supports built in) have "
            f"reduced Gröbner basis {g['basis']} (sympy, {g['method']}, {g['order']}): "
            f"{g['meaning']}.", ""]
    if small:
        Xd = [["0"] * r for _ in range(m)]
        for i, c, v in seq["X_display"]:
            Xd[i][c] = v
        Yd = [["0"] * r for _ in range(n)]
        for j, c, v in seq["Y_display"]:
            Yd[j][c] = v
        Ad = _dense_from_entries(m, n, w["A"]["entries"])
        out += ["Re-check the limit by hand with sympy:", "", "```python", "import sympy as sp",
                "t = sp.symbols('t', positive=True)",
                f"X = sp.Matrix({_pylist(Xd)})", f"Y = sp.Matrix({_pylist(Yd)})",
                f"A = sp.Matrix({_pylist(Ad)})",
                "P = (X * Y.T).applyfunc(sp.simplify)",
                "assert P.applyfunc(lambda e: sp.limit(e, t, sp.oo)) == A", "```", ""]
    return out


def _pylist(M: list[list[str]]) -> str:
    return "[" + ", ".join("[" + ", ".join(_pyexpr(x) for x in row) + "]" for row in M) + "]"


def _pyexpr(x: str) -> str:
    # sympy's str() of a Laurent polynomial in t is valid Python once t is a sympy Symbol
    return x


def _closedness(res: dict[str, Any]) -> list[str]:
    out = ["## Closedness of the set of products", "",
           "**Question.** Is P(I, J) = {X Yᵀ : supp(X) ⊆ I, supp(Y) ⊆ J} closed? Equivalently "
           "(theory §3.1): does ‖A − XYᵀ‖_F attain its infimum for every target A?", "",
           f"**Verdict:** {res['verdict']}. **Theorem:** {_theorem(res.get('theorem'))}. "
           f"**Exact:** {'yes' if res.get('exact') else 'no'}.", "", res["explanation"], ""]
    w = res.get("witness")
    if w is not None and w.get("kind") in ("lu-embedding", "completed-lu-sequence"):
        out += _witness_two_factor(w)
    elif w is not None:
        g = w["non_membership"]["groebner"]
        out += ["### Witness (chain)", "",
                f"Factors {w['pair']} carry the LU-type sub-pattern {w['embedding']}; the other "
                "factors are set to identities. Nonzero entries of the product of the "
                "sequence: " + ", ".join(f"[{i},{j}] = {v}" for i, j, v in
                                         w["sequence"]["product_display"]) + ".",
                f"Gröbner basis of the chain equations on the entries {g['entries']}: "
                f"{g['basis']} ({len(g['variables'])} unknowns), so A* is not a product.", ""]
    if res["verdict"] == "unknown":
        out += ["What was tried:", ""] + [f"- {t}" for t in res.get("tried", [])] + [""]
    chk = res.get("independent_check")
    if chk:
        out += ["**Independent check** (`fsmf_check.verify.closedness`, re-checks the "
                "witness's certificate by exact arithmetic only, no engine and no Gröbner "
                "basis): "
                + ("passed" if chk["verified"] else "not re-checkable") + ".", ""]
        out += [f"- {c}" for c in chk["checks"]] + [""]
    out += ["How to re-check: `fsmf-check verify closedness.cert.json` (the certificate file "
            "next to this report, when the verdict has a witness), or", "", "```python",
            "from fsmf_check.verify.closedness import verify_report_closedness",
            "print(verify_report_closedness('report.json').checks)", "```", ""]
    return out


def _generic(title: str, res: dict[str, Any], command: str | None = None,
             src: str = "CASE.toml") -> list[str]:
    out = [f"## {title}", "", f"**Verdict:** {res.get('verdict')}. **Theorem:** "
           f"{_theorem(res.get('theorem'))}. **Exact:** {'yes' if res.get('exact') else 'no'}.",
           "", str(res.get("explanation", "")), ""]
    for key in ("objective", "rel_error", "tolerance", "objective_exact"):
        if key in res:
            out.append(f"- {key}: {res[key]}")
    if out[-1] != "":
        out.append("")
    if command:
        out += [f"Re-check: `fsmf-check {command} {src}` (details in report.json).", ""]
    return out


def _landscape(res: dict[str, Any]) -> list[str]:
    out = _generic("Landscape (T10)", res)
    if res.get("minima"):
        out += ["| loss | kind | certified (method) | spurious | fraction of starts |",
                "| --- | --- | --- | --- | --- |"]
        for mn in res["minima"]:
            how = f"yes ({mn.get('method')})" if mn["certified"] else "no"
            out.append(f"| {mn['objective_numeric']} | {mn['kind']} | {how} | "
                       f"{mn['spurious']} | {mn['fraction_of_starts']} |")
        out.append("")
        out += ["Re-check: `fsmf-check landscape CASE.toml --certificate cert.json`, then "
                "`fsmf-check verify cert.json`.", ""]
    if res.get("note"):
        out += [f"Note: {res['note']}.", ""]
    return out


def render_markdown(case: Case, results: dict[str, dict[str, Any]], omitted: dict[str, str],
                    pictures: list[str]) -> str:
    """Return the Markdown text of the report.

    Examples
    --------
    >>> from fsmf_check.inputs.cases import parse_case
    >>> from fsmf_check.commands.report import collect_results
    >>> case = parse_case({"name": "e1", "supports": {"I": ["10", "01"], "J": ["10", "01"]}})
    >>> res, omitted = collect_results(case, qe=False)
    >>> render_markdown(case, res, omitted, []).splitlines()[0]
    '# fsmf-check report: e1'
    """
    shape = case.shape
    shape_txt = ", ".join(f"{k} = {v}" for k, v in shape.items())
    desc = case.pattern.describe() if case.pattern is not None else case.chain.describe()  # type: ignore[union-attr]
    lines = [f"# fsmf-check report: {case.name}", ""]
    if case.description:
        lines += [case.description, ""]
    lines += [f"- kind: {case.kind}; {shape_txt}", f"- supports: {desc}"]
    if case.source:
        lines.append(f"- source: {case.source}")
    if case.target is not None:
        lines.append(f"- target: {case.target.kind}" + (" (exact)" if case.target.is_exact
                                                         else " (numeric)"))
    lines += ["- conventions: A ≈ X Yᵀ with supp(X) ⊆ I (m × r), supp(Y) ⊆ J (n × r); chains "
              "F[0] ⋯ F[L−1]; indices are 0-based; theorem labels refer to docs/theory.md", ""]
    lines += ["## Summary", ""] + _summary(results) + [""]
    if pictures:
        lines += ["## Pictures", ""]
        captions = {"supports.png": "support masks",
                    "rank_one_supports.png": "rank-one supports coloured by class",
                    "overlap_graph.png": "class overlap graph",
                    "witness.png": "closedness witness"}
        lines += [f"![{captions.get(p, p)}]({p})" for p in pictures] + [""]
    lines += _tractability(results["tractability"])
    lines += _closedness(results["closedness"])
    titles = {"membership": "Membership certificate", "identifiability": "Identifiability",
              "solve": "Optimum (numeric solver)"}
    src = str(case.case_ref().get("source") or "CASE.toml")
    for key, res in results.items():
        if key in ("tractability", "closedness", "landscape"):
            continue
        lines += _generic(titles.get(key, key.capitalize()), res, _RECHECK.get(key), src)
    if "landscape" in results:
        lines += _landscape(results["landscape"])
    if omitted:
        lines += ["## Sections not included", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(omitted.items())] + [""]
    lines += ["## Reproduce", "", "```sh", f"fsmf-check analyze {src}",
              f"fsmf-check closedness {src} --json", f"fsmf-check report {src} -o OUT", "```", ""]
    return "\n".join(lines)

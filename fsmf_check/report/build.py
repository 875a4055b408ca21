r"""Library entry point of ``fsmf-check report CASE -o DIR`` (SPEC §4).

Collects every answer the tool can give about one case — tractability (T1-T3, T6),
closedness (T5) with its independently re-checked witness, the exact membership /
identifiability certificate (fsmf_check.exact, when available), the numeric optimum
(fsmf_check.numeric, when available) and landscape facts (T10) — and writes
``report.json`` (the SPEC §5 envelope, command ``report``), ``report.md`` and PNG pictures,
all atomically. Everything outside the ``run`` section is deterministic.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .._output import EXIT_OK, Outcome, atomic_write_text, dumps, envelope, make_dir
from ..cases import Case, load_case
from ..errors import ExactnessError, InvalidInputError, NotApplicableError, SizeLimitError

__all__ = ["write_report", "report_outcome", "collect_results"]


def _tractability(case: Case) -> dict[str, Any]:
    from ..analysis.commands import tractability_of_case

    return tractability_of_case(case)


def _closedness(case: Case, qe: bool | str) -> dict[str, Any]:
    from ..closedness import decide_closedness
    from ..closedness_verify import verify_closedness

    res = decide_closedness(case, qe=qe).to_dict()
    check = verify_closedness(res)
    res["independent_check"] = {"checker": "fsmf_check.closedness_verify",
                                "verified": check.verified, "checks": list(check.checks)}
    return res


def _optional_engines(case: Case, omitted: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if case.target is None:
        omitted["membership"] = "the case has no [target]"
        omitted["solve"] = "the case has no [target]"
        return out
    from ..exact.commands import certify_case
    from ..numeric.commands import solve_case

    if not case.target.is_exact:
        omitted["membership"] = ("the target is numeric (floats); exact certificates need exact "
                                 "entries (integers, p/q, a+bi)")
    else:
        try:
            out.update(certify_case(case).results)
        except (NotApplicableError, SizeLimitError, ExactnessError) as exc:
            omitted["membership"] = f"the exact engine does not apply: {exc}"
    try:
        out.update(solve_case(case).results)
    except (NotApplicableError, SizeLimitError) as exc:
        omitted["solve"] = f"the numeric solver does not apply: {exc}"
    return out


def _is_e7(case: Case) -> bool:
    from ..landscape import E7_TARGET

    if case.pattern is None or case.target is None or not case.target.is_exact:
        return False
    if case.pattern.shape != (3, 3, 2) or case.target.entries is None:
        return False
    e7 = np.array([[1, 0], [1, 1], [0, 1]])
    same_masks = (np.array_equal(case.pattern.I_dense(), e7)
                  and np.array_equal(case.pattern.J_dense(), e7))
    return same_masks and all(case.target.entries[i][j] == E7_TARGET[i][j]
                              for i in range(3) for j in range(3))


def _landscape(case: Case, tract: dict[str, Any], clo: dict[str, Any],
               omitted: dict[str, str]) -> dict[str, Any] | None:
    from ..landscape import e7_certificate, lu_divergence, search_local_minima

    if case.pattern is None:
        omitted["landscape"] = "landscape facts are computed for two-factor cases only"
        return None
    if _is_e7(case):
        return e7_certificate().to_dict()
    P = case.pattern
    if P.shape == (2, 2, 2) and np.array_equal(P.I_dense(), [[1, 0], [1, 1]]) and \
            np.array_equal(P.J_dense(), [[1, 0], [1, 1]]):
        out = lu_divergence(steps=20000)
        return out.to_dict()
    if tract.get("rule") == "disjoint-or-identical":
        return {"verdict": "benign", "theorem": "T10",
                "explanation": ("The supports are disjoint or identical, so every local minimum "
                                "is global and there is no spurious valley ([LRG-SIMAX], "
                                "THEORY T10 §2.5): the loss decouples into independent "
                                "unconstrained low-rank problems."),
                "exact": True}
    t = case.target
    if t is None or t.entries is None:
        omitted["landscape"] = "no explicit target to probe the landscape with"
        return None
    if P.m * P.n > 400 or P.r > 12:
        omitted["landscape"] = "pattern too large for the seeded landscape probe (m*n > 400)"
        return None
    try:
        A = np.array([[float(x) if not hasattr(x, "im") else complex(float(x.re), float(x.im))
                       for x in row] for row in t.entries])
    except TypeError:
        omitted["landscape"] = "the target is not real"
        return None
    if np.iscomplexobj(A):
        omitted["landscape"] = "the landscape probe handles real targets only"
        return None
    res = search_local_minima(A, np.eye(P.n), P.I_dense().astype(float),
                              P.J_dense().T.astype(float), n_starts=8, seed=0, max_iter=1000)
    d = res.to_dict()
    d["inputs"] = {"target": "case target (as float64)", "X": "identity",
                   "starts": "numpy.random.default_rng([0, s]), s = 0..7",
                   "max_iter": 1000}
    if clo.get("verdict") == "not-closed":
        d["note"] = ("the set of products is not closed (T5), so minimizing sequences may "
                     "diverge; only converged stationary points are listed")
    return d


def collect_results(case: Case, *, qe: bool | str = "auto") -> tuple[dict[str, dict[str, Any]],
                                                                     dict[str, str]]:
    """Compute every result of the report; return (results, omitted sections with reasons)."""
    omitted: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    results["tractability"] = _tractability(case)
    results["closedness"] = _closedness(case, qe)
    results.update(_optional_engines(case, omitted))
    land = _landscape(case, results["tractability"], results["closedness"], omitted)
    if land is not None:
        results["landscape"] = land
    return results, omitted


def _pictures(case: Case, results: dict[str, dict[str, Any]], out_dir: Path,
              skipped: dict[str, str]) -> list[str]:
    from . import pictures as pics

    files: list[str] = []
    lim = pics.MAX_PICTURE_DIM
    if case.pattern is not None:
        P = case.pattern
        if max(P.m, P.n, P.r) <= lim:
            pics.support_masks_png(P.I_dense(), P.J_dense(), out_dir / "supports.png")
            files.append("supports.png")
            classes = results["tractability"].get("classes")
            if classes:
                pics.rank_one_supports_png(P.m, P.n, classes, out_dir / "rank_one_supports.png")
                files.append("rank_one_supports.png")
                edges = []
                for a in range(len(classes)):
                    for b in range(a + 1, len(classes)):
                        ra, rb = set(classes[a]["rows"]), set(classes[b]["rows"])
                        ca, cb = set(classes[a]["cols"]), set(classes[b]["cols"])
                        if ra & rb and ca & cb:
                            edges.append((a, b))
                pics.overlap_graph_png(classes, edges, out_dir / "overlap_graph.png")
                files.append("overlap_graph.png")
            else:
                skipped["rank_one_supports.png"] = "classes are not listed (too many)"
        else:
            skipped["supports.png"] = f"dimensions above {lim}"
    else:
        chain = case.chain
        assert chain is not None
        shapes = [chain.factor_mask(q).shape for q in range(chain.n_factors)] \
            if max(chain.shape) <= lim and chain.n_factors <= 8 else []
        if shapes and max(max(s) for s in shapes) <= lim:
            pics.chain_masks_png([chain.factor_mask(q).toarray() for q in range(chain.n_factors)],
                                 out_dir / "supports.png")
            files.append("supports.png")
        else:
            skipped["supports.png"] = f"chain larger than {lim} or more than 8 factors"
    w = results["closedness"].get("witness")
    if w is not None and w.get("kind") in ("lu-embedding", "completed-lu-sequence"):
        m, n = w["shape"]["m"], w["shape"]["n"]
        if max(m, n) <= lim:
            sample = w["sequence"]["samples"][1]
            e = w["embedding"]
            three = [[e["i1"], e["j1"]], [e["i1"], e["j2"]], [e["i2"], e["j1"]]]
            pics.witness_png(m, n, w["A"]["entries"], sample["product"], sample["t"], three,
                             out_dir / "witness.png")
            files.append("witness.png")
    return files


def write_report(case: Case | Path | str, out_dir: Path | str, *, pictures: bool = True,
                 qe: bool | str = "auto") -> Outcome:
    r"""Write ``report.md``, ``report.json`` and pictures for a case; return the Outcome.

    Parameters
    ----------
    case : Case or path
        The case (or its file).
    out_dir : path
        Output folder (created if missing). Existing report files are replaced atomically.
    pictures : bool
        Draw the PNG pictures (support masks, rank-one supports by class, overlap graph,
        witness entries).
    qe : bool or "auto"
        Passed to :func:`fsmf_check.closedness.decide_closedness`.

    Returns
    -------
    Outcome
        Command ``report``; ``results`` as in report.json; ``extra`` lists the files.

    Notes
    -----
    THEORY T1-T3, T5, T6, T8-T10 (whatever applies to the case). report.json is the SPEC §5
    envelope and is byte-identical on rerun outside its ``run`` section.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fsmf_check.cases import parse_case
    >>> case = parse_case({"name": "lu", "supports": {"family": "lu", "n": 2}})
    >>> out = write_report(case, pathlib.Path(tempfile.mkdtemp()), pictures=False)
    >>> out.results["closedness"]["verdict"], out.extra["files"]
    ('not-closed', ['report.json', 'report.md'])
    """
    from .markdown import render_markdown

    started = time.perf_counter()
    case = case if isinstance(case, Case) else load_case(case)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"report output {out_dir} exists and is not a directory"
        raise InvalidInputError(msg)
    make_dir(out_dir)
    results, omitted = collect_results(case, qe=qe)
    skipped: dict[str, str] = {}
    picture_files = _pictures(case, results, out_dir, skipped) if pictures else []
    files = sorted(["report.json", "report.md", *picture_files])
    extra: dict[str, Any] = {"files": files, "omitted_sections": omitted,
                             "skipped_pictures": skipped}
    outcome = Outcome(command="report", results=results, text="", exit_code=EXIT_OK,
                      case=case.case_ref(), shape=case.shape, extra=extra)
    md = render_markdown(case, results, omitted, picture_files)
    atomic_write_text(out_dir / "report.md", md)
    env = envelope(outcome, time.perf_counter() - started)
    atomic_write_text(out_dir / "report.json", dumps(env) + "\n")
    clo = results["closedness"]
    outcome.text = "\n".join([
        f"report for case {case.name} written to {out_dir}: {', '.join(files)}",
        f"  tractability: {results['tractability']['verdict']}",
        f"  closedness: {clo['verdict']}" + (f" ({clo['theorem']})" if clo.get("theorem")
                                              else ""),
        *(f"  {k}: {v['verdict']}" for k, v in results.items()
          if k not in ("tractability", "closedness")),
        *(f"  omitted {k}: {v}" for k, v in sorted(omitted.items())),
    ])
    return outcome


def report_outcome(case_path: Path | str, out_dir: Path | str, *, pictures: bool = True,
                   qe: bool | str = "auto") -> Outcome:
    r"""CLI entry point: load the case and call :func:`write_report`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c.toml").write_text('name = "e1"\n[supports]\nI = ["10", "01"]\nJ = ["10", "01"]\n')
    >>> report_outcome(d / "c.toml", d / "out", pictures=False).results["closedness"]["verdict"]
    'closed'
    """
    return write_report(load_case(case_path), out_dir, pictures=pictures, qe=qe)

r"""Write a report: ``report.md``, ``report.json`` and PNG pictures (renders, computes nothing).

:func:`write_report` takes the :class:`~fsmf_check.commands.report.ReportData` that
:func:`fsmf_check.commands.report.collect_report` computed and writes every file atomically;
``report.json`` is the JSON envelope of command ``report`` and is byte-identical on rerun
outside its ``run`` section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fsmf_check.commands.outcome import EXIT_OK, Outcome
from fsmf_check.commands.report import ReportData, collect_report
from fsmf_check.errors import InvalidInputError
from fsmf_check.files import atomic_write_text, check_outputs, make_dir, remove_stale
from fsmf_check.inputs.cases import Case, load_case
from fsmf_check.model.certificate_schema import SCHEMA, certificate_text
from fsmf_check.report.envelope import dumps, envelope

__all__ = ["write_report", "PICTURE_FILES", "CERTIFICATE_FILES", "REPORT_FILES"]

#: Every picture a report may draw (stale ones of an earlier report are removed).
PICTURE_FILES = ("supports.png", "rank_one_supports.png", "overlap_graph.png", "witness.png")
#: Every file a report may write.
CERTIFICATE_FILES = ("closedness.cert.json", "membership.cert.json", "identifiability.cert.json")
REPORT_FILES = ("report.md", "report.json", *PICTURE_FILES, *CERTIFICATE_FILES)


def _pictures(data: ReportData, out_dir: Path, skipped: dict[str, str]) -> list[str]:
    case, results = data.case, data.results
    from fsmf_check.report import pictures as pics

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
                pics.overlap_graph_png(classes, data.overlap_edges,
                                       out_dir / "overlap_graph.png")
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


def _certificates(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Certificate objects of the results, by file name (only complete certificates)."""
    found = {"closedness.cert.json": (results.get("closedness", {}).get("witness") or {}
                                      ).get("certificate"),
             "membership.cert.json": results.get("membership", {}).get("certificate"),
             "identifiability.cert.json": results.get("identifiability", {}).get("certificate")}
    return {name: c for name, c in found.items()
            if isinstance(c, dict) and c.get("schema") == SCHEMA}


def write_report(data: ReportData | Case | Path | str, out_dir: Path | str, *,
                 pictures: bool = True, qe: bool | str = "auto") -> Outcome:
    r"""Write ``report.md``, ``report.json`` and pictures for one case.

    Parameters
    ----------
    data : ReportData, Case or path
        What :func:`fsmf_check.commands.report.collect_report` computed for one case, or the
        case itself (a Case or a case-file path), which is then collected first.
    out_dir : path
        Output folder (created if missing). Existing report files are replaced atomically.
    pictures : bool
        Draw the PNG pictures (support masks, rank-one supports by class, overlap graph,
        witness entries).
    qe : bool or "auto"
        Closedness quantifier elimination (see :func:`fsmf_check.api.closedness`), used only when
        ``data`` is a case.

    Returns
    -------
    Outcome
        Command ``report``; ``results`` as in report.json; ``extra`` lists the files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fsmf_check.inputs.cases import parse_case
    >>> case = parse_case({"name": "lu", "supports": {"family": "lu", "n": 2}})
    >>> out = write_report(case, pathlib.Path(tempfile.mkdtemp()), pictures=False)
    >>> out.results["closedness"]["verdict"], out.extra["files"]
    ('not-closed', ['closedness.cert.json', 'report.json', 'report.md'])
    """
    from fsmf_check.report.markdown import render_markdown

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"report output {out_dir} exists and is not a directory"
        raise InvalidInputError(msg)
    if not isinstance(data, ReportData):
        if not isinstance(data, Case):
            data = load_case(data)
        # before any work: no report file may be the case or its target file
        check_outputs([out_dir / f for f in REPORT_FILES], data.input_files())
        data = collect_report(data, qe=qe)
    else:
        check_outputs([out_dir / f for f in REPORT_FILES], data.case.input_files())
    case, results, omitted = data.case, data.results, data.omitted
    make_dir(out_dir)
    skipped: dict[str, str] = {}
    picture_files = _pictures(data, out_dir, skipped) if pictures else []
    certs = _certificates(results)
    # pictures and certificates of an earlier report that this one does not write must not
    # survive into it
    remove_stale(out_dir, [f for f in (*PICTURE_FILES, *CERTIFICATE_FILES)
                           if f not in picture_files and f not in certs])
    files = sorted(["report.json", "report.md", *picture_files, *certs])
    extra: dict[str, Any] = {"files": files, "omitted_sections": omitted,
                             "skipped_pictures": skipped}
    outcome = Outcome(command="report", results=results, text="", exit_code=EXIT_OK,
                      case=case.case_ref(), shape=case.shape, extra=extra)
    md = render_markdown(case, results, omitted, picture_files)
    for name, cert in certs.items():
        atomic_write_text(out_dir / name, certificate_text(cert))
    if certs:
        md = md.rstrip("\n") + "\n\n" + "\n".join([
            "## Certificate files", "",
            "Each claim below is written as an `fsmf-check/certificate/2` file next to this "
            "report (OUT is this report's folder). Re-check any of them by exact arithmetic "
            "only (no engine, no Gröbner basis; exit 0 verified, 1 refuted, 2 malformed):",
            "", "```sh", *(f"fsmf-check verify OUT/{name}" for name in sorted(certs)), "```",
            ""])
    atomic_write_text(out_dir / "report.md", md)
    env = envelope(outcome, data.elapsed_s)
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

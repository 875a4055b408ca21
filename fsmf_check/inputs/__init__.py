"""Inputs: case files, matrix specs and matrix files, validated before anything is allocated.

:func:`load_case` / :func:`parse_case` read the case format (docs/reference/case-format.md);
:mod:`~fsmf_check.inputs.matrix_specs` is the one parser of matrix specs (``dft:1024``,
``hadamard:64``, ``random-butterfly:256:7``) and the numeric target generator;
:mod:`~fsmf_check.inputs.matrix_files` reads ``.npy``, ``.npz`` and ``.mtx`` files strictly.
"""

from __future__ import annotations

from fsmf_check.inputs.cases import Case, load_case, parse_case

__all__ = ["Case", "load_case", "parse_case"]

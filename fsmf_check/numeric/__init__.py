r"""Numeric engine: globally optimal two-factor FSMF (T2, T3) and the hierarchical algorithm (T7).

``solve_tractable`` solves certified two-factor patterns to global optimality by batched SVDs
of sub-blocks; ``hierarchical`` factorizes a matrix along a factor-bracketing tree of a chain
(butterfly, Kronecker, Monarch, deformable) with one batched SVD per split, optionally with
orthonormalization (T7), and reports the T9 error bound. ``load_matrix`` / ``numeric_target``
turn files, generator specs and case targets into validated float/complex arrays. Floats
never reach the exact engine: nothing here imports ``fsmf_check.exact``.
"""

from __future__ import annotations

from fsmf_check.inputs.matrix_specs import NumericMatrix, load_matrix, numeric_target
from fsmf_check.numeric.factors import ButterflyFactors, KroneckerFactors, SparseFactors
from fsmf_check.numeric.hierarchical import (
    HierarchicalResult,
    SplitRecord,
    hierarchical,
    level_error_bounds,
    level_errors,
    t9_bound,
)
from fsmf_check.numeric.tractable import TwoFactorSolution, closed_form_value, solve_tractable

__all__ = [
    "ButterflyFactors",
    "KroneckerFactors",
    "SparseFactors",
    "HierarchicalResult",
    "SplitRecord",
    "hierarchical",
    "level_errors",
    "level_error_bounds",
    "t9_bound",
    "NumericMatrix",
    "load_matrix",
    "numeric_target",
    "TwoFactorSolution",
    "closed_form_value",
    "solve_tractable",
]

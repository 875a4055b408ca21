"""fsmf-check: decide and certify properties of fixed-support matrix factorizations.

The analysis engine decides tractability of a support pattern (THEORY T1-T3, T6), the exact
engine certifies membership, recovery and identifiability, and the numeric engine solves
tractable instances and butterfly chains. See docs/index.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import *  # noqa: F403
from .kronecker import KronPattern
from .supports import Chain, SupportPattern

__all__ = ["__version__", "KronPattern", "Chain", "SupportPattern"]

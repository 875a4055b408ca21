"""fsmf-check: decide and certify properties of fixed-support matrix factorizations.
PLACEHOLDER
"""

from __future__ import annotations

from fsmf_check._version import __version__
from fsmf_check.errors import *  # noqa: F403
from fsmf_check.model.kronecker import KronPattern
from fsmf_check.model.supports import Chain, SupportPattern

__all__ = ["__version__", "KronPattern", "Chain", "SupportPattern"]

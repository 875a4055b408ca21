"""The one exception hierarchy of fsmf-check.

Mathematical answers ("not a member", "not closed", "not certified") are verdicts,
never exceptions. Exceptions are for bad input, misuse and bugs. The CLI maps
:class:`InvalidInputError` and :class:`ExactnessError` to exit code 2 with a one-line
message, and everything else to exit code 4.
"""

from __future__ import annotations

__all__ = [
    "FsmfError",
    "InvalidInputError",
    "ShapeError",
    "MaskError",
    "NonFiniteError",
    "SizeLimitError",
    "CaseFormatError",
    "ExactnessError",
    "NotApplicableError",
    "CertificateError",
]


class FsmfError(Exception):
    """Base class of every exception raised deliberately by fsmf-check."""


class InvalidInputError(FsmfError, ValueError):
    """Bad input: the user must change something (CLI exit code 2)."""


class ShapeError(InvalidInputError):
    """Inconsistent dimensions between A, I, J or consecutive chain factors."""


class MaskError(InvalidInputError):
    """A mask has an entry other than 0/1, the wrong number of dimensions, or is empty."""


class NonFiniteError(InvalidInputError):
    """NaN or infinity in a numeric input."""


class SizeLimitError(InvalidInputError):
    """A size above the documented limits (the limit is named in the message)."""


class CaseFormatError(InvalidInputError):
    """A malformed case file; the message names the file and the key or line."""

    def __init__(self, message: str, *, path: object = None, key: str | None = None):
        prefix = f"{path}: " if path is not None else ""
        super().__init__(prefix + message)
        self.path = path
        self.key = key


class ExactnessError(FsmfError, TypeError):
    """A float (or another inexact value) reached an exact code path."""


class NotApplicableError(FsmfError):
    """A method's precondition fails (e.g. a solver that needs a tractable pattern)."""


class CertificateError(FsmfError):
    """An independent checker rejected a certificate or witness."""

"""Exceptions raised by mlelib.

All of them subclass :class:`ValueError`, so code that catches ``ValueError`` keeps
working; the subclasses let a caller tell *why* an estimate does not exist.
"""

__all__ = ["DataError", "NoFiniteMLEError", "SeparationError"]


class DataError(ValueError):
    """The data are not valid input for the model (empty, non-finite, wrong shape, outside the support)."""


class NoFiniteMLEError(ValueError):
    """The data are valid, but the likelihood has no maximum at a finite, interior parameter value."""


class SeparationError(NoFiniteMLEError):
    """Logistic-regression classes are (quasi-)completely separated, so no finite MLE exists."""

"""Input checks shared by the estimators. Each raises :class:`DataError` naming the problem."""

import warnings

import numpy as np

from .errors import DataError


def _positions(mask, limit=5):
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    return f"[{shown}{', ...' if idx.size > limit else ''}]"


def as_sample(x, name="x"):
    """Return `x` as a 1-D float array of finite values, or raise :class:`DataError`."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc})") from None
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D (one observation per entry), got shape {arr.shape}")
    if arr.size == 0:
        raise DataError(f"{name} is empty: the MLE needs at least one observation")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(
            f"{name} contains {bad.sum()} non-finite value(s) (NaN or inf) at position(s) {_positions(bad)}"
        )
    return arr


def check_support(arr, ok, family, support, name="x"):
    """Raise :class:`DataError` unless every entry satisfies the boolean mask `ok`."""
    bad = ~ok
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise DataError(
            f"{family} data must be {support}; {name} has {bad.sum()} value(s) outside the support, "
            f"first {arr[first]:g} at position {first} (all at {_positions(bad)})"
        )


def as_parameter_vector(x, name="x"):
    """Return a parameter point `x` as a new non-empty 1-D float array of finite values."""
    try:
        arr = np.array(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a 1-D array of floats; could not convert it ({exc})") from None
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(f"{name} must be a non-empty 1-D array (one entry per parameter), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} must be finite, got {name} = {arr.tolist()}")
    return arr


def safe_negloglik(negloglik):
    """Wrap -l(theta) for optimisers and root finders: outside the parameter space it is +inf.

    An exception (``ValueError``, ``ArithmeticError``), NaN or inf from `negloglik` all become
    +inf, silently: the caller is probing points that may lie outside the parameter space.
    """

    def f(theta):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                value = float(np.asarray(negloglik(np.asarray(theta, dtype=float)), dtype=float).reshape(()))
        except (ValueError, ArithmeticError):
            return np.inf
        return value if np.isfinite(value) else np.inf

    return f


def is_count(arr):
    """Mask of entries that are non-negative integers (2.0 counts, 2.5 does not)."""
    return (arr >= 0) & (arr == np.floor(arr))

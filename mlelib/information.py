r"""Per-observation Fisher information :math:`I_1(\theta)` of the one-sample families.

For *n* i.i.d. observations the information is :math:`I_n(\theta) = n\,I_1(\theta)`. The
asymptotic variance of the MLE is :math:`1/(n I_1(\theta))` (scalar case) or
:math:`I_1(\theta)^{-1}/n` (matrix case).
"""

import numpy as np

from ._validate import to_float
from .errors import DataError

__all__ = [
    "fisher_info_bernoulli",
    "fisher_info_poisson",
    "fisher_info_exponential",
    "fisher_info_gaussian_mean",
    "fisher_info_gaussian_variance",
    "fisher_info_gaussian",
]


def _check(value, name, lo, lo_open=True, hi=None):
    arr = to_float(value, name)
    ok = np.isfinite(arr) & ((arr > lo) if lo_open else (arr >= lo))
    if hi is not None:
        ok &= arr < hi
    if not ok.all():
        rng = f"({lo}, {hi})" if hi is not None else f"> {lo}"
        raise DataError(f"{name} must be {rng}; got {arr[~ok].ravel()[0]:g}")
    return arr


def _out(value):
    return float(value) if np.ndim(value) == 0 else value


_TINY, _HUGE = np.finfo(float).tiny, np.finfo(float).max


def _info(compute, arr, name, formula, hint="; express the data in other units"):
    """Evaluate `compute(arr)` and refuse a result that float64 cannot represent.

    An information above the largest float (inf) or below the smallest normal float (0.0 or a
    subnormal without full precision) is a DataError naming the argument, instead of a silent
    inf / 0.0 or a bare ZeroDivisionError / OverflowError.
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        out = compute(np.asarray(arr, dtype=float))
    bad = ~(np.isfinite(out) & (out >= _TINY))
    if bad.any():
        i = np.flatnonzero(np.broadcast_to(bad, np.shape(out)).ravel())[0]
        value = np.broadcast_to(arr, np.shape(out)).ravel()[i]
        side = "above the largest" if not np.isfinite(np.ravel(out)[i]) else "below the smallest normal"
        raise DataError(
            f"the Fisher information {formula} at {name} = {value:g} is {side} float64 number "
            f"(normal floats span {_TINY:.3g} to {_HUGE:.3g}), so it cannot be represented{hint}"
        )
    return out


def fisher_info_bernoulli(p):
    r"""Per-observation information of Bernoulli(p): :math:`I_1(p) = \frac{1}{p(1-p)}`.

    Parameters
    ----------
    p : float or array_like
        Success probability, in (0, 1).

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        If `p` is not in the open interval (0, 1), or the information is not representable in float64 (above
        1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_bernoulli(0.5)
    4.0
    """
    p = _check(p, "p", 0.0, hi=1.0)
    return _out(_info(lambda q: (1.0 / q) / (1.0 - q), p, "p", "1/(p(1-p))", hint=""))


def fisher_info_poisson(lam):
    r"""Per-observation information of Poisson(λ): :math:`I_1(\lambda) = 1/\lambda`.

    Parameters
    ----------
    lam : float or array_like
        Rate, > 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        If `lam` is not positive and finite, or the information is not representable in float64 (above
        1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_poisson(4.0)
    0.25
    """
    lam = _check(lam, "lam", 0.0)
    return _out(_info(lambda v: 1.0 / v, lam, "lam", "1/lam"))


def fisher_info_exponential(rate):
    r"""Per-observation information of Exponential(rate λ): :math:`I_1(\lambda) = 1/\lambda^2`.

    Parameters
    ----------
    rate : float or array_like
        Rate, > 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        If `rate` is not positive and finite, or the information is not representable in float64 (above
        1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_exponential(2.0)
    0.25
    """
    rate = _check(rate, "rate", 0.0)
    return _out(_info(lambda v: (1.0 / v) * (1.0 / v), rate, "rate", "1/rate^2"))


def fisher_info_gaussian_mean(sigma2):
    r"""Per-observation information about the mean of :math:`N(\mu, \sigma^2)`, σ² known: :math:`1/\sigma^2`.

    Parameters
    ----------
    sigma2 : float or array_like
        The (known) variance, > 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        If `sigma2` is not positive and finite, or the information is not representable in float64 (above
        1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_gaussian_mean(4.0)
    0.25
    """
    sigma2 = _check(sigma2, "sigma2", 0.0)
    return _out(_info(lambda v: 1.0 / v, sigma2, "sigma2", "1/sigma2"))


def fisher_info_gaussian_variance(sigma2):
    r"""Per-observation information about the variance of :math:`N(\mu, \sigma^2)`: :math:`\frac{1}{2\sigma^4}`.

    This is the same whether μ is known or not, because the (μ, σ²) information matrix
    is diagonal.

    Parameters
    ----------
    sigma2 : float or array_like
        The variance, > 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        If `sigma2` is not positive and finite, or the information is not representable in float64 (above
        1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_gaussian_variance(1.0)
    0.5
    """
    sigma2 = _check(sigma2, "sigma2", 0.0)
    return _out(_info(lambda v: (1.0 / v) * (0.5 / v), sigma2, "sigma2", "1/(2 sigma2^2)"))


def fisher_info_gaussian(mu, sigma2):
    r"""Per-observation information matrix of :math:`N(\mu, \sigma^2)` in the parametrisation (μ, σ²).

    .. math::
        I_1(\mu, \sigma^2) = \begin{pmatrix} 1/\sigma^2 & 0 \\ 0 & 1/(2\sigma^4) \end{pmatrix}

    Parameters
    ----------
    mu : float
        The mean (the information does not depend on it; it is validated only).
    sigma2 : float
        The variance, > 0.

    Returns
    -------
    ndarray, shape (2, 2)

    Raises
    ------
    DataError
        If `mu` is not finite or `sigma2` is not positive and finite, or the information is not
        representable in float64 (above 1.8e308 or below the smallest normal float 2.2e-308).

    Examples
    --------
    >>> fisher_info_gaussian(0.0, 2.0)
    array([[0.5  , 0.   ],
           [0.   , 0.125]])
    """
    mu_arr = to_float(mu, "mu")
    if mu_arr.ndim != 0 or not np.isfinite(mu_arr):
        raise DataError(f"mu must be a finite scalar; got {mu!r}")
    s2 = _check(sigma2, "sigma2", 0.0)
    if s2.ndim != 0:
        raise DataError(f"sigma2 must be a scalar (this returns one 2 x 2 matrix); got shape {s2.shape}")
    i_mu = float(_info(lambda v: 1.0 / v, s2, "sigma2", "1/sigma2"))
    i_s2 = float(_info(lambda v: (1.0 / v) * (0.5 / v), s2, "sigma2", "1/(2 sigma2^2)"))
    return np.array([[i_mu, 0.0], [0.0, i_s2]])

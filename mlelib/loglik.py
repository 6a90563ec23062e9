"""Log-likelihoods of i.i.d. samples, computed as sums of log-densities (never a product).

Each function takes the data and the parameter(s); a parameter may be an array, in which
case the log-likelihood is evaluated at every value (handy for plotting a curve). The
data are validated like the estimators in :mod:`mlelib.closed_form` (complex, string or
non-finite input is a :class:`~mlelib.DataError`; bool and integer input becomes float64).
Sums are taken on data scaled by a power of 2, so data near the float64 limits do not
overflow; a log-likelihood that is finite but below -1.8e308 raises :class:`~mlelib.DataError`
instead of returning ``-inf``.
"""

import numpy as np
from scipy.special import gammaln, xlog1py, xlogy

from ._validate import as_sample, check_support, is_count, safe_mean, to_float
from .closed_form import _categorical_labels
from .errors import DataError

__all__ = ["gaussian_loglik", "bernoulli_loglik", "poisson_loglik", "exponential_loglik", "categorical_loglik"]


def _param(value, name, ok, valid):
    arr = to_float(value, name)
    bad = ~ok(arr) | ~np.isfinite(arr)
    if bad.any():
        raise DataError(f"{name} must be {valid}; got {arr[bad].ravel()[0]:g}")
    return arr


def _out(value):
    return float(value) if np.ndim(value) == 0 else value


def _representable(value, finite_expected=True):
    """Refuse a log-likelihood that is finite in exact arithmetic but overflows float64."""
    bad = ~np.isfinite(value) & finite_expected
    if np.any(bad):
        raise DataError(
            "the log-likelihood is finite but below -1.8e308, outside the float64 range (data or parameters "
            "near the float limits); rescale the data (change units) first"
        )
    return _out(value)


def gaussian_loglik(x, mu, sigma2):
    r"""Log-likelihood of an i.i.d. :math:`N(\mu, \sigma^2)` sample.

    .. math::
        \ell(\mu, \sigma^2) = -\frac n2 \log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\sum_i (x_i-\mu)^2

    Parameters
    ----------
    x : array_like, shape (n,)
        Observations.
    mu : float or array_like
        Mean(s); broadcast against `sigma2`.
    sigma2 : float or array_like
        Variance(s), each > 0.

    Returns
    -------
    float or ndarray
        The log-likelihood at each parameter value.

    Raises
    ------
    DataError
        For invalid data (see :func:`mlelib.gaussian_mle`) or ``sigma2 <= 0``.

    Examples
    --------
    >>> round(gaussian_loglik([0.0], 0.0, 1.0), 6)
    -0.918939
    """
    arr = as_sample(x)
    mu = _param(mu, "mu", lambda m: np.ones(m.shape, bool), "finite")
    sigma2 = _param(sigma2, "sigma2", lambda s: s > 0, "> 0")
    n = arr.size
    # sum (x - mu)^2 = sum (x - xbar)^2 + n (xbar - mu)^2: exact, and O(n) once for any number of mu.
    # The centred sum is taken on data scaled by a power of 2 (exact), so nothing overflows unless
    # the log-likelihood itself does.
    m = float(np.max(np.abs(arr)))
    e = int(np.floor(np.log2(m))) if m > 0 else 0
    z = np.ldexp(arr, -e)
    zbar = z.mean()
    ss_z = np.sum((z - zbar) ** 2)
    xbar = float(np.ldexp(zbar, e))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        sd = np.sqrt(sigma2)
        # ss / sigma2 with sigma2 = m 2^k split (frexp): 1 / sigma2 overflows for a subnormal sigma2 (and
        # 0 * inf would be NaN when the data are all equal), ss_z / m never does
        m_s, k_s = np.frexp(sigma2)
        # half of each quadratic term is formed directly (the halved value may fit where the full one does not)
        centred = np.where(ss_z > 0, np.ldexp(ss_z / m_s, 2 * e - k_s - 1), 0.0)
        diff = xbar - mu
        diff = np.where(np.isfinite(diff), diff, 2 * (xbar / 2 - mu / 2))  # xbar - mu overflowed
        shift = n * np.where(diff != 0, (diff / sd * np.sqrt(0.5)) ** 2, 0.0)
        value = -0.5 * n * (np.log(2 * np.pi) + np.log(sigma2)) - centred - shift
    return _representable(value)


def bernoulli_loglik(x, p):
    r"""Log-likelihood of i.i.d. Bernoulli(p) outcomes: :math:`k\log p + (n-k)\log(1-p)`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Outcomes, each 0 or 1.
    p : float or array_like
        Success probability (or probabilities), in [0, 1]. At p = 0 or 1 the value is
        0 or -inf, following the convention :math:`0\log 0 = 0`.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        For invalid data or p outside [0, 1].

    Examples
    --------
    >>> round(bernoulli_loglik([1, 0], 0.5), 6)
    -1.386294
    """
    arr = as_sample(x)
    check_support(arr, (arr == 0) | (arr == 1), "Bernoulli", "0 or 1")
    p = _param(p, "p", lambda q: (q >= 0) & (q <= 1), "in [0, 1]")
    k, n = arr.sum(), arr.size
    return _out(xlogy(k, p) + xlog1py(n - k, -p))


def poisson_loglik(x, lam):
    r"""Log-likelihood of i.i.d. Poisson(λ) counts: :math:`\sum_i x_i \log\lambda - n\lambda - \sum_i \log x_i!`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Non-negative integer counts.
    lam : float or array_like
        Rate(s), each >= 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        For invalid data or a negative rate.

    Examples
    --------
    >>> round(poisson_loglik([0, 2], 1.0), 6)
    -2.693147
    """
    arr = as_sample(x)
    check_support(arr, is_count(arr), "Poisson", "non-negative integers")
    lam = _param(lam, "lam", lambda r: r >= 0, ">= 0")
    n, xbar = arr.size, float(safe_mean(arr))
    with np.errstate(over="ignore"):
        value = n * (xlogy(xbar, lam) - lam) - gammaln(arr + 1).sum()
    return _representable(value, (lam > 0) | (xbar == 0))


def exponential_loglik(x, rate):
    r"""Log-likelihood of an i.i.d. Exponential(rate) sample: :math:`n\log\lambda - \lambda\sum_i x_i`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Observations, each >= 0.
    rate : float or array_like
        Rate(s), each > 0.

    Returns
    -------
    float or ndarray

    Raises
    ------
    DataError
        For invalid data or a non-positive rate.

    Examples
    --------
    >>> round(exponential_loglik([1.0, 3.0], 0.5), 6)
    -3.386294
    """
    arr = as_sample(x)
    check_support(arr, arr >= 0, "Exponential", ">= 0")
    rate = _param(rate, "rate", lambda r: r > 0, "> 0")
    with np.errstate(over="ignore"):
        value = arr.size * (np.log(rate) - rate * float(safe_mean(arr)))
    return _representable(value)


def categorical_loglik(x, probs):
    r"""Log-likelihood of i.i.d. Categorical labels: :math:`\sum_j n_j \log p_j`.

    Parameters
    ----------
    x : array_like, shape (n,)
        Class labels, integers in ``0..k-1`` where *k* is the length of the last axis of `probs`.
    probs : array_like, shape (k,) or (..., k)
        Class probabilities: non-negative, summing to 1 (to within 1e-9) along the last axis. A
        stack of probability vectors gives the log-likelihood at each one. A zero probability
        contributes 0 for an absent class (:math:`0\log 0 = 0`) and makes the value -inf for a
        class that occurs.

    Returns
    -------
    float or ndarray, shape (...)

    Raises
    ------
    DataError
        For invalid labels (see :func:`mlelib.categorical_mle`), a label :math:`\ge k`, or
        probabilities that are non-finite, negative, do not sum to 1, or are given as a scalar.

    Notes
    -----
    This is the multinomial log-probability of the class counts without the constant
    :math:`\log\bigl(n!/\prod_j n_j!\bigr)`, which does not involve *p*:
    ``scipy.stats.multinomial.logpmf(counts, n, probs)`` equals this value plus that constant.

    Examples
    --------
    >>> round(categorical_loglik([0, 2, 2, 1], [0.25, 0.25, 0.5]), 6)
    -4.158883
    >>> categorical_loglik([0, 1], [[0.5, 0.5], [1.0, 0.0]]).round(6).tolist()
    [-1.386294, -inf]
    """
    p = to_float(probs, "probs")
    if p.ndim == 0 or p.shape[-1] == 0:
        raise DataError(f"probs must be a vector of k >= 1 class probabilities (last axis); got shape {p.shape}")
    bad = ~np.isfinite(p) | (p < 0)
    if bad.any():
        raise DataError(f"probs must be finite and >= 0; got {p[bad].ravel()[0]:g}")
    sums = p.sum(axis=-1)
    off = np.abs(sums - 1.0) > 1e-9
    if np.any(off):
        first_off = np.ravel(sums)[np.argmax(np.ravel(off))]
        raise DataError(f"probs must sum to 1 along the last axis; got a sum of {first_off:.12g}")
    labels, k = _categorical_labels(x, p.shape[-1])
    counts = np.bincount(labels, minlength=k)
    return _out(np.sum(xlogy(counts, p), axis=-1))

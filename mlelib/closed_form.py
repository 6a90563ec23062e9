"""Closed-form maximum likelihood estimators for one-parameter-family samples.

Each function validates its input and raises :class:`~mlelib.errors.DataError` for data
the model cannot have produced, and :class:`~mlelib.errors.NoFiniteMLEError` when the
likelihood has no maximum at an interior parameter value.
"""

import numpy as np

from ._validate import as_sample, check_support, is_count, safe_mean
from .errors import DataError, NoFiniteMLEError

__all__ = ["gaussian_mle", "bernoulli_mle", "poisson_mle", "exponential_mle", "categorical_mle"]


def _mean_and_variance(arr):
    """Mean and (divide-by-n) variance without overflow or underflow in the intermediate sums.

    The data are scaled by a power of 2 near their largest magnitude (exact), centred, and the
    variance is scaled back; a variance outside the float64 range is refused, never returned as
    inf or 0.
    """
    m = float(np.max(np.abs(arr)))
    e = int(np.floor(np.log2(m))) if m > 0 else 0
    z = np.ldexp(arr, -e)
    zbar = z.mean()
    v = np.mean((z - zbar) ** 2)
    mu = float(np.ldexp(zbar, e))
    with np.errstate(over="ignore", under="ignore"):
        sigma2 = float(np.ldexp(v, 2 * e))
    if v > 0 and not (np.isfinite(sigma2) and sigma2 >= np.finfo(float).tiny):
        raise DataError(
            f"the sample variance (about 1e{np.log10(v) + 2 * e * np.log10(2):.0f}) is outside the float64 range "
            f"[{np.finfo(float).tiny:.3g}, {np.finfo(float).max:.3g}]: rescale the data (change units) first"
        )
    return mu, sigma2


def gaussian_mle(x):
    r"""MLE of the mean and variance of an i.i.d. Gaussian sample.

    Parameters
    ----------
    x : array_like, shape (n,)
        Observations, real and finite.

    Returns
    -------
    mu : float
        :math:`\hat\mu = \bar x`.
    sigma2 : float
        :math:`\hat\sigma^2 = \frac1n \sum_i (x_i - \bar x)^2` (divides by *n*, so it is
        biased downwards by the factor :math:`(n-1)/n`).

    Raises
    ------
    DataError
        If `x` is empty, not 1-D, complex, contains NaN/inf, or its variance is outside the
        float64 range; or if `x` is an integer array (e.g. int64 time stamps in ns) with values
        above 2**53 that float64 cannot hold exactly (pass ``x - x.min()``).
    NoFiniteMLEError
        If all observations are equal (including *n* = 1): the likelihood then grows
        without bound as :math:`\sigma^2 \to 0`, so no MLE with :math:`\sigma^2 > 0` exists.

    Notes
    -----
    The variance is computed from centred data (two passes), which avoids the
    cancellation of the one-pass formula :math:`\overline{x^2} - \bar x^2`, after scaling
    the data by a power of 2 near their largest magnitude (exact), so that data near the
    float64 limits (1e308, or subnormal 1e-310) give the right answer; a variance that is
    itself not representable raises :class:`DataError`.

    References
    ----------
    :cite:p:`casella2002statistical`, Example 7.2.11.

    Examples
    --------
    >>> gaussian_mle([1.0, 2.0, 3.0])
    (2.0, 0.6666666666666666)
    """
    arr = as_sample(x)
    if arr.min() == arr.max():
        raise NoFiniteMLEError(
            f"all {arr.size} observation(s) equal {arr[0]:g}: the Gaussian likelihood grows without bound "
            "as sigma2 -> 0, so no MLE with sigma2 > 0 exists (need at least two distinct values)"
        )
    mu, sigma2 = _mean_and_variance(arr)
    return float(mu), float(sigma2)


def bernoulli_mle(x):
    r"""MLE of the success probability of i.i.d. Bernoulli trials.

    Parameters
    ----------
    x : array_like, shape (n,)
        Outcomes, each 0 or 1 (booleans are accepted).

    Returns
    -------
    p : float
        :math:`\hat p = k/n`, the fraction of ones. It is 0 or 1 when all outcomes agree:
        the likelihood is then maximised on the boundary of :math:`[0, 1]`.

    Raises
    ------
    DataError
        If `x` is empty, not 1-D, contains NaN/inf, or any value other than 0 and 1.

    Examples
    --------
    >>> bernoulli_mle([1, 0, 1, 1])
    0.75
    """
    arr = as_sample(x)
    check_support(arr, (arr == 0) | (arr == 1), "Bernoulli", "0 or 1")
    return float(arr.mean())


def poisson_mle(x):
    r"""MLE of the rate of i.i.d. Poisson counts.

    Parameters
    ----------
    x : array_like, shape (n,)
        Counts: non-negative integers (``2.0`` is accepted, ``2.5`` is an error, never truncated).

    Returns
    -------
    lam : float
        :math:`\hat\lambda = \bar x`. It is 0 when all counts are 0 (a boundary maximum).

    Raises
    ------
    DataError
        If `x` is empty, not 1-D, contains NaN/inf, a negative or a non-integer value.

    Examples
    --------
    >>> poisson_mle([0, 2, 1, 3])
    1.5
    """
    arr = as_sample(x)
    check_support(arr, is_count(arr), "Poisson", "non-negative integers")
    return float(safe_mean(arr))


def exponential_mle(x):
    r"""MLE of the rate of an i.i.d. exponential sample.

    Parameters
    ----------
    x : array_like, shape (n,)
        Waiting times, each :math:`\ge 0`.

    Returns
    -------
    rate : float
        :math:`\hat\lambda = 1/\bar x`. Biased upwards: :math:`E[\hat\lambda] = \frac{n}{n-1}\lambda`.

    Raises
    ------
    DataError
        If `x` is empty, not 1-D, complex, contains NaN/inf or a negative value, or the mean
        is so small (subnormal) that :math:`1/\bar x` overflows.
    NoFiniteMLEError
        If every observation is 0: :math:`\ell(\lambda) = n\log\lambda` then increases
        without bound, so no finite MLE exists.

    Examples
    --------
    >>> exponential_mle([0.5, 1.5])
    1.0

    The mean is computed without overflow, even at the top of the float64 range:

    >>> exponential_mle([1e308, 1.5e308])
    8e-309
    """
    arr = as_sample(x)
    check_support(arr, arr >= 0, "Exponential", ">= 0")
    mean = float(safe_mean(arr))  # scaled: no overflow of the sum for data near 1e308
    if mean == 0.0:
        raise NoFiniteMLEError(
            f"all {arr.size} observation(s) are 0: the exponential log-likelihood n*log(rate) - rate*sum(x) "
            "increases without bound in rate, so no finite MLE exists"
        )
    with np.errstate(over="ignore"):
        rate = 1.0 / mean
    if not np.isfinite(rate):
        raise DataError(
            f"the mean waiting time {mean:.6g} is so small that the rate 1/mean overflows float64; "
            "rescale the data (change the time unit) first"
        )
    return rate


_MAX_CLASSES = 2**26  # a probability vector of 512 MB; more classes than this is a labelling slip


def _categorical_labels(x, k=None):
    """Validate class labels; return ``(labels as int64 array, k)``. Shared with :mod:`mlelib.loglik`."""
    arr = as_sample(x)
    if k is not None:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
            raise DataError(f"k (the number of classes) must be a positive integer; got {k!r}")
        k = int(k)
    whole = is_count(arr)
    check_support(arr, whole, "Categorical", "integer class labels 0, 1, 2, ... (non-negative integers)")
    if k is None:
        if arr.max() >= _MAX_CLASSES:
            raise DataError(
                f"x contains the label {arr.max():.6g}, so k = max(x) + 1 would be {arr.max() + 1:.6g} classes "
                f"(at most {_MAX_CLASSES} are supported: one probability each); labels must be class indices "
                "0..k-1: relabel with np.unique(x, return_inverse=True)[1]"
            )
        k = int(arr.max()) + 1
    elif k > _MAX_CLASSES:
        raise DataError(
            f"k = {k} classes is too many (at most {_MAX_CLASSES} are supported: one probability each); labels "
            "must be class indices 0..k-1: relabel with np.unique(x, return_inverse=True)[1]"
        )
    check_support(arr, arr < k, "Categorical", f"integer class labels in 0..{k - 1} (k = {k})")
    return arr.astype(np.int64), k


def categorical_mle(x, k=None):
    r"""MLE of the class probabilities of i.i.d. Categorical (one-draw Multinomial) labels.

    Parameters
    ----------
    x : array_like, shape (n,)
        Class labels, integers in ``0..k-1`` (``2.0`` is accepted, ``2.5`` is an error).
    k : int, optional
        Number of classes. Default ``max(x) + 1``. Give it explicitly when some classes may
        be absent from the sample, e.g. the last one.

    Returns
    -------
    probs : ndarray, shape (k,)
        :math:`\hat p_j = n_j / n`, the fraction of labels equal to *j*; non-negative and summing to 1.
        A class that never occurs gets :math:`\hat p_j = 0`: the maximum is then on the boundary of
        the probability simplex (no interior solution of the score equations exists).

    Raises
    ------
    DataError
        If `x` is empty, not 1-D, contains NaN/inf, a negative or non-integer label, or a label
        :math:`\ge k`; or if `k` is not a positive integer; or if `k` (given, or ``max(x) + 1``)
        exceeds :math:`2^{26}` classes (labels such as ``1e12`` are not class indices).

    Notes
    -----
    With counts :math:`n_j = \#\{i: x_i = j\}`, the log-likelihood
    :math:`\ell(p) = \sum_j n_j \log p_j` is maximised subject to :math:`\sum_j p_j = 1` by a
    Lagrange multiplier :math:`\lambda = n`:

    .. math::
        \frac{n_j}{p_j} = \lambda \quad\Rightarrow\quad \hat p_j = \frac{n_j}{n}.

    The estimator is unbiased, :math:`E[\hat p_j] = p_j`. With *k* = 2 it is
    ``(1 - bernoulli_mle(x), bernoulli_mle(x))``.

    References
    ----------
    :cite:p:`bishop2006pattern` (section 2.2), :cite:p:`casella2002statistical`.

    Examples
    --------
    >>> categorical_mle([0, 2, 2, 1]).tolist()
    [0.25, 0.25, 0.5]
    >>> categorical_mle([0, 1, 1, 1], k=3).tolist()
    [0.25, 0.75, 0.0]
    """
    labels, k = _categorical_labels(x, k)
    counts = np.bincount(labels, minlength=k)
    return counts / labels.size

r"""Monte Carlo sampling distributions of estimators, and the Monte Carlo error of what they report.

- :func:`simulate_estimator`: draw every replication at once (one ``(reps, n)`` array) and
  apply a vectorised estimator along axis 1;
- :func:`mc_standard_error`: the standard error of a mean, variance or standard deviation
  computed from ``reps`` simulated values, i.e. how much a simulation result would move if
  the simulation were rerun with another seed;
- :func:`mc_se_proportion`: the standard error of a simulated proportion (a coverage or a
  rejection rate), for planning the number of replications.
"""

import numpy as np

from ._validate import to_float
from .errors import DataError

__all__ = ["simulate_estimator", "mc_standard_error", "mc_se_proportion"]

_STATISTICS = ("mean", "variance", "sd")


def _positive_int(value, name, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def simulate_estimator(estimator, sampler, n, reps, rng):
    r"""Simulate the sampling distribution of an estimator: `reps` samples of size `n` at once.

    Parameters
    ----------
    estimator : callable
        ``estimator(x)`` takes a float array ``x`` of shape ``(reps, n)``, one simulated sample
        per **row**, and returns the estimates along axis 1: an array of shape ``(reps,)`` for a
        scalar parameter or ``(reps, k)`` for *k* parameters. Row *r* of the result must depend
        on row *r* of ``x`` only. Example: ``lambda x: x.mean(axis=1)``.
    sampler : callable
        ``sampler(rng, size)`` returns an array of shape ``size = (reps, n)`` of i.i.d. draws from
        the true model, using only `rng` for randomness. Example:
        ``lambda rng, size: rng.poisson(4.0, size=size)``.
    n : int
        Sample size of each replication, >= 1.
    reps : int
        Number of replications (independent samples), >= 1.
    rng : numpy.random.Generator
        The source of randomness; it is advanced by the draw.

    Returns
    -------
    ndarray, shape (reps,) or (reps, k)
        The estimates, one per replication, as floats. Non-finite estimates (say ``1/0``) are
        returned as they are: whether they are an error or an outcome is the caller's decision.

    Raises
    ------
    TypeError
        If `estimator` or `sampler` is not callable, or `rng` is not a ``numpy.random.Generator``.
    DataError
        If `n` or `reps` is not a positive integer, the sampler does not return a numeric array
        of shape ``(reps, n)``, or the estimator does not return one estimate (or one row of
        estimates) per replication.

    Notes
    -----
    With :math:`x^{(r)} = (x^{(r)}_1, \dots, x^{(r)}_n)`, :math:`r = 1, \dots, R`, independent
    samples from the model, the function returns

    .. math:: \hat\theta^{(r)} = T\bigl(x^{(r)}\bigr), \qquad r = 1, \dots, R,

    an i.i.d. sample from the sampling distribution of :math:`T`. Summaries of it (mean, variance,
    quantiles) estimate those of the sampling distribution with Monte Carlo error of order
    :math:`1/\sqrt R`; see :func:`mc_standard_error`.

    All replications are drawn in one call, so the same `rng` state gives exactly the same
    estimates, and memory grows as ``reps * n`` floats (8 bytes each).

    References
    ----------
    :cite:p:`casella2002statistical` (section 5.6), :cite:p:`wasserman2004all` (chapter 24).

    Examples
    --------
    The variance of the mean of *n* standard normals is :math:`1/n`:

    >>> rng = np.random.default_rng(0)
    >>> means = simulate_estimator(lambda x: x.mean(axis=1),
    ...                            lambda rng, size: rng.normal(size=size),
    ...                            n=25, reps=20_000, rng=rng)
    >>> means.shape
    (20000,)
    >>> round(float(25 * means.var()), 2)
    1.0
    """
    if not callable(estimator):
        raise TypeError(f"estimator must be callable, estimator(x) with x of shape (reps, n); got {estimator!r}")
    if not callable(sampler):
        raise TypeError(f"sampler must be callable, sampler(rng, size=(reps, n)); got {sampler!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (use np.random.default_rng(seed)); got {type(rng).__name__}"
        )
    n = _positive_int(n, "n")
    reps = _positive_int(reps, "reps")
    draws = sampler(rng, size=(reps, n))
    try:
        x = to_float(draws, "sampler(rng, size=(reps, n))")
    except DataError as exc:
        raise DataError(f"sampler(rng, size=(reps, n)) must return a numeric array; converting it failed: {exc}") from None
    if x.shape != (reps, n):
        raise DataError(
            f"sampler must return an array of shape (reps, n) = ({reps}, {n}); got shape {x.shape}"
        )
    estimates = estimator(x)
    try:
        est = to_float(estimates, "estimator(x)")
    except DataError as exc:
        raise DataError(f"estimator(x) must return a numeric array; converting it failed: {exc}") from None
    if est.ndim not in (1, 2) or est.shape[0] != reps:
        hint = " (did it reduce along axis 0 instead of axis 1?)" if est.shape == (n,) else ""
        raise DataError(
            f"estimator must return one estimate per replication, shape ({reps},) or ({reps}, k); "
            f"got shape {est.shape}{hint}"
        )
    return est


def _as_values(values):
    arr = to_float(values, "values")
    if arr.ndim not in (1, 2):
        raise DataError(f"values must be 1-D (reps,) or 2-D (reps, k); got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise DataError(f"values must hold at least 2 replications to estimate a standard error; got {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = np.argwhere(bad)[0]
        raise DataError(
            f"values contain {bad.sum()} non-finite entr(y/ies) (NaN or inf), first at index {tuple(first.tolist())}; "
            "drop or count them before summarising"
        )
    return arr


def mc_standard_error(values, statistic="mean"):
    r"""Monte Carlo standard error of the mean, variance or standard deviation of simulated values.

    Parameters
    ----------
    values : array_like, shape (reps,) or (reps, k)
        Independent simulated values, e.g. the output of :func:`simulate_estimator` or squared
        errors computed from it. Columns are treated separately.
    statistic : {"mean", "variance", "sd"}
        The summary whose standard error is wanted: the sample mean, the sample variance
        (``ddof=1``) or the sample standard deviation of `values`.

    Returns
    -------
    float or ndarray, shape (k,)
        The estimated standard error (a float for 1-D `values`).

    Raises
    ------
    DataError
        If `values` is not numeric, not 1-D or 2-D, has fewer than 2 rows or contains NaN/inf;
        or if `statistic` is not one of the three names.

    Notes
    -----
    With *R* values, sample mean :math:`\bar v`, sample variance :math:`s^2` and fourth central
    moment :math:`m_4 = \frac1R \sum_r (v_r - \bar v)^4`,

    .. math::
        \operatorname{se}(\bar v) = \frac{s}{\sqrt R}, \qquad
        \operatorname{se}(s^2) = \sqrt{\frac{1}{R}\Bigl(m_4 - \frac{R-3}{R-1}\, s^4\Bigr)}, \qquad
        \operatorname{se}(s) = \frac{\operatorname{se}(s^2)}{2 s}.

    The variance formula is the exact variance of :math:`s^2` with the population moments replaced
    by sample moments; for normal values it is close to :math:`s^2\sqrt{2/(R-1)}`. The standard
    deviation uses the delta method. A tolerance of about 4 standard errors is exceeded by chance
    with probability below :math:`10^{-4}` when the summary is approximately normal.

    References
    ----------
    :cite:p:`casella2002statistical` (exercise 5.8), :cite:p:`wasserman2004all` (section 5.5).

    Examples
    --------
    >>> v = np.array([1.0, 2.0, 3.0, 4.0])
    >>> round(mc_standard_error(v), 4)
    0.6455
    >>> round(mc_standard_error(v, "variance"), 4)
    0.6396
    """
    if not isinstance(statistic, str) or statistic not in _STATISTICS:
        raise DataError(f"statistic must be one of {', '.join(_STATISTICS)}; got {statistic!r}")
    arr = _as_values(values)
    reps = arr.shape[0]
    # each column scaled by a power of 2 near its own largest magnitude (exact), so that no moment
    # overflows, nor underflows in a column much smaller than another (columns are separate summaries)
    mcol = np.max(np.abs(arr), axis=0)
    m = float(np.max(mcol))
    with np.errstate(divide="ignore"):
        e = np.where(mcol > 0, np.floor(np.log2(np.where(mcol > 0, mcol, 1.0))), 0.0).astype(int)
    z = np.ldexp(arr, -e)
    s2 = z.var(axis=0, ddof=1)
    if statistic == "mean":
        se, power = np.sqrt(s2 / reps), 1
    else:
        m4 = np.mean((z - z.mean(axis=0)) ** 4, axis=0)
        se, power = np.sqrt(np.maximum(m4 - (reps - 3) / (reps - 1) * s2**2, 0.0) / reps), 2
        if statistic == "sd":
            with np.errstate(divide="ignore", invalid="ignore"):
                se, power = np.where(s2 > 0, se / (2 * np.sqrt(s2)), 0.0), 1
    with np.errstate(over="ignore"):
        se = np.ldexp(se, power * e)
    if not np.all(np.isfinite(se)):
        raise DataError(
            f"the standard error of the {statistic} of these values overflows float64 (values up to {m:.3g}); "
            "rescale the values first"
        )
    return float(se) if np.ndim(se) == 0 else se


def mc_se_proportion(p, reps):
    r"""Standard error of a proportion estimated from `reps` independent replications.

    Parameters
    ----------
    p : float or array_like
        The true (or planned) proportion, in [0, 1]; e.g. 0.95 for the coverage of a 95% interval.
    reps : int
        Number of replications, >= 1.

    Returns
    -------
    float or ndarray
        :math:`\sqrt{p(1-p)/R}`.

    Raises
    ------
    DataError
        If `p` is outside [0, 1] or not finite, or `reps` is not a positive integer.

    Notes
    -----
    The number of "successes" among *R* independent replications is Binomial(*R*, *p*), so the
    simulated proportion :math:`\hat p = k/R` has standard deviation

    .. math:: \operatorname{se}(\hat p) = \sqrt{\frac{p(1-p)}{R}}.

    Solving for *R* plans a simulation: a coverage near 0.95 known to :math:`\pm 0.005`
    (one standard error) needs :math:`R = 0.95 \cdot 0.05 / 0.005^2 = 1900` replications.

    References
    ----------
    :cite:p:`casella2002statistical` (section 3.2).

    Examples
    --------
    >>> round(mc_se_proportion(0.95, 1900), 4)
    0.005
    """
    reps = _positive_int(reps, "reps")
    arr = to_float(p, "p")
    ok = np.isfinite(arr) & (arr >= 0) & (arr <= 1)
    if not ok.all():
        raise DataError(f"p must be a proportion in [0, 1]; got {arr[~ok].ravel()[0]:g}")
    se = np.sqrt(arr * (1 - arr) / reps)
    return float(se) if se.ndim == 0 else se

r"""Inference that survives a wrong model or a small sample.

- :func:`sandwich_cov` and :func:`glm_sandwich_cov`: the Huber–White "sandwich" covariance
  (HC0), valid when the model used to fit is misspecified;
- :func:`jackknife_bias` and :func:`bootstrap_bias`: two general estimates of the
  small-sample bias of an estimator, and the bias-corrected estimate.
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg, special

from ._validate import _show, as_sample, check_callable, real_output, to_float
from .errors import DataError

__all__ = ["sandwich_cov", "glm_sandwich_cov", "jackknife_bias", "bootstrap_bias", "BiasCorrection"]

_FAMILIES = ("poisson", "logistic", "linear")


# ----------------------------------------------------------------------------------------------
# sandwich covariance


def _as_matrix(a, name):
    arr = to_float(a, name)
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains non-finite values (NaN or inf); all entries must be finite")
    return arr


def sandwich_cov(scores, hessian):
    r"""Huber–White sandwich covariance (HC0) from per-observation scores and the Hessian.

    Parameters
    ----------
    scores : array_like, shape (n, k)
        Row *i* is the score contribution of observation *i* at the estimate,
        :math:`s_i = \partial \log f(y_i; \theta)/\partial\theta \,|_{\hat\theta}`.
        A 1-D array is read as a one-parameter model, shape (n, 1).
    hessian : array_like, shape (k, k)
        Hessian of the **negative** log-likelihood at the estimate (the observed
        information :math:`J(\hat\theta)`); symmetric positive definite at a maximum.
        For k = 1 a scalar is accepted.

    Returns
    -------
    ndarray, shape (k, k)
        :math:`J^{-1} \bigl(\sum_i s_i s_i^\top\bigr) J^{-1}`, symmetric.

    Raises
    ------
    DataError
        If `scores` is not a finite (n, k) array with n >= 1, `hessian` is not a finite
        (k, k) array matching it, or `hessian` is not symmetric positive definite.

    Notes
    -----
    If the model is right, the information identity makes the "meat"
    :math:`B = \sum_i s_i s_i^\top` and the "bread" :math:`J` estimate the same matrix, and the
    sandwich reduces to the model-based :math:`J^{-1}`. If the model is wrong, the MLE still
    converges to the parameter :math:`\theta^*` of the model closest to the truth in
    Kullback–Leibler divergence, and :math:`\sqrt n(\hat\theta - \theta^*)` is asymptotically
    normal with covariance estimated by

    .. math:: \widehat{\operatorname{Cov}}(\hat\theta) = J(\hat\theta)^{-1}\, \Bigl(\sum_{i=1}^n s_i s_i^\top\Bigr)\, J(\hat\theta)^{-1},

    with no small-sample degrees-of-freedom correction (statsmodels' ``cov_type="HC0"``).

    References
    ----------
    :cite:p:`huber1967behavior`, :cite:p:`white1982maximum`, :cite:p:`white1980heteroskedasticity`.

    Examples
    --------
    Poisson mean of counts with the model-based variance :math:`\bar y / n` and the sandwich
    :math:`\sum_i (y_i - \bar y)^2 / n^2`:

    >>> y = np.array([0.0, 1.0, 1.0, 2.0, 6.0])
    >>> lam = y.mean()
    >>> scores = (y / lam - 1.0)[:, None]
    >>> round(float(sandwich_cov(scores, [[y.size / lam]])[0, 0]), 4)
    0.88
    >>> round(float(np.mean((y - lam) ** 2) / y.size), 4)
    0.88
    """
    S = _as_matrix(scores, "scores")
    if S.ndim == 1:
        S = S[:, None]
    if S.ndim != 2 or S.shape[0] < 1:
        raise DataError(f"scores must be a 2-D array of shape (n, k), one row per observation, got shape {S.shape}")
    k = S.shape[1]
    H = _as_matrix(hessian, "hessian")
    if k == 1 and H.size == 1:
        H = H.reshape(1, 1)
    if H.shape != (k, k):
        raise DataError(
            f"hessian must have shape ({k}, {k}) to match scores with {k} columns, got shape {H.shape}"
        )
    if not np.allclose(H, H.T, rtol=1e-8, atol=1e-12 * max(1.0, np.abs(H).max())):
        raise DataError("hessian must be symmetric (it is a matrix of second derivatives); got an asymmetric matrix")
    try:
        chol = linalg.cho_factor(H, lower=True)
    except linalg.LinAlgError:
        eig = np.linalg.eigvalsh(H)
        raise DataError(
            "hessian of the negative log-likelihood must be positive definite at a maximum; "
            f"its smallest eigenvalue is {eig.min():.3g}"
        ) from None
    A = linalg.cho_solve(chol, S.T)  # J^{-1} S^T, shape (k, n)
    cov = A @ A.T
    return (cov + cov.T) / 2


def _glm_parts(X, y, beta, family, eta=None):
    if eta is None:
        eta = X @ beta
    with np.errstate(over="ignore", invalid="ignore"):
        if family == "poisson":
            mu = np.exp(eta)
            return (y - mu), mu
        if family == "logistic":
            p = special.expit(eta)
            return (y - p), p * (1 - p)
        resid = y - eta  # linear: sigma^2 cancels in the sandwich, so use sigma^2 = 1
        return resid, np.ones_like(resid)


def glm_sandwich_cov(X, y, params, family):
    r"""Sandwich (HC0) covariance of the coefficients of a linear, logistic or Poisson regression.

    Parameters
    ----------
    X : array_like, shape (n, k)
        The design matrix the model was fitted with.
    y : array_like, shape (n,)
        The responses.
    params : array_like, shape (k,), or MLEResult
        The fitted coefficients :math:`\hat\beta` (e.g. ``fit_poisson(X, y).params``); a result
        object with a ``params`` attribute is accepted.
    family : {"poisson", "logistic", "linear"}
        The model that produced `params` (canonical link: log, logit, identity).

    Returns
    -------
    ndarray, shape (k, k)
        :func:`sandwich_cov` with scores :math:`s_i = (y_i - \mu_i)\,x_i` and Hessian
        :math:`X^\top W X`; it matches statsmodels' ``fit(cov_type="HC0")``.

    Raises
    ------
    DataError
        If `family` is unknown; `X`, `y` or `params` are not real, finite arrays of matching shapes
        (validated as by the fitters: complex, string, masked or empty input, fewer rows than
        columns); `y` is outside the family's support (labels 0/1, counts); `X` is rank-deficient
        (the fitters' rank rule: the coefficients, and so their covariance, are not identifiable);
        or the fitted means or weights at `params` are not finite and positive.

    Notes
    -----
    For a canonical-link GLM with mean :math:`\mu_i` and variance function :math:`w_i`
    (:math:`\mu_i` for Poisson, :math:`\mu_i(1-\mu_i)` for logistic, 1 for linear),

    .. math:: \widehat{\operatorname{Cov}}(\hat\beta) = (X^\top W X)^{-1}\Bigl(\sum_i (y_i-\hat\mu_i)^2 x_i x_i^\top\Bigr)(X^\top W X)^{-1}.

    As in the fitters, the sandwich is computed on the standardised design :math:`Z = XT` (centred
    where the constant vector lies in the column space, orthonormalised when ill-conditioned) and
    mapped back as :math:`T\,\widehat{\operatorname{Cov}}_Z T^\top`, which is exact: with
    :math:`X = ZT^{-1}` the scores are :math:`T^{-\top}s_Z` and the Hessian :math:`T^{-\top}H_ZT^{-1}`.

    For the linear model the noise variance cancels and this is White's
    heteroskedasticity-consistent estimator :math:`(X^\top X)^{-1} X^\top \operatorname{diag}(e_i^2) X (X^\top X)^{-1}`.

    References
    ----------
    :cite:p:`white1980heteroskedasticity`, :cite:p:`mccullagh1989generalized`.

    Examples
    --------
    A straight line through heteroscedastic points:

    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> y = np.array([0.1, 0.9, 2.3, 2.6, 4.9, 4.4])
    >>> beta = np.linalg.lstsq(X, y, rcond=None)[0]
    >>> glm_sandwich_cov(X, y, beta, family="linear").round(4)
    array([[ 0.0229, -0.0127],
           [-0.0127,  0.0128]])
    """
    from ._validate import check_support, is_count
    from .regression import _as_real_array, _full_rank_factor, _prepare, _shifted_matvec, _standardise, _weighted_gram

    if not isinstance(family, str) or family not in _FAMILIES:
        raise DataError(f"family must be one of {_FAMILIES}, got {family!r}")
    Xa, ya, names = _prepare(X, y, None)
    n, k = Xa.shape
    if family == "logistic":
        check_support(ya, (ya == 0) | (ya == 1), "Logistic-regression", "labels 0 or 1 (booleans are accepted)", name="y")
    elif family == "poisson":
        check_support(ya, is_count(ya), "Poisson", "non-negative integer counts (2.0 is fine, 2.5 is not)", name="y")
    from .glm import GLMResult

    if isinstance(params, GLMResult):  # its model must be the canonical one named by `family`, without offset
        canonical = {"poisson": ("poisson", "log"), "logistic": ("binomial", "logit"), "linear": ("gaussian", "identity")}
        lr = getattr(params, "_lr_data", {})
        extras = [
            what
            for what, present in (
                ("an offset", lr.get("offset") is not None and np.any(lr["offset"] != 0)),
                ("trials", lr.get("trials") is not None),
                ("a penalty", params.penalty is not None),
            )
            if present
        ]
        if (params.family, params.link) != canonical[family] or extras:
            raise DataError(
                f"params is a fit_glm result for the {params.family} family with the {params.link} link"
                + (f" and {', '.join(extras)}" if extras else "")
                + f", not the canonical {family} model glm_sandwich_cov computes; use "
                "fit_glm(..., cov_type='HC0') on the same model for its sandwich covariance"
            )
    raw = getattr(params, "params", params)
    if raw is None:
        raise DataError(
            f"params must be the {k} fitted coefficients (an array of shape ({k},), or a fitted result with a "
            "params attribute such as fit_poisson(X, y)), got None"
        )
    beta = _as_real_array(raw, "params")
    if beta.shape != (k,):
        raise DataError(f"params must have shape ({k},) to match the {k} columns of X, got shape {beta.shape}")
    if not np.all(np.isfinite(beta)):
        raise DataError(f"params must be finite, got {beta.tolist()}")
    # As the fitters do: on the well-conditioned Z = X T (X itself for ordinary designs), with the same
    # rank rule (a non-identifiable design has no covariance), then mapped back exactly.
    Z, std, G = _standardise(Xa)
    _, _, Z, std = _full_rank_factor(Z, names, G, std.data_tol, std, orthogonalise=True)
    resid, w = _glm_parts(Xa, ya, beta, family, eta=_shifted_matvec(Xa, std.shift, beta))
    if not (np.all(np.isfinite(resid)) and np.all(np.isfinite(w))):
        raise DataError(
            f"the fitted means at params are not finite (exp(X @ params) overflows; largest |X @ params| is "
            f"{np.max(np.abs(_shifted_matvec(Xa, std.shift, beta))):.3g}): params are not the fit of this model "
            "to these data"
        )
    hessian = _weighted_gram(Z, w)
    try:
        linalg.cholesky(hessian)
    except linalg.LinAlgError:
        raise DataError(
            f"the information X'WX at params is singular: the {family} weights (variance function) vanish on "
            "too many observations (fitted probabilities of exactly 0 or 1, or fitted means of 0), so params "
            "cannot be a finite maximum-likelihood estimate for these data"
        ) from None
    return std.cov(sandwich_cov(resid[:, None] * Z, hessian), names)


# ----------------------------------------------------------------------------------------------
# bias corrections


@dataclass(frozen=True)
class BiasCorrection:
    r"""The result of :func:`jackknife_bias` or :func:`bootstrap_bias`.

    Attributes
    ----------
    estimate : float or ndarray
        The estimator on the full sample, :math:`\hat\theta`.
    bias : float or ndarray
        The estimated bias :math:`\widehat{b} \approx E[\hat\theta] - \theta`.
    corrected : float or ndarray
        The bias-corrected estimate :math:`\hat\theta - \widehat{b}`.
    se : float or ndarray
        The jackknife or bootstrap standard error of :math:`\hat\theta`.
    replicates : ndarray
        The leave-one-out or bootstrap values of the estimator, one per row.
    """

    estimate: object
    bias: object
    corrected: object
    se: object
    replicates: np.ndarray


def _scalar_or_array(a):
    a = np.asarray(a, dtype=float)
    return float(a) if a.ndim == 0 else a


def _check_vectorized(vectorized):
    if not isinstance(vectorized, (bool, np.bool_)):
        raise TypeError(
            f"vectorized must be True or False (whether estimator takes a 2-D array of samples); "
            f"got {vectorized!r} of type {type(vectorized).__name__}"
        )
    return bool(vectorized)


def _stack(values, shape, what):
    """Replicates (arrays from `values`) stacked along axis 0; DataError unless each has `shape`.

    `shape` is the shape of the full-sample estimate: an estimator whose output length depends on
    the sample (e.g. ``np.unique``) has no per-component bias.
    """
    out = []
    for i, v in enumerate(values):
        if v.shape != shape:
            raise DataError(
                f"estimator must return the same shape for every sample: it returned shape {shape} on the "
                f"full sample but shape {v.shape} on {what} {i} ({_show(v.tolist())}); the bias is only "
                "defined component by component, for an output of fixed shape"
            )
        out.append(v)
    return np.array(out)


def _apply(estimator, samples, vectorized, shape, what="resample"):
    """Estimator values on each row of `samples` (shape (m, size)), stacked along axis 0."""
    m = samples.shape[0]
    if vectorized:
        out = real_output(estimator(samples), "estimator")
        if out.ndim == 0 or out.shape[0] != m:
            raise DataError(
                f"a vectorized estimator must return one value per row: expected leading dimension {m}, "
                f"got shape {out.shape} (reduce along the last axis, e.g. lambda s: s.var(axis=-1))"
            )
        if out.shape[1:] != shape:
            raise DataError(
                f"a vectorized estimator must return, per row, the shape it returns on the full sample "
                f"{shape}; got shape {out.shape[1:]} per row"
            )
        return out
    return _stack((real_output(estimator(row), "estimator") for row in samples), shape, what)


def _leave_one_out(xa):
    """Yield the n leave-one-out samples, one at a time: O(n) memory (one buffer, copied per call).

    The buffer for "leave out i" holds xa[:i] then xa[i+1:]; moving from i-1 to i changes one entry.
    Each sample is a fresh copy, so an estimator that sorts or modifies its input in place is safe.
    """
    buf = xa[1:].copy()
    yield buf.copy()
    for i in range(1, xa.size):
        buf[i - 1] = xa[i - 1]
        yield buf.copy()


def jackknife_bias(estimator, x, *, vectorized=False):
    r"""Jackknife estimate of the bias of `estimator`, and the bias-corrected estimate.

    Parameters
    ----------
    estimator : callable
        Maps a 1-D sample to a number (or a fixed-shape array). With ``vectorized=True`` it
        is called once on an (n, n-1) array and must reduce along the last axis.
    x : array_like, shape (n,)
        The sample, n >= 2, finite.
    vectorized : bool, default False
        Whether `estimator` accepts a 2-D array of samples, one per row.

    Returns
    -------
    BiasCorrection
        ``estimate`` :math:`\hat\theta`, ``bias`` :math:`\hat b_J`, ``corrected``
        :math:`\hat\theta_J = \hat\theta - \hat b_J`, ``se`` the jackknife standard error and the
        n leave-one-out ``replicates`` :math:`\hat\theta_{(i)}`.

    Raises
    ------
    DataError
        If `x` is not a finite 1-D sample of size at least 2, or the estimator's output does not have
        the same shape on every leave-one-out sample as on the full sample (a vectorized estimator:
        one such value per row).
    TypeError
        If `vectorized` is not a bool.

    Notes
    -----
    With :math:`\bar\theta_{(\cdot)} = \frac1n\sum_i \hat\theta_{(i)}`,

    .. math::

        \hat b_J = (n-1)\bigl(\bar\theta_{(\cdot)} - \hat\theta\bigr), \qquad
        \hat\theta_J = n\hat\theta - (n-1)\bar\theta_{(\cdot)}, \qquad
        \widehat{\mathrm{se}}_J = \Bigl\{\tfrac{n-1}{n}\sum_i \bigl(\hat\theta_{(i)} - \bar\theta_{(\cdot)}\bigr)^2\Bigr\}^{1/2}.

    If :math:`E[\hat\theta] = \theta + a/n + O(n^{-2})`, the corrected estimate has bias
    :math:`O(n^{-2})`; when the bias is exactly :math:`a/n` (as for the variance MLE
    :math:`\hat\sigma^2`, whose jackknife correction is exactly the :math:`n-1` divisor) it
    removes it completely. The default path calls `estimator` on one leave-one-out sample at a
    time (extra memory :math:`O(n)`: 160 kB at n = 20 000); the vectorized path builds the
    (n, n-1) leave-one-out matrix (memory :math:`O(n^2)`, 3.2 GB at n = 20 000).

    References
    ----------
    :cite:p:`quenouille1956notes`, :cite:p:`efron1993introduction` (Chapter 11).

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 4.0, 7.0])
    >>> jk = jackknife_bias(np.var, x)
    >>> round(jk.estimate, 4), round(jk.corrected, 4), round(float(np.var(x, ddof=1)), 4)
    (5.25, 7.0, 7.0)
    """
    check_callable(estimator, "estimator", "estimator(sample) -> number for a 1-D sample")
    xa = as_sample(x)
    n = xa.size
    if n < 2:
        raise DataError(f"the jackknife needs at least 2 observations (it leaves one out), got n = {n}")
    vectorized = _check_vectorized(vectorized)
    theta = real_output(estimator(xa.copy()), "estimator")
    if vectorized:
        loo = np.broadcast_to(xa, (n, n))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
        reps = _apply(estimator, loo, True, theta.shape)
    else:
        reps = _stack(
            (real_output(estimator(s), "estimator") for s in _leave_one_out(xa)), theta.shape, "leave-one-out sample"
        )
    mean_rep = reps.mean(axis=0)
    bias = (n - 1) * (mean_rep - theta)
    se = np.sqrt((n - 1) / n * np.sum((reps - mean_rep) ** 2, axis=0))
    return BiasCorrection(
        estimate=_scalar_or_array(theta),
        bias=_scalar_or_array(bias),
        corrected=_scalar_or_array(theta - bias),
        se=_scalar_or_array(se),
        replicates=reps,
    )


def bootstrap_bias(estimator, x, rng, *, n_boot=2000, vectorized=False):
    r"""Nonparametric bootstrap estimate of the bias of `estimator`, and the corrected estimate.

    Parameters
    ----------
    estimator : callable
        Maps a 1-D sample to a number (or a fixed-shape array). With ``vectorized=True`` it
        is called once on an (n_boot, n) array and must reduce along the last axis.
    x : array_like, shape (n,)
        The sample, n >= 2, finite.
    rng : numpy.random.Generator
        Source of the resampling indices, e.g. ``np.random.default_rng(1)``.
    n_boot : int, default 2000
        Number of bootstrap resamples B, at least 2.
    vectorized : bool, default False
        Whether `estimator` accepts a 2-D array of samples, one per row.

    Returns
    -------
    BiasCorrection
        ``estimate`` :math:`\hat\theta`, ``bias`` :math:`\hat b_B`, ``corrected``
        :math:`2\hat\theta - \bar\theta^*`, ``se`` the bootstrap standard error and the B
        ``replicates`` :math:`\hat\theta^*_b`.

    Raises
    ------
    DataError
        If `x` is not a finite 1-D sample of size at least 2, or the estimator's output does not have
        the same shape on every resample as on the full sample.
    TypeError
        If `rng` is not a ``numpy.random.Generator``, or `vectorized` is not a bool.
    ValueError
        If `n_boot` is not an integer >= 2.

    Notes
    -----
    Resample the data with replacement B times, recompute the estimator on each resample
    and compare the average with the full-sample estimate:

    .. math::

        \hat b_B = \bar\theta^* - \hat\theta, \qquad \bar\theta^* = \frac1B\sum_{b=1}^B \hat\theta^*_b,
        \qquad \hat\theta - \hat b_B = 2\hat\theta - \bar\theta^*.

    The Monte Carlo error of :math:`\hat b_B` is about :math:`\widehat{\mathrm{se}}/\sqrt B`.
    The same `rng` state gives the same answer.

    References
    ----------
    :cite:p:`efron1993introduction` (Chapter 10).

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 4.0, 7.0])
    >>> bb = bootstrap_bias(np.var, x, np.random.default_rng(0), n_boot=4000)
    >>> bool(bb.bias < 0), bool(bb.corrected > bb.estimate)
    (True, True)
    """
    xa = as_sample(x)
    n = xa.size
    if n < 2:
        raise DataError(f"the bootstrap needs at least 2 observations, got n = {n}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(1)), got {type(rng).__name__}"
        )
    check_callable(estimator, "estimator", "estimator(sample) -> number for a 1-D sample")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ValueError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    vectorized = _check_vectorized(vectorized)
    theta = real_output(estimator(xa), "estimator")
    samples = xa[rng.integers(0, n, size=(int(n_boot), n))]
    reps = _apply(estimator, samples, vectorized, theta.shape, "bootstrap resample")
    mean_rep = reps.mean(axis=0)
    bias = mean_rep - theta
    se = reps.std(axis=0, ddof=1)
    return BiasCorrection(
        estimate=_scalar_or_array(theta),
        bias=_scalar_or_array(bias),
        corrected=_scalar_or_array(theta - bias),
        se=_scalar_or_array(se),
        replicates=reps,
    )

r"""Observed information and confidence intervals: Wald, likelihood-ratio (profile) and score.

Three ways to turn a fitted likelihood into a :math:`100(1-\alpha)\%` interval for a parameter
:math:`\theta_j`:

- **Wald**: :math:`\hat\theta_j \pm z_{1-\alpha/2}\,\mathrm{se}_j`, with the standard error from the
  inverse information (:meth:`mlelib.MLEResult.conf_int` with ``method="wald"``).
- **Likelihood ratio / profile**: the set of values whose (profile) log-likelihood lies within
  :math:`\tfrac12\chi^2_{1,1-\alpha}` of the maximum (:func:`profile_likelihood_interval`,
  ``method="profile"``). Invariant under reparametrisation; asymmetric where the likelihood is.
- **Score**: the values not rejected by the score test, which uses the information at the
  *hypothesised* value; closed forms exist for the Bernoulli (:func:`wilson_interval`) and Poisson
  (:func:`poisson_score_interval`) families.

For one-sample Bernoulli and Poisson data the likelihood-ratio interval is also given directly, vectorised
over the sufficient statistic (:func:`bernoulli_lr_interval`, :func:`poisson_lr_interval`), so that
coverage studies need no loop over replications.
"""

import warnings

import numpy as np
from scipy import optimize, stats

from ._validate import (
    _show,
    as_parameter_vector,
    check_alpha,
    check_callable,
    check_indices,
    safe_negloglik,
    to_float,
)
from .errors import DataError
from .numdiff import numerical_hessian
from .results import MLEResult

__all__ = [
    "observed_information",
    "profile_negloglik",
    "profile_likelihood_interval",
    "wilson_interval",
    "poisson_score_interval",
    "bernoulli_lr_interval",
    "poisson_lr_interval",
]


# ----------------------------------------------------------------------------- helpers


def _check_alpha(alpha):
    return check_alpha(alpha)


def _z(alpha):
    return stats.norm.isf(_check_alpha(alpha) / 2)


def _cut(alpha):
    """The likelihood-ratio cut :math:`\\chi^2_{1,1-\\alpha}` on the deviance scale."""
    return stats.chi2.isf(_check_alpha(alpha), df=1)


def _counts(value, name):
    arr = to_float(value, name)
    bad = ~(np.isfinite(arr) & (arr >= 0) & (arr == np.floor(arr)))
    if bad.any():
        raise DataError(f"{name} must be a non-negative integer count; got {arr[bad].ravel()[0]:g}")
    return arr


def _check_broadcast(a, a_name, b, b_name):
    """A DataError naming both arguments when their shapes do not broadcast (instead of numpy's)."""
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise DataError(
            f"{a_name} and {b_name} must have the same shape or broadcast against each other (one a scalar); "
            f"got {a_name} of shape {np.shape(a)} and {b_name} of shape {np.shape(b)}"
        ) from None


def _trials(n, k):
    n = _counts(n, "n")
    if k is not None:
        _check_broadcast(k, "k", n, "n")
    if np.any(n < 1):
        raise DataError(f"n must be at least 1 (the number of trials or observations); got {n[n < 1].ravel()[0]:g}")
    if k is not None and np.any(k > n):
        kb, nb = np.broadcast_arrays(k, n)
        i = np.flatnonzero(kb > nb)[0]
        raise DataError(f"k must be between 0 and n; got k = {kb.ravel()[i]:g} successes in n = {nb.ravel()[i]:g} trials")
    return n


def _check_cov(cov, k):
    if cov is None:
        return None
    arr = to_float(cov, "cov")
    if arr.size != k * k or arr.ndim > 2 or (arr.ndim == 2 and arr.shape != (k, k)):
        raise DataError(f"cov must have shape ({k}, {k}) to match {k} params; got shape {arr.shape}")
    return arr.reshape(k, k)


def _u_minus_log1p(u):
    """u - log(1 + u) >= 0 without cancellation: its series u^2/2 - u^3/3 + ... for |u| < 0.05."""
    u = np.asarray(u, dtype=float)
    small = np.abs(u) < 0.05
    us = np.where(small, u, 0.0)
    series = np.zeros_like(us)
    power = us * us
    for j in range(2, 18):  # 0.05^16 / 16 < 1e-17 of the leading term
        series = series + (power / j if j % 2 == 0 else -power / j)
        power = power * us
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = u - np.log1p(np.where(small, 0.0, u))
    return np.where(small, series, direct)


def _phi(u, r):
    """u - log(r) >= 0 for r = 1 + u > 0, where u and r are each given to full relative precision.

    Near r = 1 the series of u - log1p(u) in u; elsewhere u - log(r). Going through log1p(u) alone
    loses r when r < eps (1 + u rounds), which moved a limit of 4e-17 to 5.6e-17.
    """
    u, r = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(r, dtype=float))
    near = np.abs(u) < 0.05
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = u - np.log(np.where(near, 1.0, r))
    return np.where(near, _u_minus_log1p(np.where(near, u, 0.0)), direct)


def _interval(lo, hi):
    return np.stack([lo, hi], axis=-1)


def _bisect(g, lo, hi, iters=200):
    """Vectorised bisection for a sign change of `g` on [lo, hi] (g(lo) and g(hi) of opposite signs).

    A bracket spanning more than a factor 2 with ``lo > 0`` is split at its geometric mean, so that
    a root at 1e-70 in [1e-70, 1] is found to full relative precision in ~60 steps (arithmetic
    halving would need ~280).
    """
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    g_lo = np.sign(g(lo))
    for _ in range(iters):
        geometric = (lo > 0) & (hi > 2 * lo)
        mid = np.where(geometric, np.sqrt(np.abs(lo)) * np.sqrt(np.abs(hi)), 0.5 * (lo + hi))
        same = np.sign(g(mid)) == g_lo
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
        if np.all(hi - lo <= 4 * np.finfo(float).eps * np.maximum(np.abs(mid), np.finfo(float).tiny)):
            break
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------------------- observed information


def observed_information(negloglik, theta=None, *, step=None):
    r"""Observed information :math:`J(\theta)`: the Hessian of the negative log-likelihood at `theta`.

    Parameters
    ----------
    negloglik : callable or MLEResult
        :math:`-\ell(\theta)`, a function of a 1-D parameter array returning a float; or a fitted
        :class:`~mlelib.MLEResult` that carries its ``negloglik`` (every mlelib fitter's result
        does), in which case `theta` defaults to its ``params``.
    theta : array_like, shape (k,), optional
        Where to evaluate it, usually the MLE :math:`\hat\theta`. Required when `negloglik` is a
        function.
    step : float or array_like, optional
        Base finite-difference step(s), passed to :func:`mlelib.numerical_hessian`.

    Returns
    -------
    ndarray, shape (k, k)
        The symmetric matrix :math:`J(\theta) = -\nabla^2 \ell(\theta)`, by central finite
        differences with Richardson extrapolation (:func:`mlelib.numerical_hessian`).

    Raises
    ------
    TypeError
        If `negloglik` is a function and `theta` is missing.
    ValueError
        If `theta` is not a finite 1-D array, an MLEResult carries no ``negloglik``, or the Hessian
        is not finite. :class:`DataError` (a
        ``ValueError``) from :func:`mlelib.numerical_hessian` if `negloglik` is not finite at `theta`
        or next to it (`theta` on the edge of the parameter space).

    Notes
    -----
    .. math::
        J(\theta) = -\frac{\partial^2 \ell(\theta)}{\partial\theta\,\partial\theta^\top},
        \qquad \widehat{\operatorname{Cov}}(\hat\theta) = J(\hat\theta)^{-1}.

    :math:`J(\hat\theta)` is the curvature of the log-likelihood at its maximum, a property of the
    data at hand; the *expected* (Fisher) information :math:`I_n(\theta) = E_\theta[J(\theta)]` is
    its average over data sets. In a full exponential family the two coincide at the MLE in any
    parametrisation, and at every :math:`\theta` in the canonical one; they differ in general (e.g.
    probit regression, the Cauchy location model) :cite:p:`pawitan2001all`.

    Examples
    --------
    Poisson counts with total 12 in 4 observations: :math:`J(\hat\lambda) = \sum x_i/\hat\lambda^2 = 4/3`.

    >>> from mlelib import poisson_loglik
    >>> x = [2, 4, 3, 3]
    >>> J = observed_information(lambda t: -poisson_loglik(x, t[0]), [3.0])
    >>> round(float(J[0, 0]), 6)
    1.333333

    A fitted result works directly (here, by Newton: :math:`J = X^\top \hat W X`):

    >>> from mlelib import fit_logistic
    >>> X = np.column_stack([np.ones(8), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]])
    >>> res = fit_logistic(X, [0, 0, 1, 0, 1, 0, 1, 1])
    >>> np.allclose(observed_information(res), np.linalg.inv(res.cov), rtol=1e-6)
    True
    """
    if isinstance(negloglik, MLEResult):
        result = negloglik
        if result.negloglik is None:
            raise ValueError(
                "this MLEResult carries no negloglik, so its observed information cannot be computed; "
                "pass the negative log-likelihood and theta instead"
            )
        negloglik = result.negloglik
        theta = result.params if theta is None else theta
    elif theta is None:
        raise TypeError(
            "observed_information(negloglik, theta): theta is required when negloglik is a function "
            "(or pass a fitted MLEResult)"
        )
    check_callable(negloglik, "negloglik", "negloglik(theta) -> float, or a fitted MLEResult")
    theta = as_parameter_vector(np.atleast_1d(to_float(theta, "theta")), "theta")
    H = np.atleast_2d(np.asarray(numerical_hessian(negloglik, theta, step=step), dtype=float))
    if not np.all(np.isfinite(H)):
        raise ValueError(
            f"the Hessian of negloglik at theta = {theta.tolist()} is not finite; is theta inside the parameter space?"
        )
    return 0.5 * (H + H.T)


# ----------------------------------------------------------------------------- profile likelihood


def _nuisance_frame(f, params, cov, j, hessian=None):
    """A matrix S with S S^T ~ the covariance of the nuisance parameters given theta_j (or None).

    The inner optimisation of the profile runs on z, with theta_{-j} = start + S z: one unit of z is
    one conditional standard error, whatever the units of the parameters, so that its tolerances
    (and its convergence check) are scale-free. From `cov` when it is given and positive definite
    (the conditional covariance cov_oo - cov_oj cov_jo / cov_jj), else from the Hessian of `f` at
    `params` (its nuisance block H_oo: S = L^-T with H_oo = L L^T), else a diagonal of per-coordinate
    curvatures or magnitudes. `hessian` is a callable returning the (cached) full Hessian, or None.
    """
    others = np.array([i for i in range(params.size) if i != j], dtype=int)
    if cov is not None and np.isfinite(cov).all() and cov[j, j] > 0:
        cond = cov[np.ix_(others, others)] - np.outer(cov[others, j], cov[j, others]) / cov[j, j]
        try:
            return np.linalg.cholesky(0.5 * (cond + cond.T))
        except np.linalg.LinAlgError:
            pass
    H = hessian() if hessian is not None else None
    if H is not None:
        Hoo = H[np.ix_(others, others)]
        try:
            L = np.linalg.cholesky(0.5 * (Hoo + Hoo.T))
            S = np.linalg.inv(L).T
            if np.isfinite(S).all():
                return S
        except np.linalg.LinAlgError:
            pass
        d = np.diag(Hoo)
        with np.errstate(all="ignore"):
            scale = np.where(np.isfinite(d) & (d > 0), 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), np.nan)
    else:
        scale = np.full(others.size, np.nan)
    mag = np.abs(params[others])
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.where(mag > 0, mag, 1.0))
    return np.diag(scale)


def _hessian_cache(f, params):
    """A callable returning the Hessian of `f` at `params` (computed once, None if unavailable)."""
    memo = []

    def get():
        if not memo:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    H = np.atleast_2d(np.asarray(numerical_hessian(f, params), dtype=float))
                memo.append(H if np.isfinite(H).all() else None)
            except (ValueError, ArithmeticError):
                memo.append(None)
        return memo[0]

    return get


# gradient (in conditional-SE units) below which the inner optimum is accepted: the profile is then
# within ~||g||^2 / 2 = 5e-9 of its minimum, far below the cut (3.84) and the limits' tolerance
_INNER_GTOL = 1e-4


class _Profile:
    """The profile negative log-likelihood of parameter `j`, with warm starts between calls.

    The nuisance parameters are optimised in standardised coordinates (see :func:`_nuisance_frame`),
    so that a nuisance parameter in large units (a variance in dollars^2) is profiled out as well as
    one of order 1: an absolute gradient tolerance on the natural scale would stop at the start.
    """

    def __init__(self, negloglik, params, cov, j, hessian=None):
        self.f = safe_negloglik(negloglik)
        self.theta = np.asarray(params, dtype=float)
        self.j = j
        self.others = np.array([i for i in range(self.theta.size) if i != j], dtype=int)
        # Warm start: the regression of the other parameters on theta_j under N(theta_hat, cov).
        self.slope = np.zeros(self.others.size)
        if cov is not None:
            cov = np.asarray(cov, dtype=float)
            if np.isfinite(cov).all() and cov[j, j] > 0:
                self.slope = cov[self.others, j] / cov[j, j]
        self.S = None
        if self.others.size:
            if hessian is None and cov is None:
                hessian = _hessian_cache(self.f, self.theta)
            self.S = _nuisance_frame(self.f, self.theta, cov, j, hessian)
        self.solved = {}
        self.failed = []

    def _full(self, psi, eta):
        theta = np.empty_like(self.theta)
        theta[self.j] = psi
        theta[self.others] = eta
        return theta

    def __call__(self, psi):
        psi = float(psi)
        if self.others.size == 0:
            return self.f([psi])
        base = self.theta[self.others] + self.slope * (psi - self.theta[self.j])
        starts = [base]
        if self.solved:
            near = min(self.solved, key=lambda s: abs(s - psi))
            starts.append(self.solved[near] + self.slope * (psi - near))

        def inner(eta):
            return self.f(self._full(psi, eta))

        start = min(starts, key=inner)
        if not np.isfinite(inner(start)):
            return np.inf
        S = self.S

        def inner_z(z):
            return inner(start + S @ z)

        z0 = np.zeros(self.others.size)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            res = optimize.minimize(inner_z, z0, method="BFGS", jac="3-point", options={"gtol": 1e-7})
            # accepted by a scale-free test: the gradient in conditional-SE units (BFGS's own flag
            # may be False for "precision loss" right at the optimum)
            ok = np.isfinite(res.fun) and np.all(np.isfinite(res.jac)) and np.max(np.abs(res.jac)) <= _INNER_GTOL
            if not ok:
                x0 = res.x if np.isfinite(res.fun) and res.fun <= inner_z(z0) else z0
                res = optimize.minimize(
                    inner_z,
                    x0,
                    method="Nelder-Mead",
                    options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000 * z0.size, "maxfev": 8000 * z0.size},
                )
                if not res.success:
                    self.failed.append(psi)
        self.solved[psi] = start + S @ np.asarray(res.x, dtype=float)
        return float(res.fun)


def profile_negloglik(negloglik, params, index, values, cov=None):
    r"""The profile negative log-likelihood of one parameter, on a grid of values.

    Parameters
    ----------
    negloglik : callable
        :math:`-\ell(\theta)` as a function of the full parameter array (natural scale).
        Outside the parameter space it may raise ``ValueError`` or return ``inf``/``nan``.
    params : array_like, shape (k,)
        The MLE :math:`\hat\theta` (starting point for the inner optimisations).
    index : int
        Which parameter :math:`\psi = \theta_j` to profile.
    values : array_like
        The values of :math:`\psi` at which to evaluate the profile.
    cov : array_like, shape (k, k), optional
        Approximate covariance of :math:`\hat\theta`; only used for warm starts.

    Returns
    -------
    ndarray, shape like `values`
        :math:`-\ell_p(\psi) = \min_{\lambda} -\ell(\psi, \lambda)` (``inf`` outside the parameter space).

    Raises
    ------
    IndexError
        If `index` is not a valid parameter position 0..k-1 (negative positions are refused, not
        wrapped; the error is also a :class:`DataError`).
    DataError
        If `index` is not an integer, `params` is not a finite real 1-D array, or `values` or `cov`
        is not real (or `cov` has the wrong shape).
    TypeError
        If `negloglik` is not callable.

    Notes
    -----
    .. math::
        \ell_p(\psi) = \max_{\lambda}\, \ell(\theta)\big|_{\theta_j = \psi,\ \theta_{-j} = \lambda}

    For :math:`k = 1` this is just the negative log-likelihood. The inner maximisation uses BFGS from
    a warm start (the Gaussian regression of :math:`\lambda` on :math:`\psi` implied by `cov`, or the
    nearest value already profiled), falling back to Nelder-Mead if BFGS stops early. It runs in
    standardised coordinates, :math:`\lambda = \lambda_0 + S z` with :math:`S S^\top` the conditional
    covariance of :math:`\hat\lambda` given :math:`\psi` (from `cov`, else from the Hessian of
    `negloglik` at `params`), and accepts a solution when the gradient in :math:`z` is below
    1e-4: a scale-free criterion, so nuisance parameters in any units (a variance in dollars²) are
    profiled out equally well.

    Examples
    --------
    Gaussian data: profiling out σ² gives :math:`-\ell_p(\mu) = \tfrac n2 \log \hat\sigma^2(\mu) + \text{const}`.

    >>> from mlelib import gaussian_loglik
    >>> x = [1.0, 2.0, 4.0]
    >>> prof = profile_negloglik(lambda t: -gaussian_loglik(x, t[0], t[1]), [7 / 3, 14 / 9], 0, [7 / 3, 3.0])
    >>> (prof - prof[0]).round(4).tolist()
    [0.0, 0.377]
    """
    check_callable(negloglik, "negloglik", "negloglik(theta) -> float for the full parameter array")
    params = as_parameter_vector(np.atleast_1d(to_float(params, "params")), "params")
    if isinstance(index, (list, tuple, np.ndarray)):
        raise DataError(f"index must be a single parameter position 0..{params.size - 1}; got {_show(index)}")
    (index,) = check_indices([index], params.size, "index")
    cov = _check_cov(cov, params.size)
    prof = _Profile(negloglik, params, cov, index)
    vals = to_float(values, "values")
    return np.array([prof(v) for v in vals.ravel()]).reshape(vals.shape)


def _endpoint(g, centre, step, direction, tol, max_doublings=60):
    """Walk from `centre` until g changes sign (brentq) or the parameter space ends (bisection).

    `tol` is an absolute tolerance on the parameter, already scaled to the parameter (see
    :func:`profile_likelihood_interval`): a fixed absolute tolerance would be meaningless for a
    parameter of size 1e-9 or 1e9.
    """
    inside = centre
    for _ in range(max_doublings):
        trial = centre + direction * step
        val = g(trial)
        if not np.isfinite(val):
            # outside the parameter space: locate its edge between `inside` and `trial`
            outside = trial
            while abs(outside - inside) > max(tol, 4 * np.finfo(float).eps * abs(inside)):
                mid = 0.5 * (inside + outside)
                if mid == inside or mid == outside:
                    break
                gm = g(mid)
                if not np.isfinite(gm):
                    outside = mid
                elif gm >= 0:
                    return optimize.brentq(g, inside, mid, xtol=tol, rtol=1e-12)
                else:
                    inside = mid
            return inside
        if val >= 0:
            return optimize.brentq(g, inside, trial, xtol=tol, rtol=1e-12)
        inside = trial
        step *= 2.0
    warnings.warn(
        f"the log-likelihood did not drop by the cut within {step:g} of {centre:g}; "
        f"returning {'+' if direction > 0 else '-'}inf for this limit",
        RuntimeWarning,
        stacklevel=3,
    )
    return direction * np.inf


def _curvature_scale(f, params, j):
    """1 / sqrt(d^2 f / d theta_j^2) at the MLE (the conditional standard error), or NaN."""

    def fj(t, params=params, j=j):
        z = params.copy()
        z[j] = t[0]
        return f(z)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            h = float(numerical_hessian(fj, [params[j]])[0, 0])
    except (ValueError, ArithmeticError):
        return np.nan
    return 1.0 / np.sqrt(h) if np.isfinite(h) and h > 0 else np.nan


def profile_likelihood_interval(negloglik, params, cov=None, alpha=0.05, which=None, xtol=1e-10):
    r"""Likelihood-ratio (profile-likelihood) confidence intervals, by root finding.

    Parameters
    ----------
    negloglik : callable
        :math:`-\ell(\theta)` as a function of the full parameter array (natural scale). Outside the
        parameter space it may raise ``ValueError`` or return ``inf``/``nan``.
    params : array_like, shape (k,)
        The MLE :math:`\hat\theta`. It must maximise the likelihood: the cut is measured from
        ``negloglik(params)``.
    cov : array_like, shape (k, k), optional
        Approximate covariance of :math:`\hat\theta` (e.g. ``MLEResult.cov``): sets the first
        search step (one standard error) and warm starts. Without it the first step is
        :math:`0.1\max(1, |\hat\theta_j|)`.
    alpha : float, default 0.05
        One minus the nominal coverage, in (0, 1).
    which : int or sequence of int, optional
        Positions (0..k-1, distinct) of the parameters to give intervals for (default: all).
    xtol : float, default 1e-10
        Tolerance of the limits relative to the parameter's scale, :math:`\max(|\hat\theta_j|,
        \mathrm{SE}_j)` (the SE from `cov`, else from the curvature of `negloglik` along
        :math:`\theta_j`): the limits are equivariant under a change of units of the parameter.

    Returns
    -------
    ndarray, shape (len(which), 2)
        Lower and upper limits, one row per parameter. A limit is the edge of the parameter space
        when the log-likelihood does not drop far enough before reaching it, and ``±inf`` (with a
        ``RuntimeWarning``) when it never drops far enough.

    Raises
    ------
    ValueError
        If `alpha` is not a number in (0, 1), `xtol` is not in (0, 1), or `negloglik` is not finite
        at `params`.
    DataError
        If `params` is not a finite real 1-D array, `cov` has the wrong shape, or `which` holds a
        non-integer, a duplicate, or a position outside 0..k-1 (negative positions are refused: they
        would silently pick another parameter). An out-of-range position is also an ``IndexError``.
    TypeError
        If `negloglik` is not callable.

    Notes
    -----
    The interval for :math:`\psi = \theta_j` is

    .. math::
        \{\psi : 2\,[\ell(\hat\theta) - \ell_p(\psi)] \le \chi^2_{1,1-\alpha}\},
        \qquad \ell_p(\psi) = \max_{\theta:\ \theta_j=\psi} \ell(\theta),

    justified by Wilks' theorem :cite:p:`wilks1938large`. Each limit is found by stepping away from
    :math:`\hat\theta_j` in doubling steps until the deviance exceeds the cut, then by Brent's method
    on the bracket. The interval is an interval (not a union of pieces) when the profile
    log-likelihood is unimodal, which holds for the log-concave models of this course. Unlike the
    Wald interval it is invariant under reparametrisation :cite:p:`pawitan2001all`.

    Examples
    --------
    Exponential data with :math:`n = 5`, :math:`\sum x_i = 10`: the LR interval for the rate is
    asymmetric about :math:`\hat\lambda = 0.5`.

    >>> from mlelib import exponential_loglik
    >>> x = [1.0, 3.0, 2.0, 0.5, 3.5]
    >>> ci = profile_likelihood_interval(lambda t: -exponential_loglik(x, t[0]), [0.5], cov=[[0.05]])
    >>> ci.round(4)
    array([[0.1793, 1.0746]])
    """
    cut = _cut(alpha)
    check_callable(negloglik, "negloglik", "negloglik(theta) -> float for the full parameter array")
    params = as_parameter_vector(np.atleast_1d(to_float(params, "params")), "params")
    k = params.size
    if isinstance(xtol, bool) or not isinstance(xtol, (int, float, np.integer, np.floating)) or not 0 < xtol < 1:
        raise ValueError(f"xtol must be a number in (0, 1) (relative tolerance of the limits); got {_show(xtol)}")
    f = safe_negloglik(negloglik)
    nll0 = f(params)
    if not np.isfinite(nll0):
        raise ValueError(f"negloglik is not finite at params = {params.tolist()}; pass the MLE")
    cov = _check_cov(cov, k)
    which = range(k) if which is None else check_indices(which, k, "which")
    hessian = _hessian_cache(f, params) if cov is None and k > 1 else None  # shared by the parameters
    rows = []
    for j in which:
        prof = _Profile(negloglik, params, cov, j, hessian)
        base = min(nll0, prof(params[j])) if k > 1 else nll0
        se = np.sqrt(cov[j, j]) if cov is not None and np.isfinite(cov[j, j]) and cov[j, j] > 0 else np.nan
        if not np.isfinite(se):
            se = _curvature_scale(f, params, j)
        step = se if np.isfinite(se) else 0.1 * (abs(params[j]) if params[j] != 0 else 1.0)
        # the tolerance is relative to the parameter's own scale (its SE, or |theta_j|), so that the
        # limits are equivariant under a change of units of the parameter
        scale = max(abs(params[j]), se) if np.isfinite(se) else step / 0.1
        tol = xtol * scale

        def g(psi, prof=prof, base=base):
            return 2.0 * (prof(psi) - base) - cut

        lo = _endpoint(g, params[j], step, -1.0, tol)
        hi = _endpoint(g, params[j], step, +1.0, tol)
        if prof.failed:
            warnings.warn(
                f"the inner optimisation of the profile for parameter {j} did not converge at "
                f"{len(prof.failed)} value(s); the interval may be inaccurate",
                RuntimeWarning,
                stacklevel=2,
            )
        rows.append([lo, hi])
    return np.array(rows, dtype=float).reshape(-1, 2)


# ----------------------------------------------------------------------------- closed-form score intervals


def wilson_interval(k, n, alpha=0.05):
    r"""Wilson's score interval for a binomial proportion (*k* successes in *n* trials).

    Parameters
    ----------
    k : int or array_like
        Number of successes, :math:`0 \le k \le n`.
    n : int or array_like
        Number of trials, >= 1 (broadcast against `k`).
    alpha : float, default 0.05
        One minus the nominal coverage, in (0, 1).

    Returns
    -------
    ndarray, shape (..., 2)
        Lower and upper limits (last axis), always inside [0, 1].

    Raises
    ------
    DataError
        If `k` or `n` is not a non-negative integer, `n` < 1, `k` > `n`, or their shapes do not
        broadcast.
    ValueError
        If `alpha` is not in (0, 1).

    Notes
    -----
    The interval collects the *p* that the score test does not reject: with
    :math:`\hat p = k/n` and :math:`z = z_{1-\alpha/2}`, solve :math:`(\hat p - p)^2 \le z^2 p(1-p)/n`
    (the variance is taken at the hypothesised *p*, not at :math:`\hat p` as Wald does):

    .. math::
        \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
        \frac{z}{1 + \frac{z^2}{n}} \sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}

    :cite:p:`wilson1927probable,brown2001interval`.

    Examples
    --------
    The first example of :cite:t:`newcombe1998two` (81 of 263), whose Table II gives 0.2553 to 0.3662:

    >>> wilson_interval(81, 263).round(4)
    array([0.2553, 0.3662])
    """
    z = _z(alpha)
    k = _counts(k, "k")
    n = _trials(n, k)
    # everything multiplied by n (no n**2, 2 n or 4 n, which overflow for n near 1e308):
    # centre = (k + z^2/2) / (n + z^2), half = z sqrt(k (n - k)/n + z^2/4) / (n + z^2)
    with np.errstate(over="ignore"):
        n_z = n + z**2
    c = k + z**2 / 2
    h = z * np.sqrt(k * ((n - k) / n) + z**2 / 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        # (c - h)(c + h) = k^2 (n + z^2)/n: the lower limit k^2 / (n (c + h)) without cancellation
        lo = k * (k / (c + h)) / n
        hi = np.where(np.isfinite(n_z), c / n_z + h / n_z, c / n + h / n)
    # k = 0 and k = n put a limit exactly on 0 or 1; set it so rounding cannot move it inside
    lo = np.where(k == 0, 0.0, np.clip(lo, 0.0, 1.0))
    hi = np.where(k == n, 1.0, np.clip(hi, 0.0, 1.0))
    return _interval(lo, hi)


def poisson_score_interval(total, n, alpha=0.05):
    r"""Score interval for a Poisson mean λ from *n* counts with sum `total`.

    Parameters
    ----------
    total : int or array_like
        :math:`\sum_i x_i`, a non-negative integer.
    n : int or array_like
        Number of observations (exposure), >= 1 (broadcast against `total`).
    alpha : float, default 0.05
        One minus the nominal coverage, in (0, 1).

    Returns
    -------
    ndarray, shape (..., 2)
        Lower and upper limits (last axis).

    Raises
    ------
    DataError
        If `total` is not a non-negative integer, `n` is not an integer >= 1, or their shapes do
        not broadcast.
    ValueError
        If `alpha` is not in (0, 1).

    Notes
    -----
    The score statistic for :math:`H_0: \lambda` is :math:`(\bar x - \lambda)^2 / (\lambda/n)`, with
    the variance under the hypothesis; the interval is where it is at most :math:`z^2`:

    .. math::
        \bar x + \frac{z^2}{2n} \pm z\sqrt{\frac{\bar x}{n} + \frac{z^2}{4n^2}}

    It is never empty and its lower limit is 0 only when ``total`` is 0 :cite:p:`barker2002comparison`.

    Examples
    --------
    >>> poisson_score_interval(3, 10).round(4)
    array([0.102 , 0.8821])
    """
    z = _z(alpha)
    total = _counts(total, "total")
    n = _trials(n, None)
    _check_broadcast(total, "total", n, "n")
    # everything multiplied by n (no n**2, 2 n or 4 n, which overflow for n near 1e308):
    # n (centre + half) = total + z^2/2 + z sqrt(total + z^2/4)
    upper_n = total + z**2 / 2 + z * np.sqrt(total + z**2 / 4)
    # lower limit = (centre^2 - half^2) / (centre + half) = xbar^2 / (centre + half), without cancellation
    lo = total * (total / upper_n) / n
    return _interval(lo, upper_n / n)


# ----------------------------------------------------------------------------- vectorised LR intervals


def bernoulli_lr_interval(k, n, alpha=0.05):
    r"""Likelihood-ratio interval for a binomial proportion, vectorised over `k` and `n`.

    Parameters
    ----------
    k : int or array_like
        Number of successes, :math:`0 \le k \le n`.
    n : int or array_like
        Number of trials, >= 1 (broadcast against `k`).
    alpha : float, default 0.05
        One minus the nominal coverage, in (0, 1).

    Returns
    -------
    ndarray, shape (..., 2)
        Lower and upper limits (last axis). For :math:`k = 0` the lower limit is 0, for
        :math:`k = n` the upper limit is 1 (the MLE is on the boundary).

    Raises
    ------
    DataError
        If `k` or `n` is not a non-negative integer, `n` < 1, `k` > `n`, or their shapes do not
        broadcast.
    ValueError
        If `alpha` is not in (0, 1).

    Notes
    -----
    With :math:`\hat p = k/n`, the limits solve (by bisection, to machine precision)

    .. math::
        D(p) = 2\Big[k \log\frac{\hat p}{p} + (n-k)\log\frac{1-\hat p}{1-p}\Big] = \chi^2_{1,1-\alpha}

    on either side of :math:`\hat p`; :math:`D` is convex with minimum 0 at :math:`\hat p`
    :cite:p:`brown2001interval`.

    Examples
    --------
    >>> bernoulli_lr_interval(0, 10).round(4)
    array([0.    , 0.1748])
    """
    cut = _cut(alpha)
    k = _counts(k, "k")
    n = _trials(n, k)
    k, n = np.broadcast_arrays(k, n)
    p_hat = k / n

    def dev(p):
        # D/2 = k phi(a) + (n-k) phi(b), phi(u) = u - log1p(u), a = p/p_hat - 1, b = (1-p)/(1-p_hat) - 1
        # (the linear terms cancel: k a + (n-k) b = 0); each term is computed without cancellation, so
        # the deviance stays exact at n = 1e16 where the difference of log-likelihoods would be noise.
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.where((k > 0) & (k < n), 1.0, 0.0)
            pa = np.where(k > 0, p_hat, 1.0)
            pb = np.where(k < n, 1 - p_hat, 1.0)
            a = np.where(k > 0, (p - p_hat) / pa, 0.0)
            b = np.where(k < n, (p_hat - p) / pb, 0.0)
            ra = np.where(k > 0, p / pa, 1.0)
            rb = np.where(k < n, (1 - p) / pb, 1.0)
            half = inner * (k * _phi(a, ra) + (n - k) * _phi(b, rb))
            half = np.where(k == 0, -n * np.log1p(-p), half)
            half = np.where(k == n, -n * np.log(p), half)
        return 2 * half - cut

    lo = np.where(k == 0, 0.0, _bisect(dev, np.zeros_like(p_hat), p_hat))
    hi = np.where(k == n, 1.0, _bisect(dev, p_hat, np.ones_like(p_hat)))
    return _interval(lo, hi)


def poisson_lr_interval(total, n, alpha=0.05):
    r"""Likelihood-ratio interval for a Poisson mean, vectorised over `total` and `n`.

    Parameters
    ----------
    total : int or array_like
        :math:`\sum_i x_i`, a non-negative integer.
    n : int or array_like
        Number of observations, >= 1 (broadcast against `total`).
    alpha : float, default 0.05
        One minus the nominal coverage, in (0, 1).

    Returns
    -------
    ndarray, shape (..., 2)
        Lower and upper limits (last axis); the lower limit is 0 when ``total`` is 0.

    Raises
    ------
    DataError
        If `total` is not a non-negative integer, `n` is not an integer >= 1, or their shapes do
        not broadcast.
    ValueError
        If `alpha` is not in (0, 1).

    Notes
    -----
    With :math:`\bar x = \text{total}/n`, the limits solve (by bisection)

    .. math::
        D(\lambda) = 2n\Big[\bar x \log\frac{\bar x}{\lambda} - (\bar x - \lambda)\Big] = \chi^2_{1,1-\alpha}

    on either side of :math:`\bar x`. For ``total`` = 0 the upper limit is
    :math:`\chi^2_{1,1-\alpha}/(2n)` exactly.

    Examples
    --------
    >>> poisson_lr_interval(0, 10).round(4)
    array([0.    , 0.1921])
    """
    cut = _cut(alpha)
    total = _counts(total, "total")
    n = _trials(n, None)
    _check_broadcast(total, "total", n, "n")
    total, n = np.broadcast_arrays(total, n)
    xbar = total / n

    def dev(lam):
        # D/2 = total * phi(lam/xbar - 1), phi(u) = u - log1p(u), without cancellation (exact for huge totals)
        with np.errstate(divide="ignore", invalid="ignore"):
            xb = np.where(total > 0, xbar, 1.0)
            r = np.where(total > 0, lam / xb, 1.0)
            u = np.where(total > 0, (lam - xb) / xb, 0.0)
            half = np.where(total > 0, total * _phi(u, r), n * lam)
        return 2 * half - cut

    # an upper bracket: double until the deviance exceeds the cut
    upper = np.maximum(2 * xbar, cut / n)
    while np.any(dev(upper) <= 0):
        upper = np.where(dev(upper) <= 0, 2 * upper, upper)
    lo = np.where(total == 0, 0.0, _bisect(dev, np.zeros_like(xbar), xbar))
    hi = _bisect(dev, xbar, upper)
    return _interval(lo, hi)

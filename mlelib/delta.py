r"""The delta method: standard errors and Wald intervals for functions of an MLE.

If :math:`\hat\theta \approx \mathcal N(\theta, \Sigma)` and :math:`g` is differentiable at
:math:`\theta` with Jacobian :math:`J = \partial g/\partial\theta^\top`, then, to first order,
:math:`g(\hat\theta) \approx \mathcal N(g(\theta), J\Sigma J^\top)`
:cite:p:`casella2002statistical,wasserman2004all`. By invariance :math:`g(\hat\theta)` is the MLE of
:math:`g(\theta)`; the delta method adds its approximate covariance.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ._validate import _show, real_output, to_float
from .errors import DataError
from .numdiff import numerical_gradient
from .results import _check_covariance

__all__ = ["delta_method", "DeltaResult"]


@dataclass(frozen=True, repr=False, eq=False)
class DeltaResult:
    r"""The estimate of :math:`g(\theta)` and its delta-method covariance, from :func:`delta_method`.

    Attributes
    ----------
    estimate : ndarray, shape (m,)
        :math:`g(\hat\theta)` (``m = 1`` for a scalar-valued `g`).
    cov : ndarray, shape (m, m)
        :math:`J \Sigma J^\top`, with :math:`\Sigma` the covariance of :math:`\hat\theta`.
    jacobian : ndarray, shape (m, k)
        :math:`J = \partial g / \partial \theta^\top` at :math:`\hat\theta`.
    bse : ndarray, shape (m,)
        Standard errors, :math:`\sqrt{\operatorname{diag}(\text{cov})}`.

    Raises
    ------
    DataError
        If `estimate` is not a finite non-empty 1-D array, `cov` is not a finite (m, m) matrix that is
        symmetric and positive semi-definite to rounding (a negative variance is refused), or
        `jacobian` is not a finite (m, k) array.
    """

    estimate: np.ndarray
    cov: np.ndarray
    jacobian: np.ndarray

    def __post_init__(self):
        est = np.atleast_1d(to_float(self.estimate, "estimate"))
        if est.ndim != 1 or est.size == 0 or not np.all(np.isfinite(est)):
            raise DataError(f"estimate must be a finite, non-empty 1-D array (g at the MLE); got {_show(self.estimate)}")
        m = est.size
        cov = to_float(self.cov, "cov")
        if cov.size != m * m or cov.ndim > 2 or (cov.ndim == 2 and cov.shape != (m, m)):
            raise DataError(f"cov must have shape ({m}, {m}) to match {m} estimate(s), got shape {np.shape(self.cov)}")
        cov = cov.reshape(m, m).copy()
        if not np.all(np.isfinite(cov)):
            raise DataError(f"cov must be finite; got {_show(cov.tolist())}")
        _check_covariance(cov)  # symmetric and positive semi-definite: a negative variance is refused
        cov = 0.5 * cov + 0.5 * cov.T
        jac = to_float(self.jacobian, "jacobian")
        if jac.ndim == 1 and m == 1:
            jac = jac.reshape(1, -1)
        if jac.ndim != 2 or jac.shape[0] != m or jac.shape[1] == 0 or not np.all(np.isfinite(jac)):
            raise DataError(
                f"jacobian must be a finite ({m}, k) array (one row per component of g); got shape "
                f"{np.shape(self.jacobian)}: {_show(jac.tolist())}"
            )
        for name, arr in (("estimate", est), ("cov", cov), ("jacobian", jac)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def bse(self):
        """Delta-method standard errors, the square roots of the diagonal of `cov` (rounding below 0 read as 0)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    def conf_int(self, alpha=0.05):
        r"""Wald intervals :math:`g(\hat\theta)_i \pm z_{1-\alpha/2}\,\mathrm{se}_i`, one row per component.

        Parameters
        ----------
        alpha : float, default 0.05
            One minus the nominal coverage, in (0, 1).

        Returns
        -------
        ndarray, shape (m, 2)
            Lower and upper limits. They are symmetric about the estimate and may leave the range
            of :math:`g` (a probability below 0, a ratio below 0); an interval computed on a scale
            where the estimate is closer to normal and mapped back avoids that.

        Raises
        ------
        DataError
            If `alpha` is not in (0, 1).

        Examples
        --------
        >>> DeltaResult([2.0], [[0.25]], [[1.0]]).conf_int().round(3)
        array([[1.02, 2.98]])
        """
        if not (isinstance(alpha, (int, float, np.floating)) and 0 < alpha < 1):
            raise DataError(f"alpha must be a number in (0, 1), got {alpha!r}")
        half = stats.norm.isf(alpha / 2) * self.bse
        return np.column_stack([self.estimate - half, self.estimate + half])

    def __repr__(self):
        est = ", ".join(f"{e:.6g} (se {s:.3g})" for e, s in zip(self.estimate, self.bse))
        return f"DeltaResult({est})"


def _params_and_cov(res):
    if not (hasattr(res, "params") and hasattr(res, "cov")):
        raise DataError(
            f"res must be a fitted result with .params and .cov (an MLEResult), got {type(res).__name__}"
        )
    params = np.asarray(res.params, dtype=float)
    if params.ndim != 1 or params.size == 0 or not np.all(np.isfinite(params)):
        raise DataError(f"res.params must be a finite, non-empty 1-D array, got {params!r}")
    k = params.size
    cov = np.asarray(res.cov, dtype=float)
    if cov.shape != (k, k):
        raise DataError(f"res.cov must have shape ({k}, {k}) to match {k} params, got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise DataError(f"res.cov contains NaN or inf, so no standard error can be derived from it: {cov.tolist()}")
    converged = getattr(res, "converged", True)
    if converged is False or (isinstance(converged, np.bool_) and not converged):
        warnings.warn(
            "res has converged=False: its cov comes from a fit that failed its convergence checks (see the "
            "warning fit gave), so the delta-method standard errors below inherit that and may be "
            "meaningless; refit until converged=True first",
            RuntimeWarning,
            stacklevel=3,
        )
    return params, cov


def _value(g, theta):
    """g(theta) as a 1-D array, with clear errors for a bad g."""
    try:
        raw = g(theta.copy())
    except (ValueError, ArithmeticError) as exc:
        raise DataError(f"g raised {type(exc).__name__} at params = {theta.tolist()}: {exc}") from exc
    try:
        out = real_output(raw, "g")
    except DataError:
        raise
    except (TypeError, ValueError):
        raise DataError(f"g must return a number or a 1-D array of numbers, got {raw!r}") from None
    if out.ndim > 1:
        raise DataError(f"g must return a scalar or a 1-D array, got an array of shape {out.shape}")
    if out.size == 0:
        raise DataError("g returned an empty array; it must return at least one value")
    if not np.all(np.isfinite(out)):
        raise DataError(
            f"g is not finite at params = {theta.tolist()} (got {out.tolist()}); the delta method needs a "
            "finite, differentiable g at the estimate"
        )
    return np.atleast_1d(out)


def _analytic_jacobian(jac, theta, m, k):
    raw = jac(theta.copy()) if callable(jac) else jac
    try:
        J = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"jac must give an ({m}, {k}) array of numbers, got {raw!r}") from None
    if J.shape == (k,) and m == 1:
        J = J.reshape(1, k)
    if J.shape != (m, k):
        raise DataError(
            f"jac must have shape ({m}, {k}) (one row per component of g, one column per parameter), "
            f"got shape {J.shape}"
        )
    if not np.all(np.isfinite(J)):
        raise DataError(f"jac contains NaN or inf at params = {theta.tolist()}: {J.tolist()}")
    return J


def delta_method(res, g, *, jac=None, step=None):
    r"""Estimate, covariance and Wald intervals for :math:`g(\theta)` by the delta method.

    Parameters
    ----------
    res : MLEResult
        A fit with ``params`` :math:`\hat\theta` (shape (k,)) and ``cov`` :math:`\Sigma` (shape
        (k, k)), for instance from :func:`mlelib.fit` or :func:`mlelib.fit_logistic`. Any object
        with these two attributes works.
    g : callable
        ``g(theta) -> float`` or ``-> array of shape (m,)``, a function of the whole parameter vector
        on the scale of ``res.params``, differentiable at :math:`\hat\theta`.
    jac : callable or array_like, optional
        The Jacobian :math:`\partial g/\partial\theta^\top` at :math:`\hat\theta`, shape (m, k)
        (shape (k,) is accepted for a scalar `g`), or a function of `theta` returning it. Default:
        numerical, by :func:`mlelib.numerical_gradient` applied to each component of `g`.
    step : float or array_like, optional
        Base step(s) of the numerical Jacobian, passed to :func:`mlelib.numerical_gradient`
        (default :math:`\epsilon^{1/5}\max(|\hat\theta_i|, 1)` per parameter). Ignored with `jac`.

    Returns
    -------
    DeltaResult
        ``estimate`` :math:`g(\hat\theta)` (shape (m,)), ``cov`` :math:`J\Sigma J^\top`,
        ``jacobian`` :math:`J`, ``bse``, and ``conf_int(alpha)`` for Wald intervals.

    Raises
    ------
    DataError
        If `res` has no valid ``params``/``cov`` (wrong shapes, NaN), `g` is not callable, raises
        ``ValueError`` at :math:`\hat\theta`, returns something other than a finite scalar or 1-D
        array, or `jac` has the wrong shape or non-finite entries.

    Warns
    -----
    RuntimeWarning
        If ``res.converged`` is False (the covariance of a fit that failed its checks is used, but
        its standard errors cannot be trusted). If a row of the Jacobian is zero: :math:`g` is stationary at :math:`\hat\theta`, the
        first-order approximation gives standard error 0, and the distribution of
        :math:`g(\hat\theta)` is governed by second-order terms instead.

    Notes
    -----
    With :math:`J = \partial g/\partial\theta^\top` at :math:`\hat\theta`, a first-order Taylor
    expansion :math:`g(\hat\theta) \approx g(\theta) + J(\hat\theta - \theta)` gives

    .. math::
        \widehat{\operatorname{Cov}}\,g(\hat\theta) = J\,\Sigma\,J^\top ,
        \qquad g(\hat\theta)_i \pm z_{1-\alpha/2}\sqrt{(J\Sigma J^\top)_{ii}} .

    The approximation is exact for linear :math:`g` and good when :math:`g` is close to linear
    over a few standard errors of :math:`\hat\theta`. Where it is not (a probability near 0 or 1,
    a ratio with a small denominator), an interval computed on a better scale and transformed, or
    the profile-likelihood interval (:func:`mlelib.profile_likelihood_interval`), respects the range
    of :math:`g` and is usually closer to its nominal coverage :cite:p:`pawitan2001all`.

    References
    ----------
    :cite:p:`casella2002statistical` (section 5.5.4), :cite:p:`wasserman2004all` (chapter 9)

    Examples
    --------
    A Gaussian-mean fit with :math:`\hat\mu = 0.5` and :math:`\mathrm{se}(\hat\mu) = 0.1`; for
    :math:`g = e^\mu` the standard error is :math:`e^{\hat\mu}\,\mathrm{se}(\hat\mu)`:

    >>> import numpy as np
    >>> from mlelib import MLEResult
    >>> res = MLEResult(params=[0.5, 1.0], cov=[[0.01, 0.0], [0.0, 0.02]], loglik=-10.0, nobs=100)
    >>> d = delta_method(res, lambda t: np.exp(t[0]))
    >>> print(f"{d.estimate[0]:.4f} {d.bse[0]:.4f} {np.exp(0.5) * 0.1:.4f}")
    1.6487 0.1649 0.1649
    >>> lo, hi = d.conf_int()[0]
    >>> print(f"[{lo:.4f}, {hi:.4f}]")
    [1.3256, 1.9719]

    A vector-valued ``g`` gives a covariance matrix (here the mean and the coefficient of variation):

    >>> d2 = delta_method(res, lambda t: [t[0], np.sqrt(t[1]) / t[0]])
    >>> d2.cov.shape
    (2, 2)
    """
    params, cov = _params_and_cov(res)
    if not callable(g):
        raise DataError(f"g must be a function of the parameter vector, got {type(g).__name__} {g!r}")
    value = _value(g, params)
    m, k = value.size, params.size
    if jac is not None:
        J = _analytic_jacobian(jac, params, m, k)
    else:
        J = np.empty((m, k))
        for i in range(m):
            J[i] = numerical_gradient(lambda t, i=i: _value(g, np.asarray(t, dtype=float))[i], params, step=step)
    zero_rows = np.flatnonzero(np.all(J == 0, axis=1))
    if zero_rows.size:
        warnings.warn(
            f"the Jacobian of g is zero in row(s) {zero_rows.tolist()} at params = {params.tolist()}: g is "
            "stationary there (or its changes are below the rounding of its value), so the first-order delta "
            "method gives standard error 0",
            RuntimeWarning,
            stacklevel=2,
        )
    out_cov = J @ cov @ J.T
    out_cov = (out_cov + out_cov.T) / 2
    # a variance that is 0 in exact arithmetic (g constant along the support of cov) may come out as
    # -1e-17 by rounding: within the rounding bound of J cov J' it is 0, not a negative variance
    bound = 8 * k * np.finfo(float).eps * np.diag(np.abs(J) @ np.abs(cov) @ np.abs(J).T)
    diag = np.diag(out_cov).copy()
    rounding = (diag < 0) & (-diag <= bound)
    if rounding.any():
        out_cov[rounding, :] = 0.0
        out_cov[:, rounding] = 0.0
    return DeltaResult(value, out_cov, J)

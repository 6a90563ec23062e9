"""The result object every mlelib fitter returns, in the spirit of statsmodels' results."""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy import stats

from ._validate import _show, check_alpha, check_callable, positive_int, to_float
from .errors import DataError

__all__ = ["MLEResult"]


def _check_covariance(cov):
    """Raise DataError unless `cov` is symmetric and positive semi-definite, both to rounding."""
    scale = np.abs(cov).max()
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12 * scale):
        i, j = np.unravel_index(np.argmax(np.abs(cov - cov.T)), cov.shape)
        raise DataError(
            f"cov must be symmetric; cov[{i}, {j}] = {cov[i, j]:.6g} but cov[{j}, {i}] = {cov[j, i]:.6g}"
        )
    d = np.diag(cov)
    if np.any(d < 0):
        i = int(np.argmin(d))
        raise DataError(f"cov must be positive semi-definite; its diagonal entry cov[{i}, {i}] = {d[i]:.6g} is negative")
    s = np.where(d > 0, np.sqrt(d), 1.0)
    eig = np.linalg.eigvalsh((0.5 * cov + 0.5 * cov.T) / np.outer(s, s))
    if eig.min() < -1e-8 * max(1.0, eig.max()):
        raise DataError(
            f"cov must be positive semi-definite (a covariance matrix); its correlation matrix has the "
            f"eigenvalue {eig.min():.3g} < 0"
        )


@dataclass(frozen=True, repr=False, eq=False)
class MLEResult:
    r"""A fitted maximum likelihood estimate and its asymptotic uncertainty.

    Parameters
    ----------
    params : array_like, shape (k,)
        The estimate :math:`\hat\theta`, on the natural scale of the model.
    cov : array_like, shape (k, k)
        Estimated covariance of :math:`\hat\theta`, usually the inverse observed
        information :math:`J(\hat\theta)^{-1}`.
    loglik : float
        The maximised log-likelihood :math:`\ell(\hat\theta)`.
    nobs : int, optional
        Number of observations *n*, an integer >= 1. Only the BIC needs it; without it ``bic``
        raises a ``ValueError`` naming `nobs`.
    converged : bool, default True
        Whether the optimiser met its convergence criteria.
    param_names : sequence of str, optional
        Names for the summary table; defaults to ``theta0, theta1, ...``.
    model : str, optional
        A short description shown by ``repr`` and :meth:`summary`.
    niter : int, optional
        Iterations the optimiser used (None for closed forms).
    negloglik : callable, optional
        The negative log-likelihood as a function of `params` (natural scale), kept so
        that likelihood-based intervals can be computed later.

    Attributes
    ----------
    bse : ndarray, shape (k,)
        Standard errors, :math:`\sqrt{\operatorname{diag}(\text{cov})}`.
    aic, bic : float
        :math:`2k - 2\ell(\hat\theta)` and :math:`k\log n - 2\ell(\hat\theta)`.

    Raises
    ------
    ValueError
        If `params` is not a finite real 1-D array; `cov` is not a real (k, k) matrix that is
        symmetric and positive semi-definite (to rounding; NaN entries are allowed only as "not
        available" when ``converged=False``); `loglik` is not a finite real number; `nobs` is not an
        integer >= 1; `param_names` is not a sequence of k strings; or `niter` is not a
        non-negative int or None. (:class:`~mlelib.DataError`, a
        ``ValueError``.)

    Examples
    --------
    >>> res = MLEResult(params=[2.0], cov=[[0.25]], loglik=-3.0, nobs=10)
    >>> res.bse
    array([0.5])
    >>> res.conf_int().round(3)
    array([[1.02, 2.98]])
    """

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    nobs: Optional[int] = None
    converged: bool = True
    param_names: Optional[tuple] = None
    model: str = ""
    niter: Optional[int] = None
    negloglik: Optional[Callable] = field(default=None, compare=False)

    def __post_init__(self):
        params = to_float(self.params, "params")
        params = np.atleast_1d(params)
        if params.ndim != 1 or not np.all(np.isfinite(params)):
            raise DataError(f"params must be a finite 1-D array, got {_show(self.params)}")
        k = params.size
        cov = to_float(self.cov, "cov")
        if cov.size != k * k or cov.ndim > 2 or (cov.ndim == 2 and cov.shape != (k, k)):
            raise DataError(f"cov must have shape ({k}, {k}) to match {k} params, got shape {np.shape(self.cov)}")
        cov = cov.reshape(k, k).copy()
        if np.any(np.isinf(cov)):
            raise DataError(f"cov must be finite (NaN marks 'not available'); got {_show(cov.tolist())}")
        if np.any(np.isnan(cov)):
            if self.converged:
                raise DataError(
                    "cov contains NaN but converged=True: a converged fit must report its covariance; "
                    "pass converged=False when the covariance is not available"
                )
        else:
            _check_covariance(cov)
            cov = 0.5 * cov + 0.5 * cov.T  # not 0.5 * (cov + cov.T): that overflows for entries near 1e308
        if self.nobs is not None:
            nobs = positive_int(self.nobs, "nobs", what="the number of observations")
        else:
            nobs = None
        loglik = to_float(self.loglik, "loglik")
        if loglik.size != 1 or not np.isfinite(loglik).all():
            raise DataError(f"loglik must be a finite real number (the maximised log-likelihood); got {_show(self.loglik)}")
        if not isinstance(self.converged, (bool, np.bool_)):
            raise DataError(f"converged must be True or False; got {_show(self.converged)}")
        if self.param_names is not None and isinstance(self.param_names, str):
            raise DataError(f"param_names must be a sequence of {k} names, got the string {self.param_names!r}")
        if self.param_names is None:
            names = tuple(f"theta{i}" for i in range(k))
        else:
            try:
                names = tuple(self.param_names)
            except TypeError:
                raise DataError(
                    f"param_names must be a sequence of {k} strings; got {_show(self.param_names)} of type "
                    f"{type(self.param_names).__name__}"
                ) from None
            if len(names) != k:
                raise DataError(f"param_names has {len(names)} entries for {k} params")
            bad = [i for i, n in enumerate(names) if not isinstance(n, str)]
            if bad:
                i = bad[0]
                raise DataError(
                    f"param_names must be strings; param_names[{i}] = {_show(names[i])} is a "
                    f"{type(names[i]).__name__} (pass e.g. [str(n) for n in names])"
                )
        if self.niter is not None:
            niter = self.niter
            if isinstance(niter, (bool, np.bool_)) or not isinstance(niter, (int, np.integer)) or niter < 0:
                raise DataError(
                    f"niter must be a non-negative int (iterations the optimiser used) or None (closed forms); "
                    f"got {_show(niter)} of type {type(niter).__name__}"
                )
            object.__setattr__(self, "niter", int(niter))
        if self.negloglik is not None:
            check_callable(self.negloglik, "negloglik", "negloglik(theta) -> float")
        params.flags.writeable = False
        cov.flags.writeable = False
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "cov", cov)
        object.__setattr__(self, "loglik", float(loglik.reshape(())))
        object.__setattr__(self, "nobs", nobs)
        object.__setattr__(self, "converged", bool(self.converged))
        object.__setattr__(self, "param_names", names)

    @property
    def k(self):
        """Number of estimated parameters."""
        return self.params.size

    @property
    def bse(self):
        """Standard errors, the square roots of the diagonal of `cov` (NaN where it is negative)."""
        d = np.diag(self.cov)
        return np.sqrt(np.where(d >= 0, d, np.nan))

    @property
    def aic(self):
        """Akaike information criterion, :math:`2k - 2\\ell(\\hat\\theta)` (smaller is better)."""
        return 2 * self.k - 2 * self.loglik

    @property
    def bic(self):
        """Bayesian information criterion, :math:`k\\log n - 2\\ell(\\hat\\theta)` (smaller is better).

        Raises ``ValueError`` if the result was built without `nobs`.
        """
        if self.nobs is None:
            raise ValueError(
                "bic needs the number of observations, but this result has nobs=None; pass nobs=... to "
                "the fitter (e.g. fit(negloglik, x0, nobs=len(data))) or compare models by aic"
            )
        return self.k * np.log(self.nobs) - 2 * self.loglik

    def conf_int(self, alpha=0.05, method="wald"):
        r"""Confidence intervals, one row per parameter: Wald (default) or profile likelihood.

        Parameters
        ----------
        alpha : float, default 0.05
            One minus the nominal coverage, in (0, 1).
        method : {"wald", "profile"}, default "wald"
            ``"wald"``: :math:`\hat\theta_j \pm z_{1-\alpha/2}\,\mathrm{se}_j`, symmetric, from `cov`.
            ``"profile"``: the likelihood-ratio interval
            :math:`\{\psi: 2[\ell(\hat\theta) - \ell_p(\psi)] \le \chi^2_{1,1-\alpha}\}`, found by
            root finding on the profile log-likelihood (the other parameters maximised out); needs
            `negloglik`. See :func:`mlelib.profile_likelihood_interval`.

        Returns
        -------
        ndarray, shape (k, 2)
            Lower and upper limits, one row per parameter.

        Raises
        ------
        ValueError
            If `alpha` is not in (0, 1), `method` is unknown, or ``method="profile"`` is asked of a
            result built without `negloglik`.

        Examples
        --------
        >>> from mlelib import exponential_loglik
        >>> x = [1.0, 3.0, 2.0, 0.5, 3.5]
        >>> res = MLEResult([0.5], [[0.05]], exponential_loglik(x, 0.5), 5,
        ...                 negloglik=lambda t: -exponential_loglik(x, t[0]))
        >>> res.conf_int().round(4)
        array([[0.0617, 0.9383]])
        >>> res.conf_int(method="profile").round(4)
        array([[0.1793, 1.0746]])
        """
        alpha = check_alpha(alpha)
        if method == "wald":
            z = stats.norm.isf(alpha / 2)
            half = z * self.bse
            return np.column_stack([self.params - half, self.params + half])
        if method == "profile":
            if self.negloglik is None:
                raise ValueError(
                    "method='profile' needs the negative log-likelihood, but this result was built without "
                    "negloglik=...; pass it to MLEResult (the mlelib fitters do) or use method='wald'"
                )
            from .inference import profile_likelihood_interval

            return profile_likelihood_interval(self.negloglik, self.params, cov=self.cov, alpha=alpha)
        raise ValueError(f"method must be 'wald' or 'profile', got {method!r}")

    def summary(self, alpha=0.05):
        """A plain-text table of estimates, standard errors, z statistics and Wald intervals."""
        ci = self.conf_int(alpha)
        level = f"{100 * (1 - alpha):g}%"
        width = max(9, *(len(n) for n in self.param_names))
        bic = f"{self.bic:.4f}" if self.nobs is not None else "n/a (nobs not given)"
        lines = [
            f"{self.model or 'MLE'}: nobs={self.nobs}  loglik={self.loglik:.4f}  "
            f"aic={self.aic:.4f}  bic={bic}  converged={self.converged}",
            f"{'':{width}} {'estimate':>12} {'std err':>12} {'z':>9} {level + ' lower':>12} {level + ' upper':>12}",
        ]
        for name, est, se, (lo, hi) in zip(self.param_names, self.params, self.bse, ci):
            lines.append(f"{name:{width}} {est:12.6g} {se:12.6g} {est / se:9.3f} {lo:12.6g} {hi:12.6g}")
        return "\n".join(lines)

    def __repr__(self):
        est = ", ".join(f"{n}={v:.6g}" for n, v in zip(self.param_names, self.params))
        model = f"{self.model!r}, " if self.model else ""
        return (
            f"{type(self).__name__}({model}{est}, loglik={self.loglik:.6g}, nobs={self.nobs}, converged={self.converged})"
        )

r"""Generalised linear models by maximum likelihood: one Newton / Fisher-scoring (IRLS) core.

:func:`fit_glm` fits any family/link pair of ``mlelib.families`` with the same loop: on an
internally standardised design (columns centred when there is an intercept and scaled to unit root
mean square by powers of two, so the fit does not depend on the units of the regressors), each step
solves :math:`H\delta = g` with the score :math:`g = Z^\top r` and either the observed information
(``method="newton"``) or the expected information (``method="fisher"``, i.e. IRLS), by a
checked Cholesky factorisation of the equilibrated matrix; steps are halved until the
log-likelihood increases. Convergence is the scale-free Newton-decrement test
:math:`g^\top H^{-1} g / 2 \le` `tol`, verified at the returned estimate.

Existence is checked as strictly as in :mod:`mlelib.regression`: binomial fits raise
:class:`~mlelib.errors.SeparationError` and Poisson / negative-binomial fits
:class:`~mlelib.errors.NoFiniteMLEError` when a linear program certifies that no finite maximiser
exists (run when the fit shows a symptom of divergence).
"""

import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import linalg, optimize, special, stats

from .errors import DataError, NoFiniteMLEError, SeparationError
from .families import Binomial, NegativeBinomial, Poisson, _nb_loglik_obs, resolve_family
from .regression import (
    _WEAK_DIRECTION_RATIO,
    _as_design,
    _as_real_array,
    _check_aligned,
    _check_finite_cov,
    _check_max_count,
    _names_and_rows,
    _degenerate_labels_message,
    _DesignModel,
    _full_rank_factor,
    _inverse_information,
    _is_positive_definite,
    _newton,
    _newton_step,
    _poisson_saturated_loglik,
    _raise_no_poisson_mle,
    _raise_separation,
    _separation_signs,
    _shifted_matvec,
    _standardise,
    _weak_direction_ratio,
    _weighted_gram,
    _zero_counts_message,
)
from .results import MLEResult

__all__ = ["fit_glm", "GLMResult", "glm_lr_test", "LRTestResult"]

_EPS = np.finfo(float).eps
_METHODS = ("newton", "fisher")


@dataclass(frozen=True, repr=False, eq=False)
class GLMResult(MLEResult):
    r"""An :class:`~mlelib.results.MLEResult` for a generalised linear model (see :func:`fit_glm`).

    Attributes
    ----------
    family, link : str
        Names of the family and the link.
    method : str
        ``"newton"`` (covariance from the observed information) or ``"fisher"`` (expected).
    deviance : float
        :math:`D = \sum_i m_i d(y_i, \hat\mu_i) = 2\{\ell_{\text{sat}} - \ell(\hat\beta)\}\phi`.
    null_deviance : float
        The deviance of the intercept-only model (with the same offset).
    pearson_chi2 : float
        :math:`X^2 = \sum_i m_i (y_i - \hat\mu_i)^2 / V(\hat\mu_i)`.
    scale : float
        The dispersion :math:`\phi` used in `cov`: 1 for binomial, Poisson and negative binomial;
        :math:`X^2/(n-p)` for Gaussian and Gamma, or when ``scale="pearson"`` was asked for.
    df_resid : int
        :math:`n - p`, with p the number of regression coefficients.
    alpha : float
        The negative-binomial dispersion (NaN for other families).
    penalty : str or None
        ``"firth"`` for a penalised fit, else None.
    loglik_unpenalized : float
        The ordinary log-likelihood at the estimate (equals `loglik` without a penalty).
    mu : ndarray
        The fitted means :math:`\hat\mu_i` (proportions for binomial data with trials).
    cov_type : str
        ``"nonrobust"`` or ``"HC0"`` (sandwich).
    """

    family: str = ""
    link: str = ""
    method: str = "newton"
    deviance: float = float("nan")
    null_deviance: float = float("nan")
    pearson_chi2: float = float("nan")
    scale: float = 1.0
    df_resid: int = 0
    alpha: float = float("nan")
    penalty: Optional[str] = None
    loglik_unpenalized: float = float("nan")
    mu: Optional[np.ndarray] = None
    cov_type: str = "nonrobust"

    def conf_int(self, alpha=0.05, method="wald"):
        """As :meth:`MLEResult.conf_int`; a profile interval is refused for a sandwich (HC0) fit."""
        if method == "profile" and self.cov_type == "HC0":
            raise DataError(
                "method='profile' profiles the model's likelihood, which a sandwich (cov_type='HC0') fit does not "
                "trust (the robust interval would be ~sqrt(sandwich/model variance) wider); use method='wald' for "
                "the robust interval, or scale='pearson' for a quasi-likelihood profile"
            )
        return super().conf_int(alpha=alpha, method=method)

    def __post_init__(self):
        super().__post_init__()
        for name in ("deviance", "null_deviance", "pearson_chi2", "scale", "alpha", "loglik_unpenalized"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "df_resid", int(self.df_resid))
        if self.mu is not None:
            mu = np.array(self.mu, dtype=float)
            mu.flags.writeable = False
            object.__setattr__(self, "mu", mu)


@dataclass(frozen=True)
class LRTestResult:
    r"""The result of :func:`glm_lr_test`.

    Attributes
    ----------
    statistic : float
        :math:`2\{\ell(\hat\beta_{\text{full}}) - \ell(\hat\beta_{\text{restricted}})\}` (chi-square
        test), or the F statistic.
    df : int
        The number of restrictions, :math:`p_{\text{full}} - p_{\text{restricted}}`.
    pvalue : float
        Upper tail probability of the reference distribution.
    distribution : str
        ``"chi2"`` or ``"F"``.
    df_denom : float
        Denominator degrees of freedom of the F test (NaN for the chi-square test).
    """

    statistic: float
    df: int
    pvalue: float
    distribution: str
    df_denom: float = float("nan")


# ----------------------------------------------------------------------------------------------
# input validation


def _finite_vector(a, name, n):
    arr = _as_real_array(a, name)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D with one entry per row of X (n = {n}), got shape {arr.shape}")
    if arr.size != n:
        raise DataError(
            f"{name} has {arr.size} entries but X has {n} rows (shape {arr.shape}): need one entry per row of X"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf), first {arr[i]} at position {i}"
        )
    return arr


def _prepare(X, y, trials, offset, param_names):
    for name, other in (("y", y), ("trials", trials), ("offset", offset)):
        _check_aligned(X, other, name)
    Xa, frame_names = _as_design(X)
    n, k = Xa.shape
    ya = _finite_vector(y, "y", n)
    ta = None if trials is None else _finite_vector(trials, "trials", n)
    off = None if offset is None else _finite_vector(offset, "offset", n)
    param_names = _names_and_rows(param_names, frame_names, n, k)
    return Xa, ya, ta, off, param_names


# Squares of y (the Gaussian deviance; the Fisher weights of the Gamma identity and inverse links,
# which scale like y^-2 or y^2) stay inside the float64 range while |y| is within 2**+-500 (~1e+-150).
_Y_UNITS = 2.0**500


def _check_response_units(y, fam):
    big = float(np.max(np.abs(y)))
    nonzero = np.abs(y[y != 0])
    small = float(nonzero.min()) if nonzero.size else 1.0
    if big > _Y_UNITS or small < 1 / _Y_UNITS:
        value = big if big > _Y_UNITS else small
        raise DataError(
            f"y contains {value:.3g}, beyond 1e+-150 in magnitude: the {fam.name} model with the {fam.link.name} "
            "link works with squares of y (deviance or weights), which leave the float64 range; express y in "
            "other units (e.g. multiply it by a power of ten)"
            + (" or use the log link, which is unaffected" if fam.name == "gamma" else "")
        )


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _check_glm_options(method, cov_type, tol, maxiter, scale):
    if method not in _METHODS:
        raise DataError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if cov_type not in ("nonrobust", "HC0"):
        raise DataError(f"cov_type must be 'nonrobust' or 'HC0', got {cov_type!r}")
    if not (_is_number(tol) and np.isfinite(tol) and tol > 0):
        raise DataError(f"tol must be a positive number (a log-likelihood gain, e.g. 1e-10), got {tol!r}")
    if not (isinstance(maxiter, (int, np.integer)) and not isinstance(maxiter, (bool, np.bool_)) and maxiter >= 1):
        raise DataError(f"maxiter must be a positive integer (e.g. 100), got {maxiter!r}")
    if scale is not None and not (isinstance(scale, str) and scale == "pearson"):
        if not (_is_number(scale) and np.isfinite(scale) and scale > 0):
            raise DataError(f"scale must be None, 'pearson' or a positive number (the dispersion phi), got {scale!r}")
    return float(tol), int(maxiter)


# ----------------------------------------------------------------------------------------------
# the model as functions of the linear predictor: what the one Newton loop needs


class _Kernel:
    r"""A family/link and its data as functions of the linear predictor :math:`\eta`.

    ``objective(eta)``: minus half the deviance (the log-likelihood up to a constant), -inf where
    :math:`\eta` leaves the link's domain or the mean the family's; ``working(eta)``: the score
    residuals r (score :math:`Z^\top r`) and the weights of the information used for the step:
    ``(r, w)`` with the Fisher weights, or, for Newton on a non-canonical link, ``(r, w_obs, w)``
    (observed weights, and the Fisher weights to fall back on where the observed information is
    not positive definite). The mean at the last :math:`\eta` is cached: Newton asks for the
    objective and then the working quantities at the same iterate.
    """

    def __init__(self, fam, y, m, method="newton"):
        self.fam, self.link, self.y = fam, fam.link, y
        self.m = np.ones_like(y) if m is None else m
        self.observed = method == "newton" and not fam.is_canonical
        self._eta, self._mu = None, None
        # A reference dispersion for families with a free scale (Gaussian, Gamma): the objective is
        # then -D/(2 phi0), a log-likelihood in its own units, so the Newton-decrement test does not
        # depend on the units of y (Gaussian) or on the size of the dispersion (Gamma).
        self.phi0 = 1.0

    def mean(self, eta):
        """The fitted means, or None outside the parameter space."""
        if self._eta is not eta:
            mu = None
            if np.all(self.link.valid_eta(eta)):
                with np.errstate(all="ignore"):
                    mu = self.link.inverse(eta)
                if not np.all(self.fam.valid_mu(mu)):
                    mu = None
            self._eta, self._mu = eta, mu
        return self._mu

    def objective(self, eta):
        mu = self.mean(eta)
        if mu is None:
            return -np.inf
        with np.errstate(all="ignore"):
            val = -0.5 * float(np.sum(self.m * self.fam.unit_deviance(self.y, mu, eta))) / self.phi0
        return val if np.isfinite(val) else -np.inf

    def fisher(self, eta):
        r"""``(r, w, h, mu)``: score residuals, Fisher weights, :math:`h = \mu'/V` and the means."""
        fam, link = self.fam, self.link
        mu = self.mean(eta)
        if mu is None:
            mu = link.inverse(eta)
        with np.errstate(all="ignore"):
            log_dmu = link.log_abs_dmu(eta)
            log_v = fam.log_variance(mu, eta)
            h = link.sign_dmu(eta) * np.exp(log_dmu - log_v)  # (dmu/deta) / V
            r = self.m * (self.y - mu) * h
            w = self.m * np.exp(2 * log_dmu - log_v)
        return r, w, h, mu

    def working(self, eta):
        r, w, h, mu = self.fisher(eta)
        if self.phi0 != 1.0:
            r, w = r / self.phi0, w / self.phi0
        if not self.observed:
            return r, w
        with np.errstate(all="ignore"):
            w_obs = w - r * (self.link.d2_ratio(eta) - h * self.fam.variance_deriv(mu))
        return r, w_obs, w

    def floor(self, eta):
        r"""The Newton decrement made by rounding alone: each :math:`y_i - \mu_i` is known to about
        :math:`\varepsilon(|y_i| + |\mu_i|)`, which moves :math:`g^\top H^{-1}g` by about
        :math:`\varepsilon^2\sum_i m_i(|y_i| + |\mu_i|)^2/(V(\mu_i)\phi_0)` (times 4 for safety). It matters
        only when y has a large mean relative to its spread (a Gaussian y of 1e10 + noise), and is used
        for the families with a free dispersion (Gaussian, Gamma) only: where V(mu) can vanish (fitted
        probabilities near 0 or 1) it would be huge and stop a fit early."""
        if not self.fam.free_scale:  # V(mu) -> 0 at the edges of binomial/Poisson means: no floor
            return 0.0
        mu = self.mean(eta)
        if mu is None:
            return 0.0
        with np.errstate(all="ignore"):
            spread = (np.abs(self.y) + np.abs(mu)) ** 2 * np.exp(-self.fam.log_variance(mu, eta))
            val = 4 * _EPS**2 * float(np.sum(self.m * spread))
        return val / self.phi0 if np.isfinite(val) else 0.0

    def loglik(self, eta, scale):
        """The full log-likelihood at dispersion `scale`."""
        mu = self.mean(eta)
        with np.errstate(all="ignore"):
            return float(np.sum(self.fam.loglik_obs(self.y, mu, eta, self.m, scale)))


class _BernoulliLogit(_Kernel):
    r"""0/1 labels with the logit link: one exp per iterate, no cancellation.

    With the margins :math:`m_i = s_i\eta_i` (:math:`s_i = 2y_i - 1`) and :math:`z = e^{-|\eta|}`:
    :math:`\log(1 + e^{-m}) = \max(-m, 0) + \log(1 + z)`, :math:`y - p = s\,\sigma(-m)` with
    :math:`\sigma(-m)` = z/(1+z) for m >= 0 and 1/(1+z) otherwise, and the weight :math:`p(1-p) = z/(1+z)^2`.
    """

    def __init__(self, fam, y, m=None, method="newton"):
        super().__init__(fam, y, m, method)
        self.s = 2.0 * y - 1.0
        self._margin_eta = None

    def _margins(self, eta):
        if self._margin_eta is not eta:
            self._margin_eta, self._m, self._z = eta, self.s * eta, np.exp(-np.abs(eta))
        return self._m, self._z

    def objective(self, eta):
        m, z = self._margins(eta)
        return -float(np.maximum(-m, 0.0).sum() + np.log1p(z).sum())

    def working(self, eta):
        m, z = self._margins(eta)
        inv = np.add(1.0, z)
        np.reciprocal(inv, out=inv)
        z_inv = z * inv
        r = np.where(m >= 0, z_inv, inv)
        r *= self.s
        z_inv *= inv  # the weight, in place (fewer n-vectors alive at once)
        return r, z_inv

    def separated(self, eta):
        r"""Every margin :math:`s_i x_i^\top\beta > 0`: beta itself separates the classes."""
        return bool(np.all(self._margins(eta)[0] > 0))

    def loglik(self, eta, scale):
        return self.objective(eta)


class _PoissonLog(_Kernel):
    r"""Counts with the log link, without cancellation (counts of 1e12 make :math:`y\eta` and :math:`e^\eta` 3e13).

    Minus half the deviance, :math:`-\sum_i y_i\varphi(\eta_i - \log y_i) - \sum_{y_i=0} e^{\eta_i}`
    with :math:`\varphi(t) = e^t - 1 - t \ge 0` via ``expm1``; the log-likelihood adds the saturated
    one, :math:`\sum_i [y_i\log y_i - y_i - \log y_i!]` (Stirling's series for large counts).
    """

    def __init__(self, fam, y, m=None, method="newton"):
        super().__init__(fam, y, m, method)
        self.logy = np.log(np.where(y > 0, y, 1.0))
        self.zero = (y == 0).astype(float)
        self.has_zero = bool(self.zero.any())
        self._mu_eta, self._saturated = None, None

    def mean(self, eta):
        if self._mu_eta is not eta:
            with np.errstate(over="ignore"):
                self._mu_eta, self._mu = eta, np.exp(eta)
        return self._mu

    def objective(self, eta):
        mu = self.mean(eta)
        with np.errstate(over="ignore", invalid="ignore"):
            t = np.subtract(eta, self.logy)
            phi = np.expm1(t)
            phi -= t  # in place: two n-vectors in all
            value = -float(self.y @ phi + (self.zero @ mu if self.has_zero else 0.0))
        return value if np.isfinite(value) else -np.inf

    def working(self, eta):
        mu = self.mean(eta)
        return self.y - mu, mu

    @property
    def saturated(self):
        r""":math:`\sum_i [y_i\log y_i - y_i - \log y_i!]`, computed once (Stirling's series for large counts)."""
        if self._saturated is None:
            self._saturated = _poisson_saturated_loglik(self.y)
        return self._saturated

    def loglik(self, eta, scale):
        return self.objective(eta) + self.saturated


class _Firth:
    r"""Firth's penalised objective :math:`\ell + \tfrac12\log\det(Z^\top WZ)` and its modified score.

    For a canonical link the modified score is :math:`Z^\top\{r + \tfrac12\,\text{hat}\cdot V'(\mu)\}`
    :cite:p:`firth1993bias`, with the hat values of :math:`W^{1/2}Z`.
    """

    def __init__(self, base, Z):
        self.base, self.Z = base, Z

    def objective(self, eta):
        val = self.base.objective(eta)
        if not np.isfinite(val):
            return -np.inf
        _, w, _, _ = self.base.fisher(eta)
        val += 0.5 * _logdet(_weighted_gram(self.Z, w))
        return val if np.isfinite(val) else -np.inf

    def floor(self, eta):
        return self.base.floor(eta)

    def working(self, eta):
        r, w, _, mu = self.base.fisher(eta)
        hat = _hat_values(self.Z, w)
        return r + 0.5 * hat * self.base.fam.variance_deriv(mu), w


def _logdet(H):
    d = np.sqrt(np.diag(H))
    if not np.all(np.isfinite(d) & (d > 0)):
        return -np.inf
    try:
        c, _ = linalg.cho_factor(H / np.outer(d, d))
    except linalg.LinAlgError:
        return -np.inf
    return float(2 * np.sum(np.log(np.diag(c))) + 2 * np.sum(np.log(d)))


def _hat_values(Z, w):
    """Diagonal of W^1/2 Z (Z'WZ)^-1 Z' W^1/2, from the QR factorisation of W^1/2 Z."""
    Q, _ = np.linalg.qr(Z * np.sqrt(w)[:, None])
    return np.einsum("ij,ij->i", Q, Q)


def _kernel(fam, y, m, method):
    """The fastest exact kernel for the family: Bernoulli-logit and Poisson-log have their own."""
    bernoulli = m is None or bool(np.all(m == 1))
    if isinstance(fam, Binomial) and fam.is_canonical and bernoulli and np.all((y == 0) | (y == 1)):
        return _BernoulliLogit(fam, y)
    if type(fam) is Poisson and fam.is_canonical:
        return _PoissonLog(fam, y)
    return _Kernel(fam, y, m, method)


# ----------------------------------------------------------------------------------------------
# existence: the linear programs of mlelib.regression, on the standardised design


def _check_separation(Z, y, names, std, grouped):
    """Raise SeparationError if the (success/failure rows of the) data are separated."""
    if grouped:  # a success row where y > 0, a failure row where y < 1
        succ, fail = y > 0, y < 1
        rows = np.vstack([Z[succ], Z[fail]])
        s = np.concatenate([np.ones(int(succ.sum())), -np.ones(int(fail.sum()))])
    else:
        rows, s = Z, 2.0 * y - 1.0
    found = _separation_signs(rows, s)
    if found is not None:
        _raise_separation(found, s, names, std, grouped=grouped)


def _check_degenerate_response(Z, y, fam, names, std, grouped):
    """All responses at one end (binomial) or all counts zero: no finite MLE."""
    n = y.size
    if isinstance(fam, Binomial) and (np.all(y == 0) or np.all(y == 1)):
        label = int(y[0])
        if std.const is not None:
            raise SeparationError(_degenerate_labels_message(n, label, names[std.const], grouped))
        _check_separation(Z, y, names, std, grouped)
    if isinstance(fam, (Poisson, NegativeBinomial)) and not y.any():
        if std.const is not None:
            raise NoFiniteMLEError(_zero_counts_message(n, names[std.const]))
        _raise_no_poisson_mle(Z, y, names, std)


# ----------------------------------------------------------------------------------------------
# the core: standardise, check, Newton, check again


@dataclass
class _CoreFit:
    gamma: np.ndarray  # coefficients on Z; params = std.params(gamma)
    eta: np.ndarray
    objective: float  # the maximised objective (-D/2, plus the Firth penalty)
    H: np.ndarray  # the information on Z used for the covariance
    niter: int
    converged: bool
    reason: str
    dec: float
    Z: np.ndarray
    std: object
    kernel: object


def _user_start(start, std, k):
    b0 = _as_real_array(start, "start")
    if b0.shape != (k,) or not np.all(np.isfinite(b0)):
        raise DataError(
            f"start must be a finite 1-D array of {k} coefficients (in the units of X), got "
            f"{np.array2string(b0, threshold=8)} (shape {b0.shape})"
        )
    return linalg.solve(std.T, b0)


def _irls_start(kernel, Z, off, std):
    """One weighted least-squares (IRLS) step from the family's starting means, as R and statsmodels."""
    fam, link, y, m = kernel.fam, kernel.link, kernel.y, kernel.m
    mu0 = fam.start_mu(y, m)
    with np.errstate(all="ignore"):
        eta0 = link.link(mu0)
        # the weighted least squares of the working response z = eta0 - off + (y - mu0) g'(mu0) with
        # weights w0: w0 z = w0 (eta0 - off) + r, from the score residuals and Fisher weights at eta0
        # (computed on the log scale: no overflow of V(mu0) g'(mu0)^2 for y in extreme units)
        if isinstance(kernel, _PoissonLog):  # the same, with fewer n-vectors: w0 = mu0, r0 = y - mu0
            w0, r0 = mu0, y - mu0
        else:
            r0, w0, _, _ = _Kernel(fam, y, m).fisher(eta0)
        rhs = w0 * (eta0 - (0.0 if off is None else off)) + r0
    candidates = []
    if np.all(np.isfinite(rhs)) and np.all(np.isfinite(w0)):
        found = _newton_step(Z.T @ rhs, _weighted_gram(Z, w0), strict=True)
        if found is not None:
            candidates.append(found[0])
    if std.ones is not None:  # the intercept-only fit without offset
        with np.errstate(all="ignore"):
            candidates.append(std.ones * float(link.link(np.average(y, weights=m))))
    return candidates + [np.zeros(Z.shape[1])]


def _fit_core(Xa, y, m, off, fam, names, *, method="newton", firth=False, start=None, tol=1e-10, maxiter=100,
              grouped=False):
    """The one fit of mlelib's GLMs (fit_glm, fit_logistic, fit_poisson).

    Standardises X (:func:`~mlelib.regression._standardise`: exact, so the fit is equivariant under
    affine changes of the columns), checks its rank, refuses responses with no finite MLE, runs
    :func:`~mlelib.regression._newton` on the family's kernel, and runs the existence linear
    programs on a symptom of divergence. ``m``: binomial trials (None: all 1); ``off``: offset or None.
    """
    n, k = Xa.shape
    Z, std, gram = _standardise(Xa)
    R, gram, Z, std = _full_rank_factor(Z, names, gram, std.data_tol, std, orthogonalise=True)
    if not firth:
        _check_degenerate_response(Z, y, fam, names, std, grouped)
    kernel = _kernel(fam, y, m, method)
    if firth:
        kernel = _Firth(kernel, Z)
    bernoulli = isinstance(kernel, _BernoulliLogit)
    certificate = kernel.separated if bernoulli and off is None else None
    H0 = None
    if start is not None:
        gamma0 = _user_start(start, std, k)
        candidates = [gamma0]
    elif bernoulli and off is None:
        candidates, H0 = [np.zeros(k)], gram / 4  # the information at beta = 0 is Z'Z / 4
    else:
        candidates = _irls_start(kernel.base if firth else kernel, Z, off, std)
    model = _DesignModel(Z, kernel.objective, kernel.working, offset=off, certificate=certificate, floor=kernel.floor)
    for gamma0 in candidates:
        if np.all(np.isfinite(gamma0)) and np.isfinite(model.value(gamma0)):
            break
    else:
        if start is not None:
            raise DataError(
                f"start = {np.asarray(start, dtype=float).tolist()} gives fitted means outside the {fam.name} "
                f"family's range with the {fam.link.name} link"
            )
        raise DataError(
            f"could not find starting values whose fitted means are valid for the {fam.name} family with the "
            f"{fam.link.name} link; pass start= (coefficients in the units of X)"
        )
    model.H0 = H0
    if fam.free_scale:  # the mean deviance at the start: a dispersion of the right size (see _Kernel.phi0)
        dev0 = -2.0 * kernel.objective(model.linear_predictor(gamma0)) / y.size
        kernel.phi0 = dev0 if np.isfinite(dev0) and dev0 > 0 else 1.0
        model.forget()  # the objective changed units: no cached value
    # linear convergence: Fisher scoring on a non-canonical link, and Firth's modified score (whose
    # step uses the information, not the Hessian of the penalised objective)
    polish = firth or (method == "fisher" and not fam.is_canonical)
    gamma, obj, H, niter, converged, reason, dec, _ = _newton(model, gamma0, tol, maxiter, polish=polish)
    while fam.free_scale and np.isfinite(obj):
        # phi0 came from the start; once the fit has reduced the mean deviance by more than half (a start far
        # from the data), the test ran on too loose a scale: continue from here with phi0 = D/n
        phi_now = -2.0 * obj * kernel.phi0 / n
        if not (np.isfinite(phi_now) and 0 < phi_now < kernel.phi0 / 2):
            break
        kernel.phi0 = phi_now
        model.forget()
        gamma, obj, H, more, converged, reason, dec, _ = _newton(model, gamma, tol, maxiter, polish=polish)
        niter += more
    eta = model.linear_predictor(gamma)
    if fam.free_scale:  # back to the units of -D/2
        obj, H, kernel.phi0 = obj * kernel.phi0, H * kernel.phi0, 1.0
    if reason == "certificate":
        _raise_separation((gamma, "complete", 0), y, names, std)
    if not firth:
        if isinstance(fam, Binomial):
            reference = 0.25 * (1.0 if m is None else float(np.mean(m)))
            if not converged or _weak_direction_ratio(R, H, reference) < _WEAK_DIRECTION_RATIO:
                _check_separation(Z, y, names, std, grouped)
        elif isinstance(fam, (Poisson, NegativeBinomial)):
            r, w = kernel.working(eta)[:2]
            reference = float(np.mean(y)) if y.any() else float(np.mean(w))
            if not converged or _weak_direction_ratio(R, H, reference) < _WEAK_DIRECTION_RATIO:
                _raise_no_poisson_mle(Z, y, names, std)
    degenerate = not (np.all(np.isfinite(H)) and np.all(np.diag(H) > 0))
    if degenerate or (not converged and not _is_positive_definite(H)):
        where = (
            f"from start = {np.asarray(start, dtype=float).tolist()}: drop start= (the default start is one IRLS step "
            "from the data) or pass one closer to the estimate"
            if start is not None
            else "check the data and the link"
        )
        raise DataError(
            f"Newton's method broke down ({reason or 'the information matrix is singular'}): the information "
            "matrix at the last iterate is not finite or not positive definite (fitted means at the edge of the "
            f"{fam.name} family's range, where the weights overflow or vanish); {where}"
        )
    return _CoreFit(gamma, eta, obj, H, niter, converged, reason, dec, Z, std, kernel)


# ----------------------------------------------------------------------------------------------
# negative binomial: alpha by maximum likelihood


_NO_OVERDISPERSION = (
    "the negative binomial log-likelihood increases as alpha -> 0: the counts show no overdispersion "
    "relative to the Poisson (at the Poisson fit, sum((y - mu)^2 - y) <= 0), so the MLE of alpha is on the "
    "boundary alpha = 0, which is the Poisson model; fit family='poisson' instead"
)


def _nb_alpha_parts(y, mu, a):
    """Per-observation d l/d alpha, d2 l/d alpha2 and d2 l/(d eta d alpha) for NB2 with log link."""
    r = 1.0 / a
    rm = r + mu
    l_r = special.digamma(y + r) - special.digamma(r) - np.log1p(a * mu) + (mu - y) / rm
    l_rr = special.polygamma(1, y + r) - special.polygamma(1, r) + 1.0 / r - 2.0 / rm + (r + y) / rm**2
    l_er = mu * (y - mu) / rm**2
    return -(r**2) * l_r, r**4 * l_rr + 2 * r**3 * l_r, -(r**2) * l_er


def _nb_joint(Z, y, eta, a):
    """Joint score and observed information of (gamma, alpha) for NB2 with log link."""
    mu = np.exp(eta)
    r = 1.0 / a
    rm = r + mu
    s_eta = r * (y - mu) / rm
    w_obs = r * mu * (r + y) / rm**2
    l_a, l_aa, l_ea = _nb_alpha_parts(y, mu, a)
    k = Z.shape[1]
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = _weighted_gram(Z, w_obs)
    H[:k, k] = H[k, :k] = -(Z.T @ l_ea)
    H[k, k] = -float(np.sum(l_aa))
    g = np.append(Z.T @ s_eta, float(np.sum(l_a)))
    return g, H, (s_eta, l_a)


def _nb_profile_alpha(y, eta):
    """The alpha maximising the NB2 log-likelihood at fixed means, by bounded Brent on log alpha."""
    mu, log_mu = np.exp(eta), eta

    def negll(la):
        return -float(np.sum(_nb_loglik_obs(y, mu, log_mu, np.exp(la))))

    lo, hi = -60.0, 10.0  # alpha from 1e-26 (counts of 1e9 have alpha_hat ~ 1e-11) to 2e4
    res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(res.x)), res.x <= lo + 1e-3


def _nb_loglik(y, eta, a):
    return float(np.sum(_nb_loglik_obs(y, np.exp(eta), eta, a)))


def _fit_nb(Z, y, off, gamma, tol, maxiter):
    """Alternate Newton for beta at fixed alpha (the one loop) and a 1-D ML update of alpha; polish jointly."""
    # moment start for alpha from the Poisson fit at gamma; at alpha = 0+ the score for alpha is
    # sum((y - mu)^2 - y) / 2 at the Poisson MLE: not positive means no overdispersion to fit
    eta = Z @ gamma + (0.0 if off is None else off)
    mu = np.exp(eta)
    if float(np.sum((y - mu) ** 2 - y)) <= 0:
        raise NoFiniteMLEError(_NO_OVERDISPERSION)
    a = max(float(np.mean(((y - mu) ** 2 - mu) / mu**2)), 1e-2)
    niter, converged, reason, dec = 0, False, "", np.inf
    k = Z.shape[1]
    for _ in range(maxiter):
        kernel = _Kernel(NegativeBinomial(a), y, None, "newton")
        model = _DesignModel(Z, kernel.objective, kernel.working, offset=off)
        gamma, _, _, it, ok, why, _, _ = _newton(model, gamma, tol * 1e-2, maxiter)
        eta = model.linear_predictor(gamma)
        niter += it
        if not ok:
            reason = f"the Newton iteration for beta at alpha = {a:.4g} did not converge ({why})"
            break
        a, at_bound = _nb_profile_alpha(y, eta)
        if at_bound:
            raise NoFiniteMLEError(
                "the maximum likelihood estimate of the NB2 dispersion alpha is below 1e-26: the negative "
                "binomial is indistinguishable from the Poisson for these counts; fit family='poisson' instead"
            )
        g, H, _ = _nb_joint(Z, y, eta, a)
        found = _newton_step(g, H, strict=True)
        if found is None:
            reason = "the joint information of (beta, alpha) is not positive definite"
            break
        step, dec = found
        if dec / 2 <= tol:
            # one joint Newton step to polish, kept if it does not lower the log-likelihood
            g_new, a_new = gamma + step[:k], a + step[k]
            if a_new > 0:
                eta_new = model.linear_predictor(g_new)
                before = _nb_loglik(y, eta, a)
                if _nb_loglik(y, eta_new, a_new) >= before - 1e-12 * (1 + abs(before)):
                    gamma, eta, a = g_new, eta_new, a_new
                    g, H, _ = _nb_joint(Z, y, eta, a)
                    found = _newton_step(g, H, strict=True)
                    dec = found[1] if found is not None else np.inf
            converged = dec / 2 <= tol
            if not converged:
                reason = "the polished joint Newton decrement is above tol"
            break
    else:
        reason = f"reached maxiter={maxiter} alternations of beta and alpha"
    return gamma, eta, a, niter, converged, reason, dec


# ----------------------------------------------------------------------------------------------
# the fitter


def fit_glm(
    X,
    y,
    family,
    link=None,
    *,
    trials=None,
    offset=None,
    method="newton",
    scale=None,
    penalty=None,
    cov_type="nonrobust",
    start=None,
    tol=1e-10,
    maxiter=100,
    param_names=None,
):
    r"""Maximum likelihood fit of a generalised linear model :math:`g(E y_i) = x_i^\top\beta + o_i`.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Design matrix, used as given (add a column of ones for an intercept).
    y : array_like, shape (n,)
        Responses: 0/1 labels or counts of successes (binomial), counts (Poisson, negative
        binomial), positive reals (Gamma), reals (Gaussian).
    family : str or family object
        ``"binomial"``, ``"poisson"``, ``"gamma"``, ``"gaussian"``, ``"negative_binomial"``
        (alias ``"negbin"``; dispersion :math:`\alpha` estimated by ML), or an object from
        ``mlelib.families``, e.g. ``NegativeBinomial(alpha=0.5)`` for a fixed :math:`\alpha`.
    link : str or link object, optional
        Default: the family's canonical link. Binomial: ``"logit"``, ``"probit"``,
        ``"cloglog"``; Poisson: ``"log"``, ``"identity"``; Gamma: ``"inverse"``, ``"log"``,
        ``"identity"``; Gaussian: ``"identity"``; negative binomial: ``"log"``.
    trials : array_like, shape (n,), optional
        Binomial only: numbers of trials :math:`m_i`; `y` is then the number of successes.
    offset : array_like, shape (n,), optional
        Known term added to the linear predictor (e.g. log exposure).
    method : {"newton", "fisher"}, default "newton"
        Newton's method with the observed information, or Fisher scoring (IRLS) with the expected
        information. The covariance uses the same matrix. They coincide for canonical links.
    scale : None, "pearson" or float, optional
        Dispersion :math:`\phi` for `cov`. None: :math:`X^2/(n-p)` for Gaussian and Gamma, 1 for
        the others; ``"pearson"``: :math:`X^2/(n-p)` for any family (quasi-likelihood, e.g.
        quasi-Poisson); a positive number: that value.
    penalty : None or "firth", optional
        ``"firth"``: maximise :math:`\ell(\beta) + \tfrac12\log\det I(\beta)` (Jeffreys-prior
        penalty) instead; canonical binomial (logit) and Poisson (log) only. The estimate is
        finite even under separation.
    cov_type : {"nonrobust", "HC0"}, default "nonrobust"
        ``"HC0"``: the sandwich :math:`H^{-1}(\sum_i s_i s_i^\top)H^{-1}` (scores :math:`s_i`).
    start : array_like, shape (p,), optional
        Starting coefficients (units of X). Default: one IRLS step from
        :math:`\mu_0` = the family's usual start.
    tol : float, default 1e-10
        Convergence tolerance on half the squared Newton decrement :math:`g^\top H^{-1} g/2`.
    maxiter : int, default 100
        Maximum number of iterations.
    param_names : sequence of str, optional
        Names of the coefficients; default ``x0, x1, ...`` or a DataFrame's columns.

    Returns
    -------
    GLMResult
        ``params`` :math:`\hat\beta` (for the negative binomial with estimated :math:`\alpha`,
        followed by :math:`\hat\alpha`, named ``alpha``), ``cov`` :math:`\hat\phi H^{-1}`,
        ``loglik`` (the penalised one with ``penalty="firth"``), ``deviance``,
        ``null_deviance``, ``pearson_chi2``, ``scale``, ``df_resid``, ``alpha``, ``mu``.
        For ``dask.array`` input (canonical binomial and Poisson models only, without trials,
        offset, penalty, scale, start or HC0): the :class:`~mlelib.ChunkedMLEResult` of the
        map-reduce Newton of :func:`~mlelib.fit_logistic` / :func:`~mlelib.fit_poisson`.

    Raises
    ------
    DataError
        Unknown family or link; y, trials or offset outside the support, non-finite, complex or
        of the wrong shape; a rank-deficient X; bad options.
    SeparationError
        Binomial data separated by a hyperplane through the columns of X (no finite MLE).
    NoFiniteMLEError
        Poisson / negative-binomial counts whose log-likelihood increases forever along some
        direction, or negative-binomial counts without overdispersion (:math:`\hat\alpha = 0`).

    Warns
    -----
    RuntimeWarning
        If the iteration stops before its convergence test is met (then ``converged=False``).

    Notes
    -----
    With :math:`h_i = (d\mu_i/d\eta_i)/V(\mu_i)`, the score is :math:`X^\top r`,
    :math:`r_i = m_i(y_i - \mu_i)h_i`, the expected information :math:`X^\top W X` with
    :math:`w_i = m_i (d\mu_i/d\eta_i)^2/V(\mu_i)`, and the observed information
    :math:`X^\top W_{\text{obs}} X` with

    .. math:: w_{\text{obs},i} = w_i - r_i\Bigl(\frac{\mu_i''}{\mu_i'} - h_i V'(\mu_i)\Bigr),

    which equals :math:`w_i` for a canonical link (:math:`h_i \equiv 1`)
    :cite:p:`mccullagh1989generalized`. Fisher scoring is IRLS: each step is a weighted
    least-squares fit of the working response. Firth's modified score for a canonical link is
    :math:`X^\top\{r + \tfrac12 \operatorname{diag}(\text{hat})V'(\mu)\}`, for the logit
    :math:`X^\top\{y - \mu + \text{hat}\,(\tfrac12 - \mu)\}` :cite:p:`firth1993bias`.
    The negative binomial alternates IRLS for :math:`\beta` at fixed :math:`\alpha` with a 1-D
    maximisation over :math:`\alpha`, then polishes with a joint Newton step; its covariance is
    the inverse joint observed information of :math:`(\beta, \alpha)`, as statsmodels'.

    References
    ----------
    :cite:p:`mccullagh1989generalized`; :cite:p:`agresti2013categorical`;
    :cite:p:`firth1993bias`.

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    >>> res = fit_glm(X, [1, 2, 2, 4, 6, 9], "poisson")
    >>> res.params.round(4).tolist(), round(res.deviance, 4)
    ([0.3325, 0.8341], 1.6704)
    >>> fit_glm(X, [0, 1, 0, 1, 1, 1], "binomial", "probit").params.round(3).tolist()
    [-0.271, 0.817]
    """
    fam = resolve_family(family, link)
    tol, maxiter = _check_glm_options(method, cov_type, tol, maxiter, scale)
    from .chunked import _is_dask, fit_logistic_chunked, fit_poisson_chunked  # mlelib.chunked imports this module

    if any(_is_dask(a) for a in (X, y, trials, offset)):
        canonical = fam.is_canonical and type(fam) in (Binomial, Poisson)
        defaults = trials is None and offset is None and penalty is None and scale is None and start is None
        if not (canonical and defaults and cov_type == "nonrobust"):
            raise DataError(
                "fit_glm on dask arrays fits the canonical binomial (logit link, 0/1 labels) and Poisson (log link) "
                "models, without trials, offset, penalty, scale, start or cov_type='HC0' (the map-reduce Newton of "
                f"mlelib.chunked); got the {fam.name} family with the {fam.link.name} link"
                + ("" if defaults and cov_type == "nonrobust" else " and options beyond those")
                + ". Fit in memory instead (e.g. X.compute(), y.compute())"
            )
        chunked = fit_logistic_chunked if isinstance(fam, Binomial) else fit_poisson_chunked
        return chunked(X, y, tol=tol, maxiter=maxiter, param_names=param_names)
    firth = False
    if penalty is not None:
        if not (isinstance(penalty, str) and penalty == "firth"):
            raise DataError(f"penalty must be None or 'firth', got {penalty!r}")
        if not (isinstance(fam, (Binomial, Poisson)) and fam.is_canonical):
            raise DataError(
                f"penalty='firth' is implemented for the canonical binomial (logit) and Poisson (log) models, "
                f"not for the {fam.name} family with the {fam.link.name} link"
            )
        if cov_type != "nonrobust":
            raise DataError("penalty='firth' takes cov_type='nonrobust' only")
        firth = True
    nb_free = isinstance(fam, NegativeBinomial) and fam.alpha is None
    if nb_free and method == "fisher":
        raise DataError(
            "method='fisher' is not available with an estimated alpha: the expected information of alpha has no "
            "closed form; use method='newton' or fix alpha with NegativeBinomial(alpha=...)"
        )
    if nb_free and scale is not None:
        raise DataError("scale cannot be set when alpha is estimated: alpha is the dispersion of the NB2 model")
    Xa, ya, ta, off, names = _prepare(X, y, trials, offset, param_names)
    ywork, m = fam.check_response(ya, ta)
    if isinstance(fam, (Poisson, NegativeBinomial)):
        _check_max_count(ywork.max())
    if fam.free_scale and not (fam.name == "gamma" and fam.link.name == "log"):
        _check_response_units(ywork, fam)
    n, p = Xa.shape
    grouped = ta is not None
    m_core = m if grouped else None

    if nb_free:  # a Poisson fit first (its no-MLE checks apply to the NB too), then alpha
        pois = _fit_core(Xa, ywork, None, off, Poisson(), names, tol=tol, maxiter=maxiter)
        Z, std = pois.Z, pois.std
        gamma, eta, alpha, niter, converged, reason, dec = _fit_nb(Z, ywork, off, pois.gamma, tol, maxiter)
        fam_fit = NegativeBinomial(alpha)
        kernel = _Kernel(fam_fit, ywork, None, method)
    else:
        core = _fit_core(
            Xa, ywork, m_core, off, fam, names, method=method, firth=firth, start=start, tol=tol,
            maxiter=maxiter, grouped=grouped,
        )
        Z, std, gamma, eta = core.Z, core.std, core.gamma, core.eta
        niter, converged, reason, dec = core.niter, core.converged, core.reason, core.dec
        fam_fit, alpha = fam, float("nan")
        kernel = core.kernel.base if firth else core.kernel
    if not converged:
        warnings.warn(
            f"fit_glm did not converge: {reason} (half the squared Newton decrement is {dec / 2:.3g}, "
            f"tolerance {tol:g}); the estimates and standard errors may be inaccurate"
            + (
                f" (from start = {np.asarray(start, dtype=float).tolist()}: a start far from the data can leave "
                "Newton where the weights vanish; try without start=)"
                if start is not None
                else ""
            ),
            RuntimeWarning,
            stacklevel=2,
        )

    r, w, _, mu = kernel.fisher(eta)
    with np.errstate(all="ignore"):
        dev = -2.0 * kernel.objective(eta)
        # (y - mu)^2 / V(mu) through log V: no under/overflow of V for y in extreme units
        pearson = float(np.sum(m * ((ywork - mu) * np.exp(-0.5 * fam_fit.log_variance(mu, eta))) ** 2))
    df_resid = n - p
    estimated = scale == "pearson" or (scale is None and fam.free_scale)
    # An exact fit (residuals at the rounding of y, as fit_linear judges it) leaves no dispersion to estimate
    with np.errstate(all="ignore"):
        rel = np.abs(ywork - mu) / np.maximum(np.abs(ywork), np.abs(mu))
    exact = bool(np.all(rel <= 4 * _EPS)) if fam.free_scale else False
    if fam.name == "gaussian" and estimated and (exact or dev <= (2 * _EPS * np.linalg.norm(ywork)) ** 2):
        raise NoFiniteMLEError(
            f"y lies in the column space of X (residual sum of squares {dev:.3g}, zero up to rounding), so "
            "sigma2_hat = RSS/n = 0 and the Gaussian log-likelihood is unbounded above: no finite MLE of the "
            "dispersion exists (need noise, or more observations than columns; or pass a known scale=)"
        )
    if fam.name == "gamma" and estimated and exact:
        raise NoFiniteMLEError(
            "the Gamma model fits y exactly (every y_i equals its fitted mean up to rounding), so the dispersion "
            "estimate X^2/(n - p) is 0 and the standard errors would be 0: no finite MLE of the dispersion exists "
            "(need noise; or pass a known scale=)"
        )
    if estimated:
        if df_resid < 1:
            raise DataError(f"the dispersion X^2/(n - p) needs n > p, got n = {n}, p = {p}")
        phi = pearson / df_resid
    else:
        phi = 1.0 if scale is None else float(scale)

    if nb_free:
        g, H, (s_eta, l_a) = _nb_joint(Z, ywork, eta, alpha)
        if not _is_positive_definite(H):
            raise DataError(
                f"the joint information of (beta, alpha) is not finite and positive definite at alpha = {alpha:.3g}: "
                "for so small an overdispersion the negative binomial is numerically the Poisson model (the "
                "derivatives in alpha cancel in float64); fit family='poisson', with scale='pearson' or "
                "cov_type='HC0' for the overdispersion"
            )
        T = np.eye(p + 1)
        T[:p, :p] = std.T
        params = np.append(std.params(gamma), alpha)
        score_parts = lambda: np.column_stack([Z * s_eta[:, None], l_a])  # noqa: E731
    else:
        H = core.H
        T = std.T
        params = std.params(gamma)
        score_parts = lambda: Z * r[:, None]  # noqa: E731
    Hinv = _inverse_information(H)
    if cov_type == "HC0":
        scores = score_parts()
        cov_z = Hinv @ (scores.T @ scores) @ Hinv
    else:
        cov_z = phi * Hinv
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        cov = T @ cov_z @ T.T
    try:
        _check_finite_cov(cov, names + ("alpha",) if nb_free else names)
    except DataError as exc:
        if converged:
            raise
        raise DataError(
            f"fit_glm did not converge ({reason}) and the information at the last iterate is degenerate, so no "
            + (
                f"covariance can be given; the start = {np.asarray(start, dtype=float).tolist()} is likely too far "
                "from the data: try without start="
                if start is not None
                else "covariance can be given"
            )
            + f" ({exc})"
        ) from None
    cov = (cov + cov.T) / 2

    # log-likelihood at the dispersion statsmodels uses (Gaussian: RSS/n, the MLE)
    ll_scale = phi
    if fam.name == "gaussian" and estimated:  # a known scale= is the sigma2 of the log-likelihood
        ll_scale = float(np.sum(m * (ywork - mu) ** 2)) / n
    elif not fam.free_scale:
        ll_scale = 1.0
    ll_plain = kernel.loglik(eta, ll_scale)
    loglik = ll_plain
    log_det_T = 0.0
    if firth:  # log det(X'WX) = log det(Z'WZ) - 2 log|det T|, as X = Z T^-1
        log_det_T = float(np.linalg.slogdet(std.T)[1])
        loglik = ll_plain + 0.5 * _logdet(_weighted_gram(Z, w)) - log_det_T
    firth_design = (Z, log_det_T) if firth else None  # the penalty on the well-conditioned Z (small data)
    del Z

    null_dev = _null_deviance(fam_fit, ywork, m_core, off, tol, maxiter)
    negloglik = _make_negloglik(fam_fit, Xa, ywork, m, off, ll_scale, firth_design, nb_free, std.shift, (loglik, dev, phi))
    out_names = names + ("alpha",) if nb_free else names
    penalty_txt = ", Firth-penalised" if firth else ""
    res = GLMResult(
        params=params,
        cov=cov,
        loglik=loglik,
        nobs=n,
        converged=converged,
        param_names=out_names,
        model=f"GLM {fam.name} ({fam_fit.link.name} link{penalty_txt})",
        niter=niter,
        negloglik=negloglik,
        family=fam.name,
        link=fam_fit.link.name,
        method=method,
        deviance=dev,
        null_deviance=null_dev,
        pearson_chi2=pearson,
        scale=phi,
        df_resid=df_resid,
        alpha=alpha,
        penalty=penalty,
        loglik_unpenalized=ll_plain,
        mu=mu,
        cov_type=cov_type,
    )
    # private: what glm_lr_test needs to check that two fits are to the same data and dispersion
    scale_mode = "estimated" if estimated else ("unit" if scale is None else "fixed")
    lr_offset = np.zeros(n) if off is None else off
    object.__setattr__(res, "_lr_data", {"y": ya, "trials": ta, "offset": lr_offset, "scale_mode": scale_mode})
    return res


def _null_deviance(fam, y, m, off, tol, maxiter):
    """Deviance of the intercept-only model with the same offset (and, for the NB, the same alpha)."""
    n = y.size
    weights = np.ones(n) if m is None else m
    if off is None:
        mu0 = np.full(n, np.average(y, weights=weights))
        with np.errstate(all="ignore"):
            return float(np.sum(weights * fam.unit_deviance(y, mu0, fam.link.link(mu0))))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _fit_core(np.ones((n, 1)), y, m, off, fam, ("const",), method="fisher", tol=tol, maxiter=maxiter)
    except (DataError, NoFiniteMLEError):
        return float("nan")
    if not fit.converged:
        return float("nan")
    return -2.0 * fit.kernel.objective(fit.eta)


def _make_negloglik(fam, X, y, m, off, scale, firth_design, nb_free, shift, at_fit):
    r"""-loglik as a function of params (units of X; NB: beta then alpha), for profile intervals.

    With the dispersion held at the :math:`\hat\phi` of the covariance (quasi-likelihood:
    ``scale="pearson"``, a fixed scale, Gaussian and Gamma), it is
    :math:`-\hat\ell + \{D(\beta) - D(\hat\beta)\}/(2\hat\phi)`: the profile intervals then use
    the scaled deviance, as R's ``confint`` for GLMs (MASS ``profile.glm``). For binomial and
    Poisson with :math:`\phi = 1` this is the log-likelihood itself; the negative binomial with
    estimated :math:`\alpha` and Firth's fits use their (penalised) log-likelihood; Firth's penalty
    :math:`\tfrac12\log\det(X^\top WX) = \tfrac12\log\det(Z^\top WZ) - \log|\det T|` on the
    standardised design ``firth_design = (Z, log|det T|)`` (no cancellation for shifted columns).
    """
    firth = firth_design is not None
    p = X.shape[1]
    loglik_hat, dev_hat, phi = at_fit

    def negloglik(params):
        params = np.asarray(params, dtype=float)
        f = fam
        if nb_free:
            if not params[p] > 0:
                return np.inf
            f = NegativeBinomial(params[p])
        eta = _shifted_matvec(X, shift, params[:p])
        if off is not None:
            eta = eta + off
        if not np.all(f.link.valid_eta(eta)):
            return np.inf
        with np.errstate(all="ignore"):
            mu = f.link.inverse(eta)
            if not np.all(f.valid_mu(mu)):
                return np.inf
            if nb_free or firth:
                val = -float(np.sum(f.loglik_obs(y, mu, eta, m, scale)))
                if firth:
                    Z, log_det_T = firth_design
                    _, w, _, _ = _Kernel(f, y, m).fisher(eta)
                    val -= 0.5 * _logdet(_weighted_gram(Z, w)) - log_det_T
            else:
                dev = float(np.sum(m * f.unit_deviance(y, mu, eta)))
                val = -loglik_hat + (dev - dev_hat) / (2.0 * phi)
        return val if np.isfinite(val) else np.inf

    return negloglik


# ----------------------------------------------------------------------------------------------
# likelihood-ratio tests for nested GLMs


def glm_lr_test(restricted, full):
    r"""Likelihood-ratio test (analysis of deviance) of a GLM against a larger, nested one.

    Parameters
    ----------
    restricted, full : GLMResult
        Fits of the same family and link to the same n observations; the column space of the
        restricted design must lie inside that of the full one (the caller's responsibility; a
        restricted fit with a higher log-likelihood is refused).

    Returns
    -------
    LRTestResult
        For a fixed dispersion (binomial, Poisson, negative binomial): the Wilks statistic
        :math:`2\{\ell_{\text{full}} - \ell_{\text{restricted}}\}` (= the drop in deviance) against
        :math:`\chi^2_q`, q the number of restrictions :cite:p:`wilks1938large`. When the
        dispersion was estimated (Gaussian, Gamma, ``scale="pearson"``): the F statistic
        :math:`\{(D_r - D_f)/q\}/\hat\phi_f` against :math:`F_{q,\,n-p_f}`
        :cite:p:`mccullagh1989generalized`. For a known dispersion passed as a number (``scale=phi``,
        any family but the negative binomial): :math:`(D_r - D_f)/\phi` against :math:`\chi^2_q`
        (Gaussian: :math:`(\mathrm{RSS}_r - \mathrm{RSS}_f)/\sigma^2`).

    Raises
    ------
    DataError
        If the fits are not comparable (family, link, n, penalty, y, trials, offset, or the
        dispersion setting: ``scale="pearson"`` against ``scale=None``, or two different fixed
        scales) or not nested (q < 1, or the restricted fit has the higher log-likelihood).

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    >>> y = [1, 2, 2, 4, 6, 9]
    >>> test = glm_lr_test(fit_glm(X[:, :1], y, "poisson"), fit_glm(X, y, "poisson"))
    >>> round(test.statistic, 3), test.df, round(test.pvalue, 5)
    (9.474, 1, 0.00208)
    """
    for name, res in (("restricted", restricted), ("full", full)):
        if isinstance(res, GLMResult) and res.penalty is not None:
            raise DataError(
                f"{name} is a penalised (penalty={res.penalty!r}) fit: each model carries its own Jeffreys penalty, so "
                "the difference of the penalised log-likelihoods is not a likelihood-ratio statistic (it rejects "
                "far too often under the null); use the profile penalised likelihood, "
                "conf_int(method='profile'), whose limits are the penalised likelihood-ratio test (Heinze-Schemper)"
            )
        if not isinstance(res, GLMResult):
            raise DataError(f"{name} must be a GLMResult from fit_glm, got {type(res).__name__}")
    same = ("family", "link", "nobs", "penalty")
    for attr in same:
        if getattr(restricted, attr) != getattr(full, attr):
            raise DataError(
                f"the two fits differ in {attr} ({getattr(restricted, attr)!r} vs {getattr(full, attr)!r}): "
                "a likelihood-ratio test compares nested models of the same family, link and data"
            )
    data_r, data_f = getattr(restricted, "_lr_data", None), getattr(full, "_lr_data", None)
    if data_r is None or data_f is None:
        raise DataError(
            "glm_lr_test needs two results of fit_glm (they record y, trials, offset and the dispersion "
            "setting); a GLMResult built by hand cannot be checked for being a fit to the same data"
        )
    for key, what in (("y", "y"), ("trials", "trials"), ("offset", "offset")):
        a, b = data_r[key], data_f[key]
        if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
            raise DataError(
                f"the two fits were made with different {what} arrays: a likelihood-ratio test compares "
                f"two models fitted to the same data (same y, trials and offset)"
            )
    if data_r["scale_mode"] != data_f["scale_mode"] or (
        data_f["scale_mode"] == "fixed" and restricted.scale != full.scale
    ):
        show = {"estimated": "estimated (scale='pearson' or a free-dispersion family)", "unit": "scale=None (1)",
                "fixed": "a fixed number"}
        raise DataError(
            f"the two fits use different dispersions: restricted {show[data_r['scale_mode']]} "
            f"(phi = {restricted.scale:.6g}), full {show[data_f['scale_mode']]} (phi = {full.scale:.6g}); "
            "fit both with the same scale argument"
        )
    q = full.k - restricted.k
    if q < 1:
        raise DataError(
            f"full has {full.k} parameters and restricted {restricted.k}: the full model must have more "
            "(pass the smaller model first)"
        )
    mode = data_f["scale_mode"]
    if mode == "fixed" and np.isnan(full.alpha):
        # known dispersion phi: the scaled deviance drop (D_r - D_f)/phi is the LR statistic, chi2_q
        # (Gaussian: (RSS_r - RSS_f)/sigma^2)
        drop = restricted.deviance - full.deviance
        if drop < -1e-8 * max(1.0, full.deviance):
            raise DataError(
                f"the restricted fit has the smaller deviance ({restricted.deviance:.6g} < {full.deviance:.6g}): "
                "the models are not nested"
            )
        stat = max(drop, 0.0) / full.scale
        return LRTestResult(stat, q, float(stats.chi2.sf(stat, q)), "chi2")
    if mode == "estimated" and np.isnan(full.alpha):
        drop = restricted.deviance - full.deviance
        if drop < -1e-8 * max(1.0, full.deviance):
            raise DataError(
                f"the restricted fit has the smaller deviance ({restricted.deviance:.6g} < {full.deviance:.6g}): "
                "the models are not nested"
            )
        F = max(drop, 0.0) / q / full.scale
        return LRTestResult(F, q, float(stats.f.sf(F, q, full.df_resid)), "F", float(full.df_resid))
    stat = 2.0 * (full.loglik - restricted.loglik)
    if stat < -1e-8 * max(1.0, abs(full.loglik)):
        raise DataError(
            f"the restricted fit has the higher log-likelihood ({restricted.loglik:.6g} > {full.loglik:.6g}): "
            "the models are not nested"
        )
    stat = max(stat, 0.0)
    return LRTestResult(stat, q, float(stats.chi2.sf(stat, q)), "chi2")

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
from .regression import _separation_signs as _separation
from .results import MLEResult

__all__ = ["fit_glm", "GLMResult", "glm_lr_test", "LRTestResult"]

_EPS = np.finfo(float).eps
_MAX_HALVINGS = 50
_WEAK_DIRECTION_RATIO = 1e-6
_LP_OBJECTIVE_TOL = 1e-6
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


def _as_real(a, name):
    """`a` as a float array; complex numbers, strings and other non-numbers are refused."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be an array of real numbers; could not read it ({exc})") from None
    if arr.dtype.kind == "O":
        for v in arr.ravel():
            if isinstance(v, complex):
                raise DataError(f"{name} must be real, got the complex value {v!r}")
    if arr.dtype.kind == "c":
        raise DataError(
            f"{name} must be real, got a complex array (dtype {arr.dtype}, e.g. {arr.ravel()[0]!r}); "
            "the likelihood is defined for real data only"
        )
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError) as exc:
            first = arr.ravel()[0] if arr.size else None
            raise DataError(
                f"{name} must be numeric, got dtype {arr.dtype} (e.g. {first!r}); could not convert it to "
                f"floats ({exc})"
            ) from None
    return arr.astype(float, copy=False)


def _finite_vector(a, name, n):
    arr = _as_real(a, name)
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
    names = tuple(str(c) for c in X.columns) if hasattr(X, "columns") else None
    Xa = _as_real(X, "X")
    if Xa.ndim != 2:
        raise DataError(
            f"X must be a 2-D design matrix (n rows, k columns), got {Xa.ndim}-D with shape {Xa.shape}; "
            "add a column of ones for an intercept"
        )
    if Xa.size == 0:
        raise DataError(f"X is empty (shape {Xa.shape}): need at least one row and one column")
    bad = ~np.isfinite(Xa)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DataError(
            f"X contains {rows.size} non-finite value(s) (NaN or inf), first {Xa[rows[0], cols[0]]} "
            f"at row {rows[0]}, column {cols[0]}"
        )
    n, k = Xa.shape
    ya = _finite_vector(y, "y", n)
    ta = None if trials is None else _finite_vector(trials, "trials", n)
    off = np.zeros(n) if offset is None else _finite_vector(offset, "offset", n)
    if param_names is None:
        param_names = names if names is not None else tuple(f"x{j}" for j in range(k))
    if isinstance(param_names, str):
        raise DataError(f"param_names must be a sequence of {k} names, got the string {param_names!r}")
    param_names = tuple(str(p) for p in param_names)
    if len(param_names) != k:
        raise DataError(f"param_names has {len(param_names)} entries but X has {k} columns")
    if n < k:
        raise DataError(
            f"X has fewer rows ({n}) than columns ({k}), so its rank is at most {n} < {k}: "
            "the coefficients are not identifiable"
        )
    return Xa, ya, ta, off, param_names


# ----------------------------------------------------------------------------------------------
# standardisation: Z = (X - 1 m') diag(s)^-1, X beta = Z gamma, beta = B gamma


def _constant_columns(X):
    first = X[0]
    same = np.all(X == first, axis=0) & (first != 0)
    return [int(j) for j in np.flatnonzero(same)]


class _Standardisation:
    def __init__(self, X):
        n, k = X.shape
        consts = _constant_columns(X)
        self.const = consts[0] if consts else None
        self.shift = np.zeros(k)
        if self.const is not None:
            self.shift = X.mean(axis=0)
            self.shift[consts] = 0.0
        Z = X - self.shift
        rms = np.sqrt(np.mean(Z * Z, axis=0))
        ok = np.isfinite(rms) & (rms > 0)
        self.scale = np.where(ok, np.ldexp(1.0, np.round(np.log2(np.where(ok, rms, 1.0))).astype(int)), 1.0)
        self.Z = Z / self.scale
        self.const_value = float(X[0, self.const]) if self.const is not None else 1.0

    def matrix(self):
        """B with beta = B gamma."""
        B = np.diag(1.0 / self.scale)
        if self.const is not None:
            row = -self.shift / (self.const_value * self.scale)
            row[self.const] = 1.0 / self.scale[self.const]
            B[self.const] = row
        return B


def _check_rank(Z, names):
    """Raise DataError unless Z has full numerical column rank (columns normalised to unit length)."""
    n, k = Z.shape
    R = np.linalg.qr(Z, mode="r")
    norms = np.linalg.norm(R, axis=0)
    if np.any(norms == 0):
        zero = [names[j] for j in np.flatnonzero(norms == 0)]
        raise DataError(f"X is rank-deficient: column(s) {', '.join(zero)} are all zeros")
    _, sv, vt = np.linalg.svd(R / norms)
    tol = sv[0] * max(n, k) * _EPS
    rank = int(np.sum(sv > tol))
    if rank < k:
        null = vt[-1]
        involved = [names[j] for j in np.flatnonzero(np.abs(null) > 1e-3 * np.abs(null).max())]
        raise DataError(
            f"X is rank-deficient: numerical matrix rank {rank} < {k} columns (smallest singular value of "
            f"the column-normalised X is {sv[-1]:.3g}, tolerance {tol:.3g}); a linear combination of the "
            f"columns {', '.join(involved)} is (numerically) zero, so the coefficients are not identifiable. "
            "Drop or combine the collinear columns (e.g. a duplicated column, or a full set of dummies "
            "next to an intercept)"
        )
    return R


# ----------------------------------------------------------------------------------------------
# linear algebra


def _gram(Z, w):
    H = Z.T @ (Z * w[:, None])
    return (H + H.T) / 2


def _solve(H, g):
    """Solve H x = g by a checked Cholesky of the equilibrated H; None if H is not positive definite."""
    d = np.sqrt(np.abs(np.diag(H)))
    if not np.all(np.isfinite(d) & (d > 0)):
        return None
    try:
        c = linalg.cho_factor(H / np.outer(d, d))
    except linalg.LinAlgError:
        return None
    x = linalg.cho_solve(c, g / d[:, None] if g.ndim == 2 else g / d)
    return x / (d[:, None] if g.ndim == 2 else d)


def _inverse(H):
    inv = _solve(H, np.eye(H.shape[0]))
    if inv is None:
        d = np.sqrt(np.abs(np.diag(H)))
        d = np.where(d > 0, d, 1.0)
        inv = linalg.pinvh(H / np.outer(d, d)) / np.outer(d, d)
    return (inv + inv.T) / 2


def _weak_direction_ratio(G, H, reference):
    """lambda_min(Q' W Q) / reference, Z = QR, from G = Z'Z: small when weights collapse along a direction.

    The eigenvalues of Q'WQ = R^-T H R^-1 are those of the pencil (H, G); computed through the
    Cholesky factor L of G (numpy's solve: scipy's solve_triangular costs milliseconds per call).
    """
    try:
        L = np.linalg.cholesky(G)
        A = np.linalg.solve(L, H)
        M = np.linalg.solve(L, A.T)
        lam = np.linalg.eigvalsh((M + M.T) / 2)[0]
    except np.linalg.LinAlgError:
        return 0.0
    return float(lam) / reference if np.isfinite(lam) else 0.0


# ----------------------------------------------------------------------------------------------
# the model pieces, evaluated at a linear predictor


class _Model:
    """Family + link + data on the standardised design; everything as a function of eta."""

    def __init__(self, fam, Z, y, m, off, firth=False):
        self.fam, self.link, self.Z, self.y, self.m, self.off = fam, fam.link, Z, y, m, off
        self.firth = firth

    def valid(self, eta):
        if not np.all(self.link.valid_eta(eta)):
            return None
        mu = self.link.inverse(eta)
        return mu if np.all(self.fam.valid_mu(mu)) else None

    def objective(self, eta):
        """-D/2 (the log-likelihood up to a constant), plus the Firth penalty; -inf outside."""
        mu = self.valid(eta)
        if mu is None:
            return -np.inf
        with np.errstate(all="ignore"):
            val = -0.5 * float(np.sum(self.m * self.fam.unit_deviance(self.y, mu, eta)))
        if self.firth:
            _, w, _ = self.working(eta, mu)
            val += 0.5 * _logdet(_gram(self.Z, w))
        return val if np.isfinite(val) else -np.inf

    def working(self, eta, mu=None):
        """Score residuals r (score = Z' r), Fisher weights w and observed weights w_obs."""
        fam, link = self.fam, self.link
        if mu is None:
            mu = link.inverse(eta)
        with np.errstate(all="ignore"):
            log_dmu = link.log_abs_dmu(eta)
            log_v = fam.log_variance(mu, eta)
            h = link.sign_dmu(eta) * np.exp(log_dmu - log_v)  # (dmu/deta) / V
            r = self.m * (self.y - mu) * h
            w = self.m * np.exp(2 * log_dmu - log_v)
            if fam.is_canonical:
                w_obs = w
            else:
                w_obs = w - r * (link.d2_ratio(eta) - h * fam.variance_deriv(mu))
        return r, w, w_obs

    def firth_score(self, eta, w, r):
        """Modified score residuals r + h V'(mu) / 2 (canonical links), h the hat values."""
        mu = self.link.inverse(eta)
        hat = _hat_values(self.Z, w)
        return r + 0.5 * hat * self.fam.variance_deriv(mu)


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


_POLISH_STEPS = 30


def _irls(model, gamma, method, tol, maxiter, certificate=None):
    """Maximise model.objective(Z gamma + offset) by Newton or Fisher scoring with step-halving.

    Returns (gamma, eta, objective, niter, converged, reason, dec). Once half the squared
    decrement g' H^-1 g / 2 is <= tol, polishing steps follow while the decrement still falls by a
    factor of 4 or more per step (one or two for Newton's quadratic convergence; more for Fisher
    scoring, which converges only linearly for non-canonical links). ``converged`` is the test
    at the returned estimate.
    """
    Z, off = model.Z, model.off
    eta = Z @ gamma + off
    obj = model.objective(eta)
    niter, extra, prev, dec = 0, 0, None, np.inf
    while True:
        r, w, w_obs = model.working(eta)
        g = Z.T @ (model.firth_score(eta, w, r) if model.firth else r)
        step = None
        if method == "newton" and not model.firth:
            step = _solve(_gram(Z, w_obs), g)  # None when the observed information is not PD here
        if step is None:
            step = _solve(_gram(Z, w), g)
        if step is None or not np.all(np.isfinite(step)):
            return gamma, eta, obj, niter, False, "the information matrix is singular or not finite", np.inf
        dec = float(g @ step)
        small = dec / 2 <= tol
        if small and prev is not None and (dec > prev / 4 or extra >= _POLISH_STEPS):
            return gamma, eta, obj, niter, True, "", dec
        if niter >= maxiter and not small:
            return gamma, eta, obj, niter, False, f"reached maxiter={maxiter} iterations", dec
        slack = 1e-12 * (1.0 + abs(obj))
        t, accepted = 1.0, False
        for _ in range(_MAX_HALVINGS):
            gamma_new = gamma + t * step
            eta_new = Z @ gamma_new + off
            obj_new = model.objective(eta_new)
            if np.isfinite(obj_new) and obj_new >= obj + 1e-4 * t * dec - slack:
                accepted = True
                break
            t /= 2
        if not accepted:
            if small:  # no step improves on a point that already passes the test
                return gamma, eta, obj, niter, True, "", dec
            return gamma, eta, obj, niter, False, "step-halving could not increase the log-likelihood", dec
        niter += 1
        gamma, eta, obj = gamma_new, eta_new, obj_new
        if certificate is not None and certificate(eta):
            return gamma, eta, obj, niter, False, "certificate", dec
        if small:
            prev, extra = dec, extra + 1
        else:
            prev, extra = None, 0


def _start(model, fam, std, start, names):
    """gamma0: the given start (original units), else one weighted least-squares step (IRLS)."""
    Z, y, m, off = model.Z, model.y, model.m, model.off
    k = Z.shape[1]
    if start is not None:
        b0 = _as_real(start, "start")
        if b0.shape != (k,) or not np.all(np.isfinite(b0)):
            raise DataError(f"start must be a finite 1-D array of {k} coefficients, got {b0!r}")
        gamma = np.linalg.solve(std.matrix(), b0)
        if not np.isfinite(model.objective(Z @ gamma + off)):
            raise DataError(f"start = {b0.tolist()} gives fitted means outside the {fam.name} family's range")
        return gamma
    link = fam.link
    mu0 = fam.start_mu(y, m)
    with np.errstate(all="ignore"):
        eta0 = link.link(mu0)
        gp = link.deriv(mu0)
        z = eta0 - off + (y - mu0) * gp
        w0 = m / (fam.variance(mu0) * gp * gp)
    candidates = []
    if np.all(np.isfinite(z)) and np.all(np.isfinite(w0)):
        sol = _solve(_gram(Z, w0), Z.T @ (w0 * z))
        if sol is not None:
            candidates.append(sol)
    if std.const is not None:
        gamma = np.zeros(k)
        with np.errstate(all="ignore"):
            gamma[std.const] = float(link.link(np.average(y, weights=m))) / float(Z[0, std.const])
        candidates.append(gamma)
    candidates.append(np.zeros(k))
    for gamma in candidates:
        if np.all(np.isfinite(gamma)) and np.isfinite(model.objective(Z @ gamma + off)):
            return gamma
    raise DataError(
        f"could not find starting values whose fitted means are valid for the {fam.name} family with the "
        f"{link.name} link; pass start= (coefficients in the units of X)"
    )


# ----------------------------------------------------------------------------------------------
# existence: linear programs (as in mlelib.regression)


def _format_direction(b, names):
    b = b / np.abs(b).max()
    return "[" + ", ".join(f"{n}={v:.3g}" for n, v in zip(names, b) if abs(v) > 1e-9) + "]"


def _binary_rows(X, y, m):
    """Expand binomial data to Bernoulli rows: a success row where y > 0, a failure row where y < 1."""
    succ, fail = y > 0, y < 1
    rows = np.vstack([X[succ], X[fail]])
    s = np.concatenate([np.ones(int(succ.sum())), -np.ones(int(fail.sum()))])
    return rows, s


def _check_separation(X, y, m, names):
    rows, s = _binary_rows(X, y, m)
    found = _separation(rows, s)
    if found is None:
        return
    b, kind, on_boundary = found
    n = s.size
    direction = _format_direction(b, names)
    if kind == "complete":
        detail = (
            f"complete separation: the hyperplane X @ b = 0 with b = {direction} has every success on one side "
            "and every failure on the other"
        )
    else:
        detail = (
            f"quasi-complete separation: with b = {direction}, X @ b >= 0 for every success and X @ b <= 0 for "
            f"every failure, with {on_boundary} of {n} success/failure rows on the boundary X @ b = 0; the "
            f"fitted probabilities of the other {n - on_boundary} are pushed towards 0 or 1"
        )
    raise SeparationError(
        f"no finite MLE: the classes show {detail}. Moving the coefficients along b increases the "
        "log-likelihood forever (towards its supremum, never attained), so Newton's method would return "
        "ever larger coefficients. Remedies: drop or merge the separating regressor(s), collect more data, "
        "or use a penalised fit (penalty='firth')"
    )


def _check_count_recession(X, y, names):
    zero = y == 0
    if not zero.any():
        return
    scale = np.max(np.abs(X), axis=0)
    Xz = X[zero] / scale
    k = X.shape[1]
    kwargs = {}
    if (~zero).any():
        Xp = X[~zero] / scale
        kwargs = {"A_eq": Xp, "b_eq": np.zeros(Xp.shape[0])}
    res = optimize.linprog(
        Xz.sum(axis=0), A_ub=Xz, b_ub=np.zeros(Xz.shape[0]), bounds=[(-1, 1)] * k, method="highs", **kwargs
    )
    if res.status != 0 or -res.fun <= _LP_OBJECTIVE_TOL:
        return
    b = res.x
    drops = Xz @ b
    driven = int(np.sum(drops < -1e-7 * np.abs(drops).max()))
    raise NoFiniteMLEError(
        f"no finite MLE: along the direction b = {_format_direction(b / scale, names)} every observation with "
        f"y > 0 keeps its fitted mean (x_i'b = 0) while the fitted means of {driven} observation(s) with y = 0 "
        "shrink towards 0, so the log-likelihood increases forever and the coefficients would run off to "
        "+/-inf. Typical cause: a regressor (e.g. a dummy) that is non-zero only where the count is 0; drop it "
        "or merge its categories"
    )


def _check_degenerate_response(X, y, fam, names):
    """All labels equal (binomial) or all counts zero (Poisson, NB): no finite MLE with an intercept."""
    consts = _constant_columns(X)
    n = y.size
    if isinstance(fam, Binomial) and (np.all(y == 0) or np.all(y == 1)):
        label = int(y[0])
        if consts:
            raise SeparationError(
                f"all {n} responses are {'successes' if label else 'failures'}: the MLE of P(y = 1) is {label}, "
                f"which no finite linear predictor reaches, so the coefficient of the constant column "
                f"{names[consts[0]]} tends to {'+' if label else '-'}inf (complete separation by the intercept); "
                "no finite MLE exists"
            )
    if isinstance(fam, (Poisson, NegativeBinomial)) and not y.any() and consts:
        raise NoFiniteMLEError(
            f"all {n} counts are zero: the MLE of the mean is 0, which exp(X @ beta) never reaches, so the "
            f"coefficient of the constant column {names[consts[0]]} tends to -inf; no finite MLE exists"
        )


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
    H[:k, :k] = _gram(Z, w_obs)
    H[:k, k] = H[k, :k] = -(Z.T @ l_ea)
    H[k, k] = -float(np.sum(l_aa))
    g = np.append(Z.T @ s_eta, float(np.sum(l_a)))
    scores = np.column_stack([Z * s_eta[:, None], l_a])
    return g, H, scores


def _nb_profile_alpha(y, eta, a0):
    """The alpha maximising the NB2 log-likelihood at fixed means, by bounded Brent on log alpha."""
    mu, log_mu = np.exp(eta), eta

    def negll(la):
        return -float(np.sum(_nb_loglik_obs(y, mu, log_mu, np.exp(la))))

    lo, hi = -20.0, 10.0
    res = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(res.x)), res.x <= lo + 1e-3


def _fit_nb(Z, y, off, gamma, method, tol, maxiter, names):
    """Alternate IRLS for beta at fixed alpha and a 1-D ML update of alpha; polish by joint Newton."""
    # moment start for alpha from the Poisson fit at gamma; at alpha = 0+ the score for alpha is
    # sum((y - mu)^2 - y) / 2 at the Poisson MLE: not positive means no overdispersion to fit
    eta = Z @ gamma + off
    mu = np.exp(eta)
    if float(np.sum((y - mu) ** 2 - y)) <= 0:
        raise NoFiniteMLEError(_NO_OVERDISPERSION)
    a = max(float(np.mean(((y - mu) ** 2 - mu) / mu**2)), 1e-2)
    m = np.ones_like(y)
    niter, converged, reason, dec = 0, False, "", np.inf
    for _ in range(maxiter):
        model = _Model(NegativeBinomial(a), Z, y, m, off)
        gamma, eta, _, it, ok, why, _ = _irls(model, gamma, method, tol * 1e-2, maxiter)
        niter += it
        if not ok:
            reason = f"the IRLS for beta at alpha = {a:.4g} did not converge ({why})"
            break
        a, at_bound = _nb_profile_alpha(y, eta, a)
        if at_bound:
            raise NoFiniteMLEError(_NO_OVERDISPERSION)
        g, H, _ = _nb_joint(Z, y, eta, a)
        step = _solve(H, g)
        if step is None:
            reason = "the joint information of (beta, alpha) is not positive definite"
            break
        dec = float(g @ step)
        if dec / 2 <= tol:
            # one joint Newton step to polish, kept if it does not lower the log-likelihood
            k = Z.shape[1]
            g_new, a_new = gamma + step[:k], a + step[k]
            if a_new > 0:
                eta_new = Z @ g_new + off

                def ll(e, al):
                    return float(np.sum(_nb_loglik_obs(y, np.exp(e), e, al)))

                if ll(eta_new, a_new) >= ll(eta, a) - 1e-12 * (1 + abs(ll(eta, a))):
                    gamma, eta, a = g_new, eta_new, a_new
                    g, H, _ = _nb_joint(Z, y, eta, a)
                    st = _solve(H, g)
                    dec = float(g @ st) if st is not None else np.inf
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
    if method not in _METHODS:
        raise DataError(f"method must be one of {', '.join(_METHODS)}, got {method!r}")
    if cov_type not in ("nonrobust", "HC0"):
        raise DataError(f"cov_type must be 'nonrobust' or 'HC0', got {cov_type!r}")
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise DataError(f"tol must be a positive number, got {tol!r}")
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise DataError(f"maxiter must be a positive integer, got {maxiter!r}")
    firth = False
    if penalty is not None:
        if penalty != "firth":
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
    if scale is not None and not (isinstance(scale, str) and scale == "pearson"):
        if isinstance(scale, str) or not (np.isscalar(scale) and np.isfinite(scale) and scale > 0):
            raise DataError(f"scale must be None, 'pearson' or a positive number, got {scale!r}")
        if nb_free:
            raise DataError("scale cannot be set when alpha is estimated: alpha is the dispersion of the NB2 model")
    Xa, ya, ta, off, names = _prepare(X, y, trials, offset, param_names)
    ywork, m = fam.check_response(ya, ta)
    n, p = Xa.shape
    std = _Standardisation(Xa)
    Z = std.Z
    _check_rank(Z, names)
    G = _gram(Z, np.ones(n))
    if not firth:
        _check_degenerate_response(Xa, ywork, fam, names)

    fam_fit = NegativeBinomial(1.0) if nb_free else fam
    model = _Model(fam_fit, Z, ywork, m, off, firth=firth)
    if nb_free:
        model = _Model(Poisson(), Z, ywork, m, off)
    gamma0 = _start(model, model.fam, std, start, names)

    certificate = None
    if isinstance(fam, Binomial) and not firth:
        s = np.where(ywork > 0, 1.0, -1.0)

        def certificate(eta):  # all binary outcomes strictly on the correct side: complete separation
            return bool(np.all(np.isin(ywork, (0.0, 1.0))) and np.all(s * eta > 0) and not off.any())

    alpha = float("nan")
    if nb_free:
        # a Poisson fit first (its no-MLE check applies to the NB too), then alpha
        gamma0, eta, _, _, ok, _, _ = _irls(model, gamma0, method, tol, maxiter)
        if not ok:
            _check_count_recession(Xa, ywork, names)
        gamma, eta, alpha, niter, converged, reason, dec = _fit_nb(Z, ywork, off, gamma0, method, tol, maxiter, names)
        fam_fit = NegativeBinomial(alpha)
        model = _Model(fam_fit, Z, ywork, m, off)
    else:
        gamma, eta, obj, niter, converged, reason, dec = _irls(model, gamma0, method, tol, maxiter, certificate)
        if reason == "certificate":
            _check_separation(Xa, ywork, m, names)
    r, w, w_obs = model.working(eta)
    if not firth:
        if isinstance(fam, Binomial):
            if not converged or _weak_direction_ratio(G, _gram(Z, w), 0.25 * float(np.mean(m))) < _WEAK_DIRECTION_RATIO:
                _check_separation(Xa, ywork, m, names)
        elif isinstance(fam, (Poisson, NegativeBinomial)):
            ref = float(np.mean(ywork)) if ywork.any() else float(np.mean(w))
            if not converged or _weak_direction_ratio(G, _gram(Z, w), ref) < _WEAK_DIRECTION_RATIO:
                _check_count_recession(Xa, ywork, names)
    if not converged:
        warnings.warn(
            f"fit_glm did not converge: {reason} (half the squared Newton decrement is {dec / 2:.3g}, "
            f"tolerance {tol:g}); the estimates and standard errors may be inaccurate",
            RuntimeWarning,
            stacklevel=2,
        )

    mu = fam_fit.link.inverse(eta)
    with np.errstate(all="ignore"):
        dev = float(np.sum(m * fam_fit.unit_deviance(ywork, mu, eta)))
        pearson = float(np.sum(m * (ywork - mu) ** 2 / fam_fit.variance(mu)))
    df_resid = n - p
    if fam.name == "gaussian" and dev <= (64 * _EPS * np.linalg.norm(ywork)) ** 2:
        raise NoFiniteMLEError(
            f"y lies in the column space of X (residual sum of squares {dev:.3g}, zero up to rounding), so "
            "sigma2_hat = RSS/n = 0 and the Gaussian log-likelihood is unbounded above: no finite MLE of the "
            "dispersion exists (need noise, or more observations than columns)"
        )
    if scale == "pearson" or (scale is None and fam.free_scale):
        if df_resid < 1:
            raise DataError(f"the dispersion X^2/(n - p) needs n > p, got n = {n}, p = {p}")
        phi = pearson / df_resid
    elif scale is None:
        phi = 1.0
    else:
        phi = float(scale)

    B = std.matrix()
    if nb_free:
        g, H, scores = _nb_joint(Z, ywork, eta, alpha)
        Binv = np.eye(p + 1)
        Binv[:p, :p] = B
        B = Binv
        params = np.append(B[:p, :p] @ gamma, alpha)
    else:
        H = _gram(Z, w_obs if method == "newton" else w)
        if _solve(H, np.ones(p)) is None:  # observed information not PD at the estimate
            H = _gram(Z, w)
        scores = Z * r[:, None]
        params = B @ gamma
    Hinv = _inverse(H)
    if cov_type == "HC0":
        meat = scores.T @ scores
        cov_z = Hinv @ meat @ Hinv
    else:
        cov_z = phi * Hinv
    cov = B @ cov_z @ B.T
    cov = (cov + cov.T) / 2

    # log-likelihood at the dispersion statsmodels uses (Gaussian: RSS/n, the MLE)
    ll_scale = phi
    if fam.name == "gaussian":
        ll_scale = float(np.sum(m * (ywork - mu) ** 2)) / n
    elif not fam.free_scale:
        ll_scale = 1.0
    ll_plain = float(np.sum(fam_fit.loglik_obs(ywork, mu, eta, m, ll_scale)))
    loglik = ll_plain
    if firth:
        loglik = ll_plain + 0.5 * _logdet(_gram(Xa, w))

    null_dev = _null_deviance(fam_fit, ywork, m, off, tol, maxiter)

    negloglik = _make_negloglik(fam_fit, Xa, ywork, m, off, ll_scale, firth, nb_free)
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
    if scale == "pearson" or (scale is None and fam.free_scale):
        scale_mode = "estimated"
    elif scale is None:
        scale_mode = "unit"
    else:
        scale_mode = "fixed"
    object.__setattr__(res, "_lr_data", {"y": ya, "trials": ta, "offset": off, "scale_mode": scale_mode})
    return res


def _null_deviance(fam, y, m, off, tol, maxiter):
    """Deviance of the intercept-only model with the same offset (and, for the NB, the same alpha)."""
    n = y.size
    ones = np.ones((n, 1))
    if not off.any():
        mu0 = np.full(n, np.average(y, weights=m))
        eta0 = fam.link.link(mu0)
    else:
        model = _Model(fam, ones, y, m, off)
        try:
            g0 = _start(model, fam, _Standardisation(ones), None, ("const",))
            _, eta0, _, _, ok, _, _ = _irls(model, g0, "fisher", tol, maxiter)
        except DataError:
            return float("nan")
        if not ok:
            return float("nan")
        mu0 = fam.link.inverse(eta0)
    with np.errstate(all="ignore"):
        return float(np.sum(m * fam.unit_deviance(y, mu0, eta0)))


def _make_negloglik(fam, X, y, m, off, scale, firth, nb_free):
    """-loglik as a function of params (units of X; NB: beta then alpha), for profile intervals."""
    p = X.shape[1]

    def negloglik(params):
        params = np.asarray(params, dtype=float)
        f = fam
        if nb_free:
            if params[p] <= 0:
                return np.inf
            f = NegativeBinomial(params[p])
        eta = X @ params[:p] + off
        if not np.all(f.link.valid_eta(eta)):
            return np.inf
        mu = f.link.inverse(eta)
        if not np.all(f.valid_mu(mu)):
            return np.inf
        with np.errstate(all="ignore"):
            val = -float(np.sum(f.loglik_obs(y, mu, eta, m, scale)))
            if firth:
                model = _Model(f, X, y, m, off)
                _, w, _ = model.working(eta, mu)
                val -= 0.5 * _logdet(_gram(X, w))
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

r"""Regression models fitted by maximum likelihood: linear (Gaussian), logistic and Poisson.

The design matrix `X` is used exactly as given: add a column of ones yourself if the model
should have an intercept (as in statsmodels). All three fitters

- validate their input and raise :class:`~mlelib.errors.DataError` naming the problem
  (complex, string or date input, wrong shape, NaN/inf, labels or counts outside the support, a
  rank-deficient design); integer and boolean arrays become float64;
- are equivariant under affine changes of the columns: when X has a constant column (an
  intercept) and another column's mean exceeds 4 of its standard deviations (a year, a timestamp,
  an income in cents), the fit runs on the centred and rescaled design and the estimates and
  covariance are mapped back by the exact linear reparametrisation, so a column shifted by 1e9
  or scaled by 1e-6 gives the same fitted values, log-likelihood and (transformed) standard errors;
  rank, separation and convergence are judged on that well-conditioned design;
- never form an :math:`n \times n` matrix: memory is :math:`O(nk)`, a few :math:`n \times k`
  temporaries at most, so :math:`n = 10^6` rows with :math:`k = 10` columns is routine;
- never invert :math:`X^\top X` to get the estimate: least squares goes through a QR
  factorisation, Newton steps through a Cholesky factorisation of the (equilibrated)
  information matrix;
- return an :class:`~mlelib.results.MLEResult` whose covariance is the inverse observed
  information at the estimate.

The logistic and Poisson fitters raise :class:`~mlelib.errors.SeparationError` /
:class:`~mlelib.errors.NoFiniteMLEError` when the likelihood has no finite maximiser,
certified by a linear program, and warn (``RuntimeWarning``, ``converged=False``) when Newton's
method stops before its convergence test is met.
"""

import numbers
import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import linalg, optimize, special

from ._validate import as_sample, check_support, is_count
from .errors import DataError, NoFiniteMLEError, SeparationError
from .results import MLEResult

__all__ = ["fit_linear", "fit_logistic", "fit_poisson", "sigmoid", "log1pexp", "LinearRegressionResult"]

_EPS = np.finfo(float).eps
_MAX_HALVINGS = 50
# Below this value of  lambda_min(Q^T W Q) / (typical weight)  the information matrix is "nearly
# singular along some direction of the data": the symptom of (quasi-)separation that makes
# us run the linear program.
_WEAK_DIRECTION_RATIO = 1e-6
_GRAM_BLOCK = 8192  # rows per block of the chunked Gram product
_LP_OBJECTIVE_TOL = 1e-6


def sigmoid(z):
    r"""The logistic function :math:`\sigma(z) = 1/(1 + e^{-z})`, without overflow.

    Parameters
    ----------
    z : array_like
        Real numbers (log-odds).

    Returns
    -------
    ndarray or float
        :math:`\sigma(z) \in [0, 1]`; ``scipy.special.expit``, which never evaluates
        :math:`e^{-z}` for large negative `z`.

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
    """
    return special.expit(z)


def log1pexp(z):
    r"""The softplus :math:`\log(1 + e^{z})`, accurate for every real `z`.

    Parameters
    ----------
    z : array_like
        Real numbers.

    Returns
    -------
    ndarray or float
        ``np.logaddexp(0, z)``: for large positive `z` it returns :math:`z + \log(1 + e^{-z})`,
        never :math:`\log(\infty)`; for large negative `z` it returns :math:`e^{z}` to full
        relative precision.

    Notes
    -----
    The Bernoulli log-likelihood with log-odds :math:`\eta` and label :math:`y \in \{0, 1\}` is

    .. math:: \log p(y \mid \eta) = -\log\bigl(1 + e^{-(2y-1)\eta}\bigr),

    which is how :func:`fit_logistic` evaluates it.

    Examples
    --------
    >>> log1pexp(np.array([-800.0, 0.0, 800.0])).round(6).tolist()
    [0.0, 0.693147, 800.0]
    """
    return np.logaddexp(0.0, z)


@dataclass(frozen=True, repr=False, eq=False)
class LinearRegressionResult(MLEResult):
    r"""An :class:`~mlelib.results.MLEResult` for the Gaussian linear model, with :math:`\hat\sigma^2`.

    Attributes
    ----------
    sigma2 : float
        The MLE of the noise variance, :math:`\hat\sigma^2 = \mathrm{RSS}/n` (biased; the
        unbiased estimate used by statsmodels' OLS standard errors is
        :math:`\mathrm{RSS}/(n-k)`).
    """

    sigma2: float = float("nan")

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "sigma2", float(self.sigma2))


# ----------------------------------------------------------------------------------------------
# input validation


def _as_real_array(a, name):
    """``a`` as a float64 array, refusing complex numbers, strings, dates and other non-real input.

    Integer and boolean arrays become float64. Nothing is made real silently: a complex array is
    an error even when its imaginary parts are zero.
    """
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:  # e.g. ragged nested lists
        raise DataError(f"{name} must be a rectangular array of real numbers; could not read it ({exc})") from None
    kind = arr.dtype.kind
    if kind == "O":
        flat = arr.ravel()
        for i, v in enumerate(flat):
            if not isinstance(v, numbers.Real):  # complex, str, None, dates, pd.NA, ...
                pos = np.unravel_index(i, arr.shape) if arr.ndim else ()
                raise DataError(
                    f"{name} must contain real numbers only; entry {tuple(int(p) for p in pos)} is {v!r} "
                    f"({type(v).__name__})"
                )
    if kind == "c":
        imag = np.imag(arr)
        nz = np.flatnonzero(imag.ravel() != 0)
        where = (
            f"first non-zero imaginary part at flat position {nz[0]}: {arr.ravel()[nz[0]]!r}"
            if nz.size
            else "all imaginary parts are zero"
        )
        raise DataError(
            f"{name} must be real, got a complex array (dtype {arr.dtype}; {where}); the likelihood is "
            f"defined for real data only: pass np.real({name}) if the imaginary parts are meaningless"
        )
    if kind in "USa":
        first = str(arr.ravel()[0]) if arr.size else ""
        raise DataError(
            f"{name} must be numeric, got strings (dtype {arr.dtype}, e.g. {first!r}); convert the "
            "column(s) to numbers first (e.g. dummies for categories)"
        )
    if kind in "mM":
        raise DataError(
            f"{name} must be numeric, got dates/times (dtype {arr.dtype}); convert them to numbers first "
            "(e.g. years or days since a reference date)"
        )
    if kind not in "biufO":
        raise DataError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    try:
        return arr.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc})") from None


def _as_design(X):
    """Return X as a finite 2-D float array (no copy if it already is one) and its column names."""
    names = tuple(str(c) for c in X.columns) if hasattr(X, "columns") else None
    arr = _as_real_array(X, "X")
    if arr.ndim != 2:
        raise DataError(
            f"X must be a 2-D design matrix (n rows, k columns), got {arr.ndim}-D with shape {arr.shape}; "
            "for a single regressor pass x[:, None], and add a column of ones for an intercept"
        )
    if arr.size == 0:
        raise DataError(
            f"X is empty (shape {arr.shape}): need at least one row and one column (n >= 1 rows, k >= 1 columns)"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DataError(
            f"X contains {rows.size} non-finite value(s) (NaN or inf), first {arr[rows[0], cols[0]]} "
            f"at row {rows[0]}, column {cols[0]}; every entry must be a finite real number"
        )
    return arr, names


def _check_param_names(param_names, k):
    if isinstance(param_names, (str, bytes)):
        raise DataError(
            f"param_names must be a sequence of {k} names (one per column of X), got the single string "
            f"{param_names!r}"
        )
    try:
        names = tuple(str(p) for p in param_names)
    except TypeError:
        raise DataError(
            f"param_names must be a sequence of {k} names (one per column of X), got {param_names!r}"
        ) from None
    if len(names) != k:
        raise DataError(
            f"param_names has {len(names)} entries {list(names)} but X has {k} columns: need exactly one name "
            "per column"
        )
    return names


def _prepare(X, y, param_names):
    """Validate (X, y) together; return the float arrays and the parameter names."""
    Xa, frame_names = _as_design(X)
    ya = as_sample(_as_real_array(y, "y"), "y")
    n, k = Xa.shape
    if ya.size != n:
        raise DataError(
            f"X has {n} rows but y has {ya.size} entries (shapes {Xa.shape} and {ya.shape}): need one "
            "response per row of X"
        )
    if param_names is None:
        param_names = frame_names if frame_names is not None else tuple(f"x{j}" for j in range(k))
    param_names = _check_param_names(param_names, k)
    if n < k:
        raise DataError(
            f"X has fewer rows ({n}) than columns ({k}), so its rank is at most {n} < {k}: "
            "the coefficients are not identifiable"
        )
    return Xa, ya, param_names


def _check_rank(R, n, names, data_tol=0.0, std=None):
    """Raise DataError unless the upper-triangular R (from X = QR) has full numerical rank.

    The singular values of R are those of X; each column is first scaled to unit length, so the
    verdict does not depend on the units of the regressors. ``data_tol`` is added to the tolerance:
    for a design centred internally it bounds how far the rounding of the *original* entries (each
    known to a relative eps, so a column with offset m and spread sd only to eps |m| / sd of its
    spread) can move the singular values of the column-normalised centred design. With ``std`` (R is
    then that of the standardised design), the collinear combination is reported in the original columns.
    """
    k = R.shape[1]
    norms = np.linalg.norm(R, axis=0)
    if np.any(norms == 0):
        zero = [names[j] for j in np.flatnonzero(norms == 0)]
        raise DataError(f"X is rank-deficient: column(s) {', '.join(zero)} are all zeros")
    _, sv, vt = np.linalg.svd(R / norms)
    tol = sv[0] * max(n, k) * _EPS + data_tol
    rank = int(np.sum(sv > tol))
    if rank < k:
        null = np.abs(vt[-1])
        if std is not None and std.active:
            # the combination Z v = 0 is X (B v) = 0; weigh each coefficient by its column's size
            null = np.abs(std.matrix() @ (vt[-1] / norms)) * std.rms
        involved = [names[j] for j in np.flatnonzero(null > 1e-3 * null.max())]
        raise DataError(
            f"X is rank-deficient: numerical matrix rank {rank} < {k} columns (smallest singular value of "
            f"the column-normalised X is {sv[-1]:.3g}, tolerance {tol:.3g}); a linear combination of the "
            f"columns {', '.join(involved)} is (numerically) zero, so the coefficients are not identifiable. "
            "Drop or combine the collinear columns (e.g. a duplicated column, or a full set of dummies "
            "next to an intercept)"
        )


def _constant_columns(X):
    """Indices of the non-zero constant columns of X (an intercept first), cheaply.

    Candidates are the columns equal in four sampled rows; only those are compared in full.
    """
    n = X.shape[0]
    rows = X[[0, n // 3, (2 * n) // 3, n - 1]]
    candidates = np.flatnonzero(np.all(rows == rows[0], axis=0) & (rows[0] != 0))
    return [int(j) for j in candidates if np.all(X[:, j] == X[0, j])]


def _constant_column(X):
    """Index of a non-zero constant column of X (an intercept), or None."""
    found = _constant_columns(X)
    return found[0] if found else None


def _format_direction(b, names, rms=None):
    """b (normalised to max |b_j| = 1) as text, leaving out entries whose part of X @ b is negligible."""
    contribution = np.abs(b) * (rms if rms is not None else 1.0)
    keep = contribution > 1e-9 * contribution.max()
    b = b / np.abs(b).max()
    return "[" + ", ".join(f"{n}={v:.3g}" for n, v, ok in zip(names, b, keep) if ok) + "]"


# ----------------------------------------------------------------------------------------------
# standardisation: the fits run on a well-conditioned design Z, the results are mapped back to X

# A non-constant column is centred (when X has a constant column) once its mean exceeds this many
# standard deviations: the offset then costs about log10(ratio**2) digits of the information
# matrix, and below it centring would change nothing but the last bits of ordinary fits.
_CENTRE_RATIO = 4.0
# Columns with a root mean square outside [2**-_SAFE_EXPONENT, 2**_SAFE_EXPONENT] are rescaled
# by a power of two (exact), so that X'X can neither overflow nor underflow.
_SAFE_EXPONENT = 100


def _pow2(v):
    """The power of two nearest to each positive entry of v (1 where v is 0 or not finite)."""
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    return np.where(ok, np.ldexp(1.0, np.round(np.log2(np.where(ok, v, 1.0))).astype(int)), 1.0)


def _gram(X):
    G = X.T @ X
    return (G + G.T) / 2


@dataclass(frozen=True)
class _Standardisation:
    r"""The affine change of columns :math:`Z = (X - \mathbf 1 m^\top)\,\operatorname{diag}(s)^{-1}`.

    `shift` m is zero except for centred columns (only when X has a constant column `const`, whose
    own shift is 0), `scale` s holds powers of two, so dividing by it is exact. Then
    :math:`X\beta = Z\gamma` with :math:`\gamma_j = s_j\beta_j` (j not the constant column c) and
    :math:`\gamma_c = s_c\beta_c + (m^\top\beta)/z_c`, :math:`z_c = a/s_c` the constant value of
    :math:`Z_c` (a that of :math:`X_c`). Hence :math:`\beta = B\gamma` with B = diag(1/s) plus the
    row :math:`B_{cj} = -m_j/(a s_j)`, and the covariance maps as :math:`B\Sigma_\gamma B^\top`:
    the fit on Z, mapped back, is the exact reparametrisation of the fit on X.
    """

    shift: np.ndarray
    scale: np.ndarray
    const: Optional[int] = None
    const_value: float = 1.0
    rms: Optional[np.ndarray] = None  # root mean squares of the columns of X (original units)
    data_tol: float = 0.0  # extra rank tolerance for the rounding of the original entries

    @property
    def active(self):
        return bool(self.shift.any() or np.any(self.scale != 1.0))

    def matrix(self):
        """B, with params = B @ (params of the fit on Z)."""
        B = np.diag(1.0 / self.scale)
        if self.const is not None:
            c = self.const
            row = -self.shift / (self.const_value * self.scale)
            row[c] = 1.0 / self.scale[c]
            B[c] = row
        return B

    def params(self, gamma):
        return self.matrix() @ gamma if self.active else gamma

    def cov(self, cov, names=None):
        if not self.active:
            return cov
        B = self.matrix()
        with np.errstate(over="ignore", invalid="ignore"):
            out = B @ cov @ B.T
        _check_finite_cov(out, names)
        return (out + out.T) / 2


def _check_finite_cov(cov, names):
    """Raise DataError if the covariance in the original units is beyond the float64 range."""
    bad = ~np.isfinite(np.diag(cov))
    if bad.any():
        which = ", ".join(str(names[j]) if names is not None else f"x{j}" for j in np.flatnonzero(bad))
        raise DataError(
            f"the variance of the coefficient(s) of {which} exceeds the float64 range (about 1.8e308) in the "
            "units of X: those columns are extremely small (or their coefficients extremely large); express them "
            "in other units (e.g. multiply by 1e100)"
        )


def _identity_standardisation(k):
    return _Standardisation(np.zeros(k), np.ones(k))


def _shifted_matvec(X, shift, beta):
    r""":math:`X\beta`, computed as :math:`(X - \mathbf 1 m^\top)\beta + m^\top\beta` in blocks of rows.

    For a column with a large offset m the plain product loses the digits that the offset and the
    intercept cancel; the blocks keep the temporary at ``_GRAM_BLOCK`` rows.
    """
    if not shift.any():
        return X @ beta
    n = X.shape[0]
    out = np.empty(n)
    for start in range(0, n, _GRAM_BLOCK):
        out[start : start + _GRAM_BLOCK] = (X[start : start + _GRAM_BLOCK] - shift) @ beta
    return out + float(shift @ beta)


def _centring_shift(G, constants, n, value):
    """Column means to subtract (0 where not needed), from the Gram matrix and the constant column.

    ``constants`` lists the constant columns, the first being the intercept; the others are never
    centred (that would turn them into zero columns): the rank check names them as collinear.
    """
    mean = G[constants[0]] / (value * n)
    var = np.diag(G) / n - mean**2
    shift = np.where(mean**2 > _CENTRE_RATIO**2 * var, mean, 0.0)
    shift[constants] = 0.0
    return shift


def _safe_gram(G, n, column):
    """Whether every entry of G = X'X is finite and every column's mean square is in the safe range.

    ``column(j)`` returns column j of X.
    """
    if not np.all(np.isfinite(G)):
        return False
    d = np.diag(G) / n
    lo, hi = 2.0 ** (-2 * _SAFE_EXPONENT), 2.0 ** (2 * _SAFE_EXPONENT)
    out = ~((d > lo) & (d < hi))
    # a mean square of 0 is safe only for a column that really is all zeros (not one that underflowed)
    return not any(d[j] != 0 or np.any(column(j)) for j in np.flatnonzero(out))


def _data_tol(natural_norms, centred_norms):
    r"""Rank-tolerance term for the rounding of the original entries of centred columns.

    Column j, known to a relative eps per entry, is after centring known to
    :math:`\delta_j = arepsilon \lVert x_j
Vert / \lVert x_j - m_j
Vert`; a perturbation with column
    norms :math:`\delta_j` moves the singular values of the column-normalised design by at most
    :math:`\sqrt{\sum_j \delta_j^2}` (times 4, for safety).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(centred_norms > 0, _EPS * natural_norms / centred_norms, 0.0)
    return float(4 * np.sqrt(np.sum(delta**2)))


def _standardise(X):
    """Choose and apply the standardisation of X. Returns ``(Z, std, G)`` with G = Z'Z.

    Z is X itself (no copy, std the identity) unless a column must be centred or rescaled; then Z is
    one new array. The decisions come from X'X, which the rank check needs anyway.
    """
    n, k = X.shape
    with np.errstate(over="ignore", invalid="ignore"):
        G = _gram(X)
    Z, shift, scale = X, np.zeros(k), np.ones(k)
    if not _safe_gram(G, n, lambda j: X[:, j]):  # |x| beyond 1e30 or below 1e-30: an exact power-of-two rescaling first
        with np.errstate(over="ignore"):
            s0 = _pow2(np.max(np.abs(X), axis=0))
        Z = X / s0
        scale = s0
        G = _gram(Z)
    natural_norms = np.sqrt(np.diag(G)) * scale
    data_tol = 0.0
    constants = _constant_columns(Z)
    const = constants[0] if constants else None
    if const is not None:
        m = _centring_shift(G, constants, n, float(Z[0, const]))
        if m.any():
            Z = np.subtract(Z, m, out=Z if Z is not X else None)
            shift = scale * m
            G = _gram(Z)
            data_tol = _data_tol(natural_norms, np.sqrt(np.diag(G)) * scale)
    if Z is not X:  # a copy exists: make every column's root mean square about 1 (exactly, by 2**e)
        s = _pow2(np.sqrt(np.diag(G) / n))
        Z /= s
        G = G / np.outer(s, s)
        scale = scale * s
    std = _Standardisation(
        shift, scale, const, float(X[0, const]) if const is not None else 1.0, natural_norms / np.sqrt(n), data_tol
    )
    return Z, std, G


# ----------------------------------------------------------------------------------------------
# linear algebra on the k x k information matrix


def _weighted_gram(X, w):
    r""":math:`X^\top \operatorname{diag}(w) X` for weights w >= 0, never forming an n x n matrix.

    Small n: ``X.T @ (X * w[:, None])`` (one n x k temporary). From two blocks of rows on, the sum
    of ``B.T @ B`` over blocks ``B = X[rows] * sqrt(w[rows])``: numpy sends ``B.T @ B`` to BLAS
    syrk (half the flops of a general product, as the result is symmetric) and the block stays in
    cache, so no n x k temporary is made (2-3x faster at n >= 1e5; ``benchmarks/README.md``).
    """
    n, k = X.shape
    if n < 2 * _GRAM_BLOCK:
        H = X.T @ (X * w[:, None])
    else:
        root = np.sqrt(w)
        H = np.zeros((k, k))
        for start in range(0, n, _GRAM_BLOCK):
            block = X[start : start + _GRAM_BLOCK] * root[start : start + _GRAM_BLOCK, None]
            H += block.T @ block
    return (H + H.T) / 2


def _full_rank_factor(X, names, G=None, data_tol=0.0, std=None):
    r"""Check that X has full column rank; return ``(R, G)`` with :math:`R^\top R = G = X^\top X`.

    Fast path: :math:`G = X^\top X` (one syrk) and its Cholesky factor. With the columns scaled to
    unit length, each entry of the computed G is off by at most about :math:`n\varepsilon`, so its
    eigenvalues by at most :math:`kn\varepsilon`. If the smallest computed eigenvalue exceeds twice
    that, the smallest singular value of the column-normalised X is above
    :math:`\sqrt{kn\varepsilon}`, far above the QR tolerance of :func:`_check_rank`, so the QR
    verdict would be "full rank" too. Otherwise (a zero column, a nearly collinear design) the
    verdict comes from the QR of X as before: the Gram matrix cannot resolve singular values
    below about :math:`\sqrt{\varepsilon}`. The QR of a tall X costs as much as 6-12 Newton
    iterations, which is why it is not the default.
    """
    n, k = X.shape
    if G is None:
        G = _gram(X)
    d = np.sqrt(np.diag(G))
    if np.all(d > 0):
        lam_min = np.linalg.eigvalsh(G / np.outer(d, d))[0]
        if lam_min > 2 * k * n * _EPS and lam_min > (2 * data_tol) ** 2:
            try:
                return linalg.cholesky(G), G
            except linalg.LinAlgError:
                pass
    R = np.linalg.qr(X, mode="r")
    _check_rank(R, n, names, data_tol, std)
    return R, G


def _newton_step(g, H):
    """Solve H step = g by Cholesky of the diagonally equilibrated H (least squares if that fails)."""
    d = np.sqrt(np.diag(H))
    if not np.all(np.isfinite(d) & (d > 0)):
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        return step, float(g @ step)
    Hs = H / np.outer(d, d)
    try:
        step = linalg.cho_solve(linalg.cho_factor(Hs), g / d) / d
    except linalg.LinAlgError:
        step = np.linalg.lstsq(Hs, g / d, rcond=None)[0] / d
    return step, float(g @ step)


def _inverse_information(H):
    """Inverse of the symmetric positive definite information H, via equilibrated Cholesky."""
    d = np.sqrt(np.diag(H))
    Hs = H / np.outer(d, d)
    try:
        inv = linalg.cho_solve(linalg.cho_factor(Hs), np.eye(H.shape[0]))
    except linalg.LinAlgError:
        inv = linalg.pinvh(Hs)
    inv = inv / np.outer(d, d)
    return (inv + inv.T) / 2


def _weak_direction_ratio(R, H, reference):
    r"""How close the information :math:`X^\top W X` is to singular, relative to :math:`X^\top X`.

    Returns :math:`\lambda_{\min}(Q^\top W Q) / w_{\mathrm{ref}}` where X = QR (R may be any
    factor with :math:`R^\top R = X^\top X`, e.g. the Cholesky factor of the Gram matrix): the smallest
    weighted average of the observation weights over unit directions in the column space of X,
    divided by a typical weight (1/4 for logistic, the mean count for Poisson). It is not small
    for well-behaved fits and tends to 0 when the weights of the observations that span some
    direction of X collapse, as they do when the Newton iterates run off to infinity
    (separation, or Poisson means driven to 0).
    """
    norms = np.linalg.norm(R, axis=0)
    Rs = R / norms
    Hs = H / np.outer(norms, norms)
    try:
        A = linalg.solve_triangular(Rs, Hs, trans="T")  # Rs^-T Hs
        M = linalg.solve_triangular(Rs, A.T, trans="T")  # Rs^-T Hs Rs^-1 = Q^T W Q
        lam = np.linalg.eigvalsh((M + M.T) / 2)[0]
    except (linalg.LinAlgError, ValueError):
        return 0.0
    return float(lam) / reference if np.isfinite(lam) else 0.0


# ----------------------------------------------------------------------------------------------
# Newton's method with step-halving, shared by the two GLMs


def _newton(X, loglik, working, beta, tol, maxiter, certificate=None, H0=None):
    r"""Maximise loglik(X @ beta) by Newton's method with step-halving.

    ``working(eta)`` returns the score residuals r and weights w, so that the score is
    :math:`X^\top r` and the observed information is :math:`X^\top \operatorname{diag}(w) X`.
    Convergence: half the squared Newton decrement, :math:`g^\top H^{-1} g / 2` (the predicted
    gain of one more Newton step, in log-likelihood units), is <= `tol`; one final Newton step
    is then taken to polish the estimate. If ``certificate(eta)`` is true at an iterate (a cheap
    proof that no finite MLE exists), the iteration stops there with reason "certificate".
    ``H0``, if given, is the information at the starting ``beta`` (saves one Gram product).
    """
    eta = X @ beta
    ll = loglik(eta)
    r, w = working(eta)
    g, H = X.T @ r, (_weighted_gram(X, w) if H0 is None else H0)
    niter, converged, reason, dec = 0, False, "", np.inf
    for _ in range(maxiter + 1):
        step, dec = _newton_step(g, H)
        if not np.isfinite(dec):
            reason = "the Newton step is not finite (singular information matrix)"
            break
        small = dec / 2 <= tol
        if niter == maxiter and not small:
            reason = f"reached maxiter={maxiter} Newton iterations"
            break
        # step-halving: accept the first t = 1, 1/2, 1/4, ... that increases the log-likelihood
        # enough (Armijo), allowing for rounding in the sum near the optimum
        slack = 1e-12 * (1.0 + abs(ll))
        t, accepted = 1.0, False
        for _ in range(_MAX_HALVINGS):
            beta_new = beta + t * step
            eta_new = X @ beta_new
            ll_new = loglik(eta_new)
            if np.isfinite(ll_new) and ll_new >= ll + 1e-4 * t * dec - slack:
                accepted = True
                break
            t /= 2
        if accepted:
            niter += 1
            beta, eta, ll = beta_new, eta_new, ll_new
            r, w = working(eta)
            g, H = X.T @ r, _weighted_gram(X, w)
            if certificate is not None and certificate(eta):
                reason = "certificate"
                break
        if small:
            converged = True
            break
        if not accepted:
            reason = "step-halving could not increase the log-likelihood"
            break
    if converged:
        # the claim is checked at the estimate returned (after the polishing step), not before it
        _, dec = _newton_step(g, H)
        if not (np.isfinite(dec) and dec / 2 <= tol):
            converged = False
            reason = "the Newton decrement at the final estimate exceeds the tolerance"
    return beta, eta, ll, H, w, niter, converged, reason, dec


def _warn_not_converged(func, reason, dec, tol):
    warnings.warn(
        f"{func} did not converge: {reason} (half the squared Newton decrement is {dec / 2:.3g}, "
        f"tolerance {tol:g}); the estimates and standard errors may be inaccurate",
        RuntimeWarning,
        stacklevel=3,
    )


def _check_options(tol, maxiter):
    real = isinstance(tol, (int, float, np.integer, np.floating)) and not isinstance(tol, (bool, np.bool_))
    if not (real and np.isfinite(tol) and tol > 0):
        raise ValueError(
            f"tol must be a positive finite number (a log-likelihood gain, e.g. 1e-10), got {tol!r}"
        )
    integer = (isinstance(maxiter, (int, np.integer)) and not isinstance(maxiter, (bool, np.bool_))) or (
        isinstance(maxiter, (float, np.floating)) and float(maxiter).is_integer()
    )
    if not (integer and maxiter >= 1):
        raise ValueError(f"maxiter must be a positive integer (e.g. 100), got {maxiter!r}")
    return float(tol), int(maxiter)


# ----------------------------------------------------------------------------------------------
# linear programs that certify "no finite MLE"


def _scaled(X):
    return X / np.max(np.abs(X), axis=0)


def _separation(X, y):
    """Find a separating direction for logistic data, or return None.

    Solves  max sum_i s_i x_i'b  s.t.  s_i x_i'b >= 0 (all i), -1 <= b_j <= 1  with s = 2y - 1,
    on the column-scaled design. The optimum is 0 iff the classes overlap (a finite MLE exists,
    given full rank); otherwise b is a direction along which the log-likelihood increases forever.
    Returns (b in the original units, kind, number of observations on the boundary).
    """
    scale = np.max(np.abs(X), axis=0)
    s = 2.0 * y - 1.0
    A = -(s[:, None] * (X / scale))
    k = X.shape[1]
    res = optimize.linprog(A.sum(axis=0), A_ub=A, b_ub=np.zeros(y.size), bounds=[(-1, 1)] * k, method="highs")
    if res.status != 0 or -res.fun <= _LP_OBJECTIVE_TOL:
        return None
    b = res.x
    margins = -(A @ b)
    on_boundary = int(np.sum(margins <= 1e-7 * np.abs(margins).max()))
    kind = "complete"
    if on_boundary > 0:
        # is there a direction with every margin strictly positive?  max t s.t. s_i x_i'b >= t
        A2 = np.column_stack([A, np.ones(y.size)])
        c2 = np.zeros(k + 1)
        c2[-1] = -1.0
        res2 = optimize.linprog(
            c2, A_ub=A2, b_ub=np.zeros(y.size), bounds=[(-1, 1)] * k + [(0, 1)], method="highs"
        )
        if res2.status == 0 and -res2.fun > _LP_OBJECTIVE_TOL:
            b, on_boundary = res2.x[:k], 0
        else:
            kind = "quasi-complete"
    return b / scale, kind, on_boundary


def _poisson_recession(X, y):
    """Find a direction along which the Poisson log-likelihood increases forever, or return None.

    Solves  max -sum_{y_i=0} x_i'b  s.t.  x_i'b = 0 (y_i > 0),  x_i'b <= 0 (y_i = 0),  |b_j| <= 1.
    Returns (b in the original units, number of zero counts whose fitted mean is driven to 0).
    """
    zero = y == 0
    if not zero.any():
        return None
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
        return None
    b = res.x
    drops = Xz @ b
    driven = int(np.sum(drops < -1e-7 * np.abs(drops).max()))
    return b / scale, driven


def _raise_separation(found, y, names, std=None):
    b, kind, on_boundary = found
    if std is not None:  # a direction found on the standardised design, in the original units
        b = std.params(b)
    n = y.size
    direction = _format_direction(b, names, None if std is None else std.rms)
    if kind == "complete":
        detail = (
            f"complete separation: the hyperplane X @ b = 0 with b = {direction} has every y = 1 on one side "
            "and every y = 0 on the other"
        )
    else:
        detail = (
            f"quasi-complete separation: with b = {direction}, X @ b >= 0 for every y = 1 and X @ b <= 0 for "
            f"every y = 0, with {on_boundary} of {n} observations on the boundary X @ b = 0; the fitted "
            f"probabilities of the other {n - on_boundary} are pushed towards 0 or 1"
        )
    raise SeparationError(
        f"no finite MLE: the classes show {detail}. Moving the coefficients along b increases the "
        "log-likelihood forever (towards its supremum, never attained), so Newton's method would return "
        "ever larger coefficients. Remedies: drop or merge the separating regressor(s), collect more data, "
        "or use a penalised fit (e.g. Firth's or ridge logistic regression)"
    )


# ----------------------------------------------------------------------------------------------
# the fitters


def fit_linear(X, y, *, param_names=None):
    r"""Maximum likelihood fit of the linear model :math:`y = X\beta + \varepsilon`, :math:`\varepsilon \sim N(0, \sigma^2 I)`.

    Parameters
    ----------
    X : array_like, shape (n, k)
        Design matrix, used as given (add a column of ones for an intercept). A pandas
        DataFrame's column names become the parameter names.
    y : array_like, shape (n,)
        Responses, real and finite.
    param_names : sequence of str, optional
        Names of the k coefficients; default ``x0, ..., x{k-1}``.

    Returns
    -------
    LinearRegressionResult
        An :class:`~mlelib.results.MLEResult` for :math:`\beta` with the extra attribute
        ``sigma2`` :math:`= \hat\sigma^2 = \mathrm{RSS}/n`. ``cov`` is the inverse observed
        information for :math:`\beta` at the MLE, :math:`\hat\sigma^2 (X^\top X)^{-1}`, so ``bse``
        uses the MLE :math:`\mathrm{RSS}/n`. statsmodels' ``OLS(...).fit().bse`` uses
        :math:`\mathrm{RSS}/(n-k)` instead; the two differ by the factor :math:`\sqrt{(n-k)/n}`.
        ``loglik`` equals statsmodels' ``llf``; ``aic``/``bic`` count the k coefficients, as
        statsmodels does. ``negloglik(beta)`` is the *profile* negative log-likelihood with
        :math:`\sigma^2` maximised out, :math:`\tfrac n2\{\log(2\pi\,\mathrm{RSS}(\beta)/n) + 1\}`,
        whose Hessian at :math:`\hat\beta` is again :math:`X^\top X / \hat\sigma^2`.

    Raises
    ------
    DataError
        If X is not a finite 2-D array, y not a finite 1-D array of matching length, or X is
        rank-deficient (then :math:`\beta` is not identifiable).
    NoFiniteMLEError
        If y lies (up to rounding) in the column space of X, e.g. when n = k: then
        :math:`\hat\sigma^2 = 0` and the likelihood is unbounded.

    Notes
    -----
    The log-likelihood is
    :math:`\ell(\beta, \sigma^2) = -\tfrac n2 \log(2\pi\sigma^2) - \lVert y - X\beta\rVert^2 / (2\sigma^2)`,
    so for every :math:`\sigma^2` the maximiser in :math:`\beta` is the least-squares solution, and

    .. math::

        \hat\beta = \arg\min_\beta \lVert y - X\beta \rVert^2 = R^{-1} Q^\top y, \qquad
        \hat\sigma^2 = \frac{1}{n}\lVert y - X\hat\beta \rVert^2, \qquad
        \ell(\hat\beta, \hat\sigma^2) = -\frac n2 \bigl\{\log(2\pi\hat\sigma^2) + 1\bigr\},

    where :math:`X = QR` is the thin QR factorisation (computed as one Householder QR of the
    augmented matrix :math:`[X \mid y]`, whose last column yields :math:`Q^\top y` without forming
    Q). :math:`X^\top X` is never formed or inverted: its condition number is the square of that
    of X :cite:p:`higham2002accuracy`.

    References
    ----------
    :cite:p:`casella2002statistical`, Section 11.3; :cite:p:`higham2002accuracy`, Chapter 20.

    Examples
    --------
    >>> X = np.column_stack([np.ones(5), [0.0, 1.0, 2.0, 3.0, 4.0]])
    >>> res = fit_linear(X, [1.0, 3.1, 4.9, 7.2, 8.8])
    >>> res.params.round(4).tolist(), round(res.sigma2, 4)
    ([1.06, 1.97], 0.0182)
    """
    Xa, ya, names = _prepare(X, y, param_names)
    n, k = Xa.shape
    # One Householder QR of the augmented [X | y] (see _qr_augmented). Its R also gives
    # [X | y]'[X | y] = R'R, from which _linear_standardisation decides whether a column (or y)
    # has an offset large against its spread; only then is the QR repeated on the standardised
    # [Z | y~] (filled into the same kind of column-major copy: still one copy of X).
    shift, scale = np.zeros(k + 1), np.ones(k + 1)
    R_aug, _ = _qr_augmented(Xa, ya, shift, scale)
    constants = _constant_columns(Xa)
    shift, scale, norms = _linear_standardisation(Xa, ya, R_aug, constants)
    standardised = bool(shift.any() or np.any(scale != 1.0))
    if standardised:
        R_aug, scale = _qr_augmented(Xa, ya, shift, scale, unit_rms=True)
    R, qty = R_aug[:k, :k], R_aug[:k, k]
    const = constants[0] if constants else None
    std = _Standardisation(
        shift[:k], scale[:k], const, float(Xa[0, const]) if constants else 1.0, norms[:k] / np.sqrt(n)
    )
    data_tol = _data_tol(norms[:k], np.linalg.norm(R, axis=0) * scale[:k]) if shift.any() else 0.0
    _check_rank(R, n, names, data_tol, std if standardised else None)
    gamma = linalg.solve_triangular(R, qty)
    if n == k:
        rss = 0.0
    elif not standardised:
        resid = ya - Xa @ gamma
        rss = float(resid @ resid)
    else:
        # |R_aug[k, k]| is the norm of the residual of the standardised problem
        rss = float(R_aug[k, k]) ** 2
    Rinv = linalg.solve_triangular(R, np.eye(k))
    cov = (rss / n) * (Rinv @ Rinv.T)
    if standardised:
        # y = m_y + s_y y~ and y~ = Z gamma + e:  y = Z (s_y gamma + m_y / z_c e_c) + s_y e
        gamma = scale[k] * gamma
        if const is not None:
            gamma[const] += shift[k] * scale[const] / std.const_value
        B = std.matrix()
        beta = B @ gamma
        with np.errstate(over="ignore", invalid="ignore"):
            cov = scale[k] ** 2 * (B @ cov @ B.T)
        _check_finite_cov(cov, names)
        rss = rss * scale[k] ** 2
    else:
        beta = gamma
    # A residual below the rounding of the data themselves (each y_i and x_ij known to a relative
    # eps) is zero: in the original units, and column by column (so a change of units leaves it alone).
    rounding = 8 * _EPS * np.sqrt(n) * (norms[k] + float(norms[:k] @ np.abs(beta)))
    if n == k or np.sqrt(rss) <= rounding:
        why = f"n = k = {n}: the fit interpolates the data" if n == k else "y lies in the column space of X"
        raise NoFiniteMLEError(
            f"{why} (residual sum of squares {rss:.3g}, zero up to rounding), so sigma2_hat = RSS/n = 0 "
            "and the Gaussian log-likelihood is unbounded above: no finite MLE of sigma2 exists "
            "(need noise, or more observations than columns)"
        )
    sigma2 = rss / n
    loglik = -0.5 * n * (np.log(2 * np.pi * sigma2) + 1.0)
    x_shift = shift[:k]

    def negloglik(params):
        r = ya - _shifted_matvec(Xa, x_shift, np.asarray(params, dtype=float))
        return 0.5 * n * (np.log(2 * np.pi * (r @ r) / n) + 1.0)

    return LinearRegressionResult(
        params=beta,
        cov=(cov + cov.T) / 2,
        loglik=loglik,
        nobs=n,
        converged=True,
        param_names=names,
        model=f"linear regression (Gaussian noise, sigma2_hat = RSS/n = {sigma2:.6g})",
        niter=None,
        negloglik=negloglik,
        sigma2=sigma2,
    )


def _qr_augmented(Xa, ya, shift, scale, unit_rms=False):
    r"""R of the Householder QR of :math:`[(X - m)/s \mid (y - m_y)/s_y]` (shift and scale of length k + 1).

    One column-major copy of the data (LAPACK wants that storage), factorised in place by LAPACK's
    geqrf: scipy's ``qr(mode="r")`` would return an n x (k+1) triangle of zeros, and the thin Q
    is never formed. With ``unit_rms`` each column is further divided by the power of two nearest
    to its root mean square (exact). Returns ``(R, scale)``, the latter the total column scales.
    """
    n, k = Xa.shape
    aug = np.empty((n, k + 1), order="F")
    aug[:, :k], aug[:, k] = Xa, ya
    if shift.any():
        aug -= shift
    if np.any(scale != 1.0):
        aug /= scale
    if unit_rms:
        s = _pow2(np.linalg.norm(aug, axis=0) / np.sqrt(n))
        aug /= s
        scale = scale * s
    qr, _, _, info = linalg.lapack.dgeqrf(aug, overwrite_a=True)
    if info != 0:  # pragma: no cover - only for invalid arguments, which cannot happen here
        raise RuntimeError(f"LAPACK dgeqrf failed with info = {info}")
    return np.triu(qr[: k + 1]), scale


def _linear_standardisation(Xa, ya, R_aug, constants):
    r"""Shift, scale (length k + 1, the last for y; zeros / ones if not needed) and column norms for fit_linear.

    From :math:`G = R^\top R = [X \mid y]^\top [X \mid y]`: if G is out of the safe range, every
    column is first rescaled by a power of two of its largest entry (and G recomputed); with a constant
    column, the columns (and y) whose mean exceeds ``_CENTRE_RATIO`` standard deviations are centred.
    """
    n, k = Xa.shape
    with np.errstate(over="ignore", invalid="ignore"):
        G = R_aug.T @ R_aug
    scale = np.ones(k + 1)
    if not _safe_gram(G, n, lambda j: Xa[:, j] if j < k else ya):
        with np.errstate(over="ignore"):
            scale = _pow2(np.append(np.max(np.abs(Xa), axis=0), np.max(np.abs(ya))))
        R0, _ = _qr_augmented(Xa, ya, np.zeros(k + 1), scale)
        G = R0.T @ R0
    shift = np.zeros(k + 1)
    if constants:
        m = _centring_shift(G, constants, n, float(Xa[0, constants[0]]) / scale[constants[0]])
        shift = m * scale
    with np.errstate(over="ignore"):
        norms = np.sqrt(np.abs(np.diag(G))) * scale  # of the columns of [X | y], original units
    return shift, scale, norms


def fit_logistic(X, y, *, tol=1e-10, maxiter=100, param_names=None):
    r"""Maximum likelihood fit of logistic regression, :math:`P(y_i = 1) = \sigma(x_i^\top\beta)`.

    Parameters
    ----------
    X : array_like, shape (n, k)
        Design matrix, used as given (add a column of ones for an intercept). A ``dask.array``
        X or y (chunked by rows) is fitted out of core: see :class:`~mlelib.ChunkedMLEResult`.
    y : array_like, shape (n,)
        Labels, each 0 or 1 (booleans are accepted).
    tol : float, default 1e-10
        Convergence tolerance on half the squared Newton decrement,
        :math:`g^\top H^{-1} g / 2`: the log-likelihood gain still expected from a Newton step.
    maxiter : int, default 100
        Maximum number of Newton iterations.
    param_names : sequence of str, optional
        Names of the k coefficients; default ``x0, ..., x{k-1}`` (or a DataFrame's columns).

    Returns
    -------
    MLEResult
        ``params`` :math:`\hat\beta`, ``cov`` :math:`= (X^\top \hat W X)^{-1}` (the inverse observed
        information, :math:`\hat W = \operatorname{diag}(\hat p_i(1-\hat p_i))`), ``loglik``,
        ``converged``, ``niter``, and ``negloglik(beta)``.

    Raises
    ------
    DataError
        If a label is not 0/1, X or y contain NaN/inf, shapes do not match, the input is empty or
        X is not 2-D, or X is rank-deficient.
    SeparationError
        If the classes are completely or quasi-completely separated by a hyperplane through the
        columns of X: the log-likelihood then increases forever along a direction b, so no finite
        MLE exists. The message gives b.

    Warns
    -----
    RuntimeWarning
        If Newton's method stops before its convergence test is met (then ``converged=False``). The
    test, half the squared Newton decrement <= `tol`, is invariant under reparametrisation and is
    checked again at the estimate returned.

    Notes
    -----
    With :math:`\eta = X\beta`, :math:`p = \sigma(\eta)` and :math:`s_i = 2y_i - 1`,

    .. math::

        \ell(\beta) = \sum_i \bigl[y_i\log p_i + (1-y_i)\log(1-p_i)\bigr]
                    = -\sum_i \log\bigl(1 + e^{-s_i\eta_i}\bigr), \quad
        \nabla\ell = X^\top(y - p), \quad
        \nabla^2\ell = -X^\top W X,

    and Newton's step (iteratively reweighted least squares) solves
    :math:`X^\top W X\,\delta = X^\top(y-p)`, halving :math:`\delta` until the log-likelihood
    increases. :math:`X^\top W X` is formed as ``X.T @ (X * w[:, None])``: one n x k temporary,
    never the n x n matrix ``diag(w)``.

    Separation is certified by a linear program :cite:p:`albert1984existence`: a finite MLE
    exists iff no :math:`b \ne 0` has :math:`s_i x_i^\top b \ge 0` for all i. Because the LP costs
    far more than Newton for very large n, it runs only when the fit shows a symptom of
    divergence: non-convergence, or an information matrix that is nearly singular along some
    direction of the data (observation weights collapsing to 0). Complete separation is usually
    caught earlier and for free: as soon as a Newton iterate classifies every observation
    correctly (:math:`s_i x_i^\top\beta > 0` for all i), that iterate is itself a separating direction.

    References
    ----------
    :cite:p:`albert1984existence`; :cite:p:`bishop2006pattern`, Section 4.3.3.

    Examples
    --------
    >>> X = np.column_stack([np.ones(8), [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]])
    >>> res = fit_logistic(X, [0, 0, 1, 0, 1, 0, 1, 1])
    >>> res.params.round(3).tolist(), res.converged
    ([-2.673, 1.188], True)
    """
    from .chunked import _is_dask, fit_logistic_chunked  # here: mlelib.chunked imports this module

    if _is_dask(X) or _is_dask(y):  # chunked data: map-reduce Newton (mlelib.chunked)
        return fit_logistic_chunked(X, y, tol=tol, maxiter=maxiter, param_names=param_names)
    tol, maxiter = _check_options(tol, maxiter)
    Xa, ya, names = _prepare(X, y, param_names)
    check_support(ya, (ya == 0) | (ya == 1), "Logistic-regression", "labels 0 or 1 (booleans are accepted)", name="y")
    n, k = Xa.shape
    # Newton, the rank check and the separation LP all run on the well-conditioned Z (X itself unless
    # a column has a large offset or an extreme scale); the results are mapped back exactly.
    Z, std, gram = _standardise(Xa)
    R, gram = _full_rank_factor(Z, names, gram, std.data_tol, std)

    if ya.min() == ya.max():
        label = int(ya[0])
        const = std.const
        if const is not None:
            raise SeparationError(
                f"all {n} labels are {label}: the MLE of P(y = 1) is {label}, which no finite log-odds reach, so "
                f"the coefficient of the constant column {names[const]} tends to "
                f"{'+' if label else '-'}inf (complete separation by the intercept); no finite MLE exists"
            )
        found = _separation(Z, ya)
        if found is not None:
            _raise_separation(found, ya, names, std)

    s = 2.0 * ya - 1.0
    shift = std.shift

    def negloglik(params):
        eta = _shifted_matvec(Xa, shift, np.asarray(params, dtype=float))
        return float(np.sum(np.logaddexp(0.0, -s * eta)))

    # One exp per iterate. With the margins m = s * eta and z = exp(-|eta|):
    # log(1 + exp(-m)) = max(-m, 0) + log1p(z), and y - p = s * sigma(-m), where sigma(-m) is
    # z/(1+z) for m >= 0 and 1/(1+z) otherwise; the weight p(1-p) is z/(1+z)^2. `loglik` keeps
    # m and z for the iterate it was last called on, which is the one Newton then asks about.
    last = {"eta": None}

    def _margins(eta):
        if last["eta"] is not eta:
            last.update(eta=eta, m=s * eta, z=np.exp(-np.abs(eta)))
        return last["m"], last["z"]

    def loglik(eta):
        m, z = _margins(eta)
        return -float(np.maximum(-m, 0.0).sum() + np.log1p(z).sum())

    def working(eta):
        m, z = _margins(eta)
        inv = 1.0 / (1.0 + z)
        z_inv = z * inv
        return s * np.where(m >= 0, z_inv, inv), z_inv * inv

    def strictly_separated(eta):
        # every margin s_i x_i'beta > 0: beta itself separates the classes (complete separation)
        return bool(np.all(_margins(eta)[0] > 0))

    beta, eta, ll, H, w, niter, converged, reason, dec = _newton(
        Z, loglik, working, np.zeros(k), tol, maxiter, certificate=strictly_separated, H0=gram / 4
    )
    if reason == "certificate":
        _raise_separation((beta, "complete", 0), ya, names, std)
    if not converged or _weak_direction_ratio(R, H, 0.25) < _WEAK_DIRECTION_RATIO:
        found = _separation(Z, ya)
        if found is not None:
            _raise_separation(found, ya, names, std)
    del Z
    if not converged:
        _warn_not_converged("fit_logistic", reason, dec, tol)
    return MLEResult(
        params=std.params(beta),
        cov=std.cov(_inverse_information(H), names),
        loglik=ll,
        nobs=n,
        converged=converged,
        param_names=names,
        model="logistic regression",
        niter=niter,
        negloglik=negloglik,
    )


def fit_poisson(X, y, *, tol=1e-10, maxiter=100, param_names=None):
    r"""Maximum likelihood fit of Poisson regression with log link, :math:`y_i \sim \text{Poisson}(e^{x_i^\top\beta})`.

    Parameters
    ----------
    X : array_like, shape (n, k)
        Design matrix, used as given (add a column of ones for an intercept). A ``dask.array``
        X or y (chunked by rows) is fitted out of core: see :class:`~mlelib.ChunkedMLEResult`.
    y : array_like, shape (n,)
        Counts: non-negative integers (``2.0`` is a count, ``2.5`` is an error, never truncated).
    tol : float, default 1e-10
        Convergence tolerance on half the squared Newton decrement (see :func:`fit_logistic`).
    maxiter : int, default 100
        Maximum number of Newton iterations.
    param_names : sequence of str, optional
        Names of the k coefficients; default ``x0, ..., x{k-1}`` (or a DataFrame's columns).

    Returns
    -------
    MLEResult
        ``params``, ``cov`` :math:`= (X^\top \operatorname{diag}(\hat\mu) X)^{-1}`, ``loglik``
        (including :math:`-\sum_i \log y_i!`, as statsmodels), ``converged``, ``niter``,
        ``negloglik(beta)``.

    Raises
    ------
    DataError
        If a count is negative or not an integer, X or y contain NaN/inf, shapes do not match, the
        input is empty or X is not 2-D, or X is rank-deficient.
    NoFiniteMLEError
        If the log-likelihood has no finite maximiser: some direction b leaves every positive
        count's fitted mean unchanged while driving the fitted means of zero counts to 0 (for
        example, all counts zero with an intercept, or a dummy that is 1 only for zero counts).

    Warns
    -----
    RuntimeWarning
        If Newton's method stops before its convergence test is met (then ``converged=False``).

    Notes
    -----
    With :math:`\mu = \exp(X\beta)`,

    .. math::

        \ell(\beta) = \sum_i \bigl[y_i x_i^\top\beta - e^{x_i^\top\beta} - \log y_i!\bigr], \quad
        \nabla\ell = X^\top(y - \mu), \quad
        \nabla^2\ell = -X^\top \operatorname{diag}(\mu) X.

    Newton starts from one weighted least-squares step with :math:`\mu_0 = (y + \bar y)/2` and
    halves steps that do not increase :math:`\ell` (including steps whose :math:`e^{\eta}`
    overflows). Existence is certified by a linear program, run only on a symptom of divergence,
    as in :func:`fit_logistic`.

    References
    ----------
    :cite:p:`mccullagh1989generalized`, Section 6.2; :cite:p:`santos2010existence`.

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    >>> res = fit_poisson(X, [1, 2, 2, 4, 6, 9])
    >>> res.params.round(4).tolist()
    [0.3325, 0.8341]
    """
    from .chunked import _is_dask, fit_poisson_chunked  # here: mlelib.chunked imports this module

    if _is_dask(X) or _is_dask(y):  # chunked data: map-reduce Newton (mlelib.chunked)
        return fit_poisson_chunked(X, y, tol=tol, maxiter=maxiter, param_names=param_names)
    tol, maxiter = _check_options(tol, maxiter)
    Xa, ya, names = _prepare(X, y, param_names)
    check_support(ya, is_count(ya), "Poisson", "non-negative integer counts (2.0 is fine, 2.5 is not)", name="y")
    n, k = Xa.shape
    Z, std, gram = _standardise(Xa)  # as in fit_logistic
    R, _ = _full_rank_factor(Z, names, gram, std.data_tol, std)

    if not ya.any():
        const = std.const
        if const is not None:
            raise NoFiniteMLEError(
                f"all {n} counts are zero: the MLE of the Poisson mean is 0, which exp(X @ beta) never reaches, "
                f"so the coefficient of the constant column {names[const]} tends to -inf; no finite MLE exists"
            )
        _raise_no_poisson_mle(Z, ya, names, std)

    log_fact = float(np.sum(special.gammaln(ya + 1.0)))

    def negloglik(params):
        eta = _shifted_matvec(Xa, std.shift, np.asarray(params, dtype=float))
        with np.errstate(over="ignore"):
            return float(np.sum(np.exp(eta) - ya * eta) + log_fact)

    def loglik(eta):
        with np.errstate(over="ignore"):
            return float(np.sum(ya * eta - np.exp(eta)) - log_fact)

    def working(eta):
        with np.errstate(over="ignore"):
            mu = np.exp(eta)
        return ya - mu, mu

    beta0 = _poisson_start(Z, ya) if ya.any() else np.zeros(k)
    if not np.isfinite(loglik(Z @ beta0)):
        beta0 = np.zeros(k)
    beta, eta, ll, H, w, niter, converged, reason, dec = _newton(Z, loglik, working, beta0, tol, maxiter)
    if not converged or _weak_direction_ratio(R, H, ya.mean() if ya.any() else w.mean()) < _WEAK_DIRECTION_RATIO:
        _raise_no_poisson_mle(Z, ya, names, std)
    del Z
    if not converged:
        _warn_not_converged("fit_poisson", reason, dec, tol)
    return MLEResult(
        params=std.params(beta),
        cov=std.cov(_inverse_information(H), names),
        loglik=ll,
        nobs=n,
        converged=converged,
        param_names=names,
        model="Poisson regression (log link)",
        niter=niter,
        negloglik=negloglik,
    )


def _poisson_start(X, y):
    """One IRLS step from mu0 = (y + mean(y)) / 2: a cheap starting value for Newton."""
    mu0 = (y + y.mean()) / 2
    z = np.log(mu0) + (y - mu0) / mu0
    step, _ = _newton_step(X.T @ (mu0 * z), _weighted_gram(X, mu0))
    return step


def _raise_no_poisson_mle(X, y, names, std=None):
    """Raise NoFiniteMLEError if the Poisson LP finds a direction of unbounded increase.

    X may be the standardised design of `std`; the direction is then reported in the units of the
    original columns.
    """
    found = _poisson_recession(X, y)
    if found is None:
        return
    b, driven = found
    if std is not None:
        b = std.params(b)
    raise NoFiniteMLEError(
        f"no finite MLE: along the direction b = {_format_direction(b, names, None if std is None else std.rms)} every observation with y > 0 "
        f"keeps its fitted mean (x_i'b = 0) while the fitted means of {driven} observation(s) with y = 0 "
        "shrink towards 0, so the log-likelihood increases forever and the coefficients would run off to "
        "+/-inf. Typical cause: a regressor (e.g. a dummy) that is non-zero only where the count is 0; drop it "
        "or merge its categories"
    )

r"""Regression models fitted by maximum likelihood: linear (Gaussian), logistic and Poisson.

The design matrix `X` is used exactly as given: add a column of ones yourself if the model
should have an intercept (as in statsmodels). All three fitters

- validate their input and raise :class:`~mlelib.errors.DataError` naming the problem
  (complex, string or date input, masked arrays with masked entries, Python integers beyond the
  float64 range, wrong shape, NaN/inf, labels or counts outside the support, duplicate parameter
  names, a rank-deficient design, a variance that overflows or underflows float64 in the units of X);
  integer and boolean arrays become float64;
- are equivariant under affine changes of the columns: when the constant vector lies in the
  column space of X (a column of ones, or an intercept implied by dummies or by columns whose sum is
  constant) and a column's mean exceeds 4 of its standard deviations (a year, a timestamp, an income
  in cents), the fit runs on the centred and rescaled design Z = X T and the estimates and
  covariance are mapped back by the exact linear reparametrisation, so a column shifted by 1e9
  or scaled by 1e-6 gives the same fitted values, log-likelihood and (transformed) standard errors;
  rank, separation and convergence are judged on that well-conditioned design;
- share one rank rule (:func:`_check_rank`): full rank iff the smallest singular value of the
  column-normalised standardised design exceeds ``max(n, k) * eps`` times the largest plus a term
  for the rounding of the original entries of centred columns (eps |offset| / spread each);
- are accurate on nearly collinear designs: beyond a condition number of 1e4 of the
  column-normalised design the GLM fitters run Newton on the orthonormal Z = X R^-1 from one QR of X
  (fit_linear always solves by QR), so the Gram matrix never squares the condition number;
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
_FLOAT_MAX_INT = int(np.finfo(float).max)
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
    if isinstance(a, np.ma.MaskedArray) and np.ma.is_masked(a):
        masked = int(np.ma.count_masked(a))
        raise DataError(
            f"{name} is a numpy masked array with {masked} masked entr{'y' if masked == 1 else 'ies'}: the fitters "
            "use every entry as given (a masked entry would silently keep its underlying value); drop the rows "
            f"with masked entries first (e.g. rows = ~np.ma.getmaskarray({name}).any(axis=-1))"
        )
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
    except OverflowError:  # Python integers beyond the float64 range (about 1.8e308)
        big = next((v for v in arr.ravel() if isinstance(v, numbers.Integral) and abs(int(v)) > _FLOAT_MAX_INT), "?")
        raise DataError(
            f"{name} contains an integer beyond the float64 range (about 1.8e308): {_short(big)}; "
            "express it in other units (e.g. divide by a power of ten) before fitting"
        ) from None
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert it to floats ({exc})") from None


def _short(v):
    text = str(v)
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} digits)"


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
    if len(set(names)) != k:
        dup = sorted({p for p in names if names.count(p) > 1})
        raise DataError(
            f"param_names must be distinct (results are looked up by name); {dup} appear(s) more than once in "
            f"{list(names)}"
        )
    return names


def _names_and_rows(param_names, frame_names, n, k):
    """The checked parameter names (default: a DataFrame's columns, else x0, x1, ...); refuse n < k."""
    if param_names is None:
        param_names = frame_names if frame_names is not None else tuple(f"x{j}" for j in range(k))
    names = _check_param_names(param_names, k)
    if n < k:
        raise DataError(
            f"X has fewer rows ({n}) than columns ({k}), so its rank is at most {n} < {k}: "
            "the coefficients are not identifiable"
        )
    return names


def _check_aligned(X, other, name):
    """Refuse a pandas ``other`` whose index is not X's: rows are matched by position, never by label."""
    xi, oi = getattr(X, "index", None), getattr(other, "index", None)
    if xi is None or oi is None or not hasattr(xi, "equals") or not hasattr(oi, "equals") or xi.equals(oi):
        return
    raise DataError(
        f"{name} is a pandas object whose index differs from X's (e.g. X starts {list(xi[:3])}, {name} starts "
        f"{list(oi[:3])}); mlelib matches rows by position, so the fit would pair the wrong rows: align them "
        f"first ({name} = {name}.reindex(X.index)) or pass plain arrays"
    )


def _prepare(X, y, param_names):
    """Validate (X, y) together; return the float arrays and the parameter names."""
    _check_aligned(X, y, "y")
    Xa, frame_names = _as_design(X)
    ya = as_sample(_as_real_array(y, "y"), "y")
    n, k = Xa.shape
    if ya.size != n:
        raise DataError(
            f"X has {n} rows but y has {ya.size} entries (shapes {Xa.shape} and {ya.shape}): need one "
            "response per row of X"
        )
    param_names = _names_and_rows(param_names, frame_names, n, k)
    return Xa, ya, param_names


def _check_rank(R, n, names, data_tol=0.0, std=None):
    """Raise DataError unless the upper-triangular R (from X = QR) has full numerical rank.

    The one rank rule of the three fitters (and of :func:`~mlelib.glm_sandwich_cov`). It is applied
    to R of the *standardised* design Z (see :func:`_standardise`: centred where the constant
    vector lies in the column space, every column scaled to unit length), so the verdict does not
    depend on the units or offsets of the regressors: full rank iff the smallest singular value of
    the column-normalised Z exceeds ``max(n, k) * eps * s_max + data_tol``. ``data_tol`` bounds how
    far the rounding of the *original* entries (each known to a relative eps, so a column with offset m
    and spread sd only to eps |m| / sd of its spread) can move those singular values; it is 0 unless a
    column was centred. With ``std``, the collinear combination is reported in the original columns.
    Returns the reciprocal condition number s_min / s_max of the column-normalised Z.
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
            # the combination Z v = 0 is X (T v) = 0; weigh each coefficient by its column's size
            null = np.abs(std.matrix() @ (vt[-1] / norms)) * std.rms
        involved = [names[j] for j in np.flatnonzero(null > 1e-3 * null.max())]
        raise DataError(
            f"X is rank-deficient: numerical matrix rank {rank} < {k} columns (smallest singular value of "
            f"the column-normalised X is {sv[-1]:.3g}, tolerance {tol:.3g}); a linear combination of the "
            f"columns {', '.join(involved)} is (numerically) zero, so the coefficients are not identifiable. "
            "Drop or combine the collinear columns (e.g. a duplicated column, or a full set of dummies "
            "next to an intercept)"
        )
    return float(sv[-1] / sv[0])


def _constant_columns(X):
    """Indices of the non-zero constant columns of X (an intercept first), cheaply.

    Candidates are the columns equal in four sampled rows; only those are compared in full.
    """
    n = X.shape[0]
    rows = X[[0, n // 3, (2 * n) // 3, n - 1]]
    candidates = np.flatnonzero(np.all(rows == rows[0], axis=0) & (rows[0] != 0))
    return [int(j) for j in candidates if np.all(X[:, j] == X[0, j])]


def _format_direction(b, names, rms=None):
    """b (normalised to max |b_j| = 1) as text, leaving out entries whose part of X @ b is negligible."""
    with np.errstate(over="ignore", invalid="ignore"):
        contribution = np.abs(b) * (rms if rms is not None else 1.0)
    if not np.all(np.isfinite(contribution)):
        contribution = np.abs(b)
    keep = contribution > 1e-9 * contribution.max()
    b = b / np.abs(b).max()
    return "[" + ", ".join(f"{n}={v:.3g}" for n, v, ok in zip(names, b, keep) if ok) + "]"


# ----------------------------------------------------------------------------------------------
# standardisation: the fits run on a well-conditioned design Z = X T, the results are mapped back

# A non-constant column is centred (when the constant vector lies in the column space of X) once its
# mean exceeds this many standard deviations: the offset then costs about log10(ratio**2) digits of
# the information matrix, and below it centring would change nothing but the last bits of ordinary fits.
_CENTRE_RATIO = 4.0
# Columns with a root mean square outside [2**-_SAFE_EXPONENT, 2**_SAFE_EXPONENT] are rescaled
# by a power of two (exact), so that X'X can neither overflow nor underflow.
_SAFE_EXPONENT = 100
# Newton on the Gram matrix X'WX is used while the column-normalised design has condition number
# below 1 / sqrt(_GRAM_LAMBDA_MIN) = 1e4 (X'WX then keeps at least 8 of its 16 digits); beyond, the
# fit runs on the orthonormal Z = X R^-1 from one QR of X (as fit_linear does), mapped back by R^-1.
_GRAM_LAMBDA_MIN = 1e-8


def _pow2(v):
    """The power of two nearest to each positive entry of v (1 where v is 0 or not finite).

    Never overflows: the exponent is capped at 1023 (a column with |x| near 1.8e308 gets 2**1023).
    """
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    mant, ex = np.frexp(np.where(ok, v, 1.0))  # v = mant * 2**ex, mant in [0.5, 1)
    ex = np.where(mant >= np.sqrt(0.5), ex, ex - 1)
    return np.where(ok, np.ldexp(1.0, np.clip(ex, -1074, 1023)), 1.0)


def _gram(X):
    G = X.T @ X
    return (G + G.T) / 2


@dataclass(frozen=True)
class _Standardisation:
    r"""The exact linear change of coordinates :math:`Z = X T` (T invertible, k x k) of a fit.

    Since :math:`X\beta = Z\gamma` with :math:`\beta = T\gamma`, the fit on Z maps back as
    ``params = T @ gamma`` and ``cov = T @ cov_gamma @ T.T``: the exact reparametrisation.
    T combines (i) power-of-two column scales (exact), (ii) centring: when the constant vector
    :math:`\mathbf 1 = Xc` lies in the column space (a column of ones, or implied by dummies or by
    columns whose sum is constant), the columns with a large offset m_j become :math:`x_j - m_j\mathbf 1`
    (:math:`T_j = e_j - m_j c`) and one column p with :math:`c_p \ne 0` becomes :math:`\mathbf 1`
    itself (:math:`T_p = c`), and (iii) for an ill-conditioned design, :math:`R^{-1}` from the QR of
    the centred design (then Z is orthonormal).

    ``shift`` (original units) is used only to evaluate :math:`X\beta` without cancellation, as
    :math:`(X - \mathbf 1 m^\top)\beta + m^\top\beta` (an identity for any m). ``const`` is the index
    of a literal constant column of X (or None), ``ones`` the coordinates a of the constant vector in
    Z (:math:`Za = \mathbf 1`; None if it is not in the column space), ``rms`` the root mean squares
    of the columns of X, ``data_tol`` the extra rank tolerance for the rounding of the original entries.
    """

    T: np.ndarray
    shift: np.ndarray
    const: Optional[int] = None
    ones: Optional[np.ndarray] = None
    rms: Optional[np.ndarray] = None
    data_tol: float = 0.0
    active: bool = False

    def matrix(self):
        """T, with params = T @ (params of the fit on Z)."""
        return self.T

    def params(self, gamma):
        if not self.active:
            return gamma
        with np.errstate(over="ignore", invalid="ignore"):
            return self.T @ gamma

    def cov(self, cov, names=None):
        if not self.active:
            _check_finite_cov(cov, names)
            return cov
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            out = self.T @ cov @ self.T.T
        _check_finite_cov(out, names)
        return (out + out.T) / 2


def _check_finite_cov(cov, names):
    """Raise DataError if a variance in the original units is beyond the float64 range (or underflows)."""
    d = np.diag(cov)
    label = lambda idx: ", ".join(str(names[j]) if names is not None else f"x{j}" for j in idx)  # noqa: E731
    bad = ~np.isfinite(d)
    if bad.any():
        raise DataError(
            f"the variance of the coefficient(s) of {label(np.flatnonzero(bad))} exceeds the float64 range (about "
            "1.8e308) in the units of X: those columns are extremely small (or their coefficients, or y, extremely large); "
            "express them in other units (e.g. multiply by 1e100)"
        )
    tiny = d < np.finfo(float).tiny
    if tiny.any():
        raise DataError(
            f"the variance of the coefficient(s) of {label(np.flatnonzero(tiny))} is below the smallest normal "
            "float64 (about 2.2e-308) in the units of X and y, so it cannot be represented (it would be reported as 0): "
            "those columns of X are extremely large, or y is extremely small (a tiny residual variance); express "
            "them in other units (e.g. divide the columns by 1e100, or multiply y by 1e100)"
        )


def _identity_standardisation(k):
    return _Standardisation(np.eye(k), np.zeros(k))


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


def _implied_constant(Z0):
    r"""Coefficients c with :math:`Z_0 c = \mathbf 1` up to the rounding of the data, or None.

    Least squares of the constant vector on the columns (complete orthogonal factorisation, LAPACK
    gelsy: backward stable, so the computed residual is small whenever 1 lies in the column space,
    however ill-conditioned Z0). Accepted when the residual is within the rounding of the terms,
    :math:`\lVert Z_0c - \mathbf 1\rVert \le 8(k+1)\varepsilon(\sum_j |c_j|\lVert z_j\rVert + \sqrt n)`.
    Returns ``(c, residual norm)``.
    """
    n, k = Z0.shape
    norms = np.linalg.norm(Z0, axis=0)
    norms[norms == 0] = 1.0
    try:  # on unit-length columns: else gelsy's rank cut drops the small columns (e.g. dummies next to 1e9 + x)
        c = linalg.lstsq(Z0 / norms, np.ones(n), lapack_driver="gelsy", check_finite=False)[0] / norms
    except (linalg.LinAlgError, ValueError):  # pragma: no cover - LAPACK failure on finite input
        return None
    r = float(np.linalg.norm(Z0 @ c - 1.0))
    bound = 8 * (k + 1) * _EPS * (float(np.abs(c) @ np.linalg.norm(Z0, axis=0)) + np.sqrt(n))
    return (c, r) if r <= bound else None


def _standardise(X, G=None):
    """Choose and apply the standardisation of X. Returns ``(Z, std, G)`` with G = Z'Z.

    Z is X itself (no copy, std the identity) unless a column must be centred or rescaled; then Z is
    one new array. The decisions come from X'X (``G``, if already known), which the rank check needs
    anyway, and the column sums. See :class:`_Standardisation` for the map back.
    """
    n, k = X.shape
    if G is None:
        with np.errstate(over="ignore", invalid="ignore"):
            G = _gram(X)
    Z, s0 = X, np.ones(k)
    if not _safe_gram(G, n, lambda j: X[:, j]):  # |x| beyond 1e30 or below 1e-30: an exact power-of-two rescaling first
        s0 = _pow2(np.max(np.abs(X), axis=0))
        Z = X / s0
        G = _gram(Z)
    rms0 = np.sqrt(np.diag(G) / n)  # of the columns of Z0 = X / s0
    with np.errstate(over="ignore"):
        rms = rms0 * s0
    T = np.eye(k)
    shift = np.zeros(k)
    data_tol = 0.0
    ones = None
    constants = _constant_columns(Z)
    const = constants[0] if constants else None
    if const is not None:
        value = float(Z[0, const])
        mean = G[const] / (value * n)
    else:
        mean = Z.sum(axis=0) / n
    var = np.diag(G) / n - mean**2
    offset = mean**2 > _CENTRE_RATIO**2 * var
    offset[constants] = False
    if const is not None:
        c, p, value, resid = np.eye(k)[const] / value, const, value, 0.0
    elif offset.any() and k > 1:
        # Prefer the constant from the columns without an offset (e.g. dummies): then c has no part
        # on the offset columns, whose error would be multiplied by the offsets when they are centred.
        found = None
        plain = np.flatnonzero(~offset)
        if plain.size:
            found = _implied_constant(Z[:, plain])
            if found is not None:
                c_plain, resid = found
                c = np.zeros(k)
                c[plain] = c_plain
                found = (c, resid)
        if found is None:
            found = _implied_constant(Z)
        if found is None:
            offset[:] = False
        else:
            c, resid = found
            p = int(np.argmax(np.abs(c) * rms0))  # the column contributing most to the constant becomes 1
            value = 1.0
    else:
        offset[:] = False
    if offset.any():
        offset[p] = False
        S = np.flatnonzero(offset)
        m = np.zeros(k)
        if Z is X:
            Z = X.copy()
        if const is None:
            Z[:, p] = value  # the constant vector 1 = Z0 c replaces column p (T_p = c)
            T[:, p] = c * value
        for j in S:
            # Two passes: the mean of values near 1e9 is itself rounded (to ~1e-7), which can be a
            # sizeable part of a small spread; x - m is exact (Sterbenz) and its own mean is accurate.
            col = Z[:, j]  # a view: centred in place
            for part in range(2):
                mj = float(np.mean(col))
                col -= mj
                T[:, j] -= mj * c
                m[j] += mj if part == 0 else 0.0
        shift = m * s0
        natural = rms0 * np.sqrt(n)
        G = _gram(Z)
        centred = np.sqrt(np.diag(G))
        # each original entry is known to a relative eps; the constant vector of an implied intercept
        # only to the residual of Z0 c = 1, which the centred columns inherit times m_j
        rel = max(_EPS, resid / np.sqrt(n))
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(centred > 0, rel * natural / centred, 0.0)[S]
        data_tol = float(4 * np.sqrt(np.sum(delta**2) + (resid / np.sqrt(n)) ** 2))
        ones = np.zeros(k)
        ones[p] = 1.0 / value  # Z e_p = value * 1
    elif const is not None:
        ones = np.eye(k)[const] / value
    if Z is not X:  # a copy exists: make every column's root mean square about 1 (exactly, by 2**e)
        s = _pow2(np.sqrt(np.diag(G) / n))
        Z /= s
        G = G / np.outer(s, s)
        T = T / s
        if ones is not None:
            ones = ones * s
    T = T / s0[:, None]
    active = Z is not X
    std = _Standardisation(T, shift, const, ones, rms, data_tol, active)
    return Z, std, G


def _orthogonalise(Z, R, std):
    r"""Z R^{-1} sqrt(n) (orthonormal columns of length sqrt(n)) and the standardisation extended by it."""
    n, k = Z.shape
    Rinv = linalg.solve_triangular(R, np.eye(k)) * np.sqrt(n)
    Q = Z @ Rinv  # one n x k product; Q'Q = n I up to the rounding of the (backward-stable) QR
    T = std.T @ Rinv
    ones = None if std.ones is None else linalg.solve_triangular(Rinv, std.ones)
    return Q, _Standardisation(T, std.shift, std.const, ones, std.rms, std.data_tol, True)


# ----------------------------------------------------------------------------------------------
# linear algebra on the k x k information matrix


def _weighted_gram(X, w):
    r""":math:`X^\top \operatorname{diag}(w) X`, never forming an n x n matrix.

    Small n: ``X.T @ (X * w[:, None])`` (one n x k temporary). From two blocks of rows on, the sum
    of ``B.T @ B`` over blocks ``B = X[rows] * sqrt(w[rows])``: numpy sends ``B.T @ B`` to BLAS
    syrk (half the flops of a general product, as the result is symmetric) and the block stays in
    cache, so no n x k temporary is made (2-3x faster at n >= 1e5; ``benchmarks/README.md``).
    Signed weights (the observed information of a non-canonical GLM link) are summed blockwise as
    ``B.T @ (B * w)``.
    """
    n, k = X.shape
    if n < 2 * _GRAM_BLOCK:
        H = X.T @ (X * w[:, None])
    elif not w.min() >= 0:
        H = np.zeros((k, k))
        for start in range(0, n, _GRAM_BLOCK):
            B = X[start : start + _GRAM_BLOCK]
            H += B.T @ (B * w[start : start + _GRAM_BLOCK, None])
    else:
        root = np.sqrt(w)
        H = np.zeros((k, k))
        buf = np.empty((_GRAM_BLOCK, k))
        for start in range(0, n, _GRAM_BLOCK):
            rows = min(_GRAM_BLOCK, n - start)
            block = np.multiply(X[start : start + rows], root[start : start + rows, None], out=buf[:rows])
            H += block.T @ block
    return (H + H.T) / 2


def _full_rank_factor(X, names, G=None, data_tol=0.0, std=None, orthogonalise=False):
    r"""Check that X has full column rank; return ``(R, G)`` with :math:`R^\top R = G = X^\top X`.

    Fast path: :math:`G = X^\top X` (one syrk) and its Cholesky factor. With the columns scaled to
    unit length, each entry of the computed G is off by at most about :math:`n\varepsilon`, so its
    eigenvalues by at most :math:`kn\varepsilon`. If the smallest computed eigenvalue exceeds twice
    that, the smallest singular value of the column-normalised X is above
    :math:`\sqrt{kn\varepsilon}`, far above the QR tolerance of :func:`_check_rank`, so the QR
    verdict would be "full rank" too. Otherwise (a zero column, a nearly collinear design) the
    verdict comes from the QR of X: the Gram matrix cannot resolve singular values below about
    :math:`\sqrt{\varepsilon}`. The QR of a tall X costs as much as 6-12 Newton iterations, which is
    why it is not the default.

    With ``orthogonalise=True`` (the GLM fitters) the fast path further requires the smallest
    eigenvalue to exceed ``_GRAM_LAMBDA_MIN`` (condition number of the column-normalised X below
    1e4); for a full-rank X beyond that, it returns ``(R, G, Z, std)`` with the orthonormal
    :math:`Z = X R^{-1}\sqrt n` (whose Gram matrix is :math:`nI`) and ``std`` extended by
    :math:`R^{-1}\sqrt n`, so that Newton's Gram matrices lose no digits to the collinearity.
    """
    n, k = X.shape
    if G is None:
        G = _gram(X)
    d = np.sqrt(np.diag(G))
    floor = max(2 * k * n * _EPS, (2 * data_tol) ** 2, _GRAM_LAMBDA_MIN if orthogonalise else 0.0)
    if np.all(d > 0) and np.all(np.isfinite(G)):
        lam_min = np.linalg.eigvalsh(G / np.outer(d, d))[0]
        if lam_min > floor:
            try:
                R = linalg.cholesky(G)
                return (R, G, X, std) if orthogonalise else (R, G)
            except linalg.LinAlgError:
                pass
    R = np.linalg.qr(X, mode="r")
    rcond = _check_rank(R, n, names, data_tol, std)
    if not orthogonalise:
        return R, G
    if rcond >= np.sqrt(_GRAM_LAMBDA_MIN):
        return R, G, X, std
    if std is None:
        std = _identity_standardisation(k)
    Z, std = _orthogonalise(X, R, std)
    G = _gram(Z)
    return linalg.cholesky(G), G, Z, std


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
# Newton's method with step-halving: the one loop of every fitter (mlelib.glm, mlelib.chunked)

# Fisher scoring on a non-canonical link converges only linearly: after the test first passes,
# polishing steps continue while the decrement still falls by this factor (at most _POLISH_STEPS).
_POLISH_FACTOR = 4.0
_POLISH_STEPS = 30


def _newton_step(g, H, strict=False):
    """Solve H step = g by Cholesky of the diagonally equilibrated H; returns ``(step, g @ step)``.

    If H is not positive definite: least squares, or None with ``strict=True``. A non-finite g or H
    (weights that overflowed far from the optimum) gives a NaN step and an infinite decrement.
    """
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
        return None if strict else (np.full_like(g, np.nan), np.inf)
    d = np.sqrt(np.diag(H))
    if not np.all(np.isfinite(d) & (d > 0)):
        if strict:
            return None
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        return step, float(g @ step)
    Hs = H / np.outer(d, d)
    try:
        step = linalg.cho_solve(linalg.cho_factor(Hs), g / d) / d
    except linalg.LinAlgError:
        if strict:
            return None
        step = np.linalg.lstsq(Hs, g / d, rcond=None)[0] / d
    return step, float(g @ step)


def _is_positive_definite(H):
    d = np.sqrt(np.abs(np.diag(H)))
    if not np.all(np.isfinite(d) & (d > 0)) or np.any(np.diag(H) <= 0):
        return False
    try:
        linalg.cho_factor(H / np.outer(d, d))
    except linalg.LinAlgError:
        return False
    return True


class _DesignModel:
    r"""A log-likelihood :math:`\ell(Z\beta + o)` on an in-memory design, for :func:`_newton`.

    ``objective(eta)`` is the log-likelihood (up to a constant); ``working(eta)`` returns the score
    residuals r (score :math:`Z^\top r`) and the weights w of the information :math:`Z^\top WZ`
    used for the step, or ``(r, w, w_fisher)`` when w are the observed weights of a non-canonical
    link: where they do not give a positive definite matrix, the expected (Fisher) weights do.
    ``H0``: the information at the first point evaluated, if known (saves one Gram product).
    """

    def __init__(self, Z, objective, working, offset=None, H0=None, certificate=None, floor=None):
        self.Z, self.objective, self.working, self.offset = Z, objective, working, offset
        self._floor = floor
        self.H0, self._certificate = H0, certificate
        self.eta, self._beta, self._value = None, None, None

    def linear_predictor(self, beta):
        r""":math:`Z\beta + o` (no new product when beta is the current point)."""
        if beta is self._beta:
            return self.eta
        eta = self.Z @ beta
        if self.offset is not None:
            eta += self.offset
        return eta

    def value(self, beta):
        """The log-likelihood at beta (-inf outside the parameter space); the point becomes current."""
        if beta is not self._beta:
            self.eta = self.linear_predictor(beta)
            self._beta, self._value = beta, self.objective(self.eta)
        return self._value

    def floor(self):
        """The decrement that the rounding of the data alone produces at the current point (0 if negligible)."""
        return 0.0 if self._floor is None else self._floor(self.eta)

    def forget(self):
        """Drop the cached point (after the objective itself changed)."""
        self._beta, self._value = None, None

    def derivatives(self):
        """Score and information at the current point."""
        out = self.working(self.eta)
        g = self.Z.T @ out[0]
        if self.H0 is not None:
            H, self.H0 = self.H0, None
            return g, H
        H = _weighted_gram(self.Z, out[1])
        if len(out) > 2 and out[2] is not None and not _is_positive_definite(H):
            H = _weighted_gram(self.Z, out[2])
        return g, H

    def certificate(self):
        """True when the current point itself proves that no finite MLE exists."""
        return self._certificate is not None and self._certificate(self.eta)


def _newton(model, beta, tol, maxiter, polish=False):
    r"""Maximise ``model.value`` by Newton's method with step-halving: the one loop of mlelib's fitters.

    ``model`` (e.g. :class:`_DesignModel`; :mod:`mlelib.chunked` evaluates each point in one pass over
    chunked data) has ``value(beta)`` (the log-likelihood; the point becomes current),
    ``derivatives()`` (score g and information H at the current point) and ``certificate()``.
    Convergence: half the squared Newton decrement, :math:`g^\top H^{-1} g / 2` (the predicted
    gain of one more Newton step, in log-likelihood units: scale-free), is <= `tol` (or below
    ``model.floor()``, the decrement that the rounding of the data alone produces); one more step
    then polishes the estimate (``polish=True``: more steps while the decrement still falls by
    ``_POLISH_FACTOR``, for linearly convergent Fisher scoring), and the test is checked again at the
    estimate returned. If ``certificate()`` is true at an iterate (a proof that no finite MLE
    exists), the iteration stops there with reason "certificate".
    Returns ``(beta, ll, H, niter, converged, reason, dec, last_step)``.
    """
    ll = model.value(beta)
    g, H = model.derivatives()
    niter, converged, reason, dec = 0, False, "", np.inf
    last_step = np.zeros_like(beta)
    extra = 0
    for _ in range(maxiter + _POLISH_STEPS + 1):
        step, dec = _newton_step(g, H)
        if not np.isfinite(dec):
            reason = "the Newton step is not finite (singular information matrix)"
            break
        small = dec / 2 <= max(tol, model.floor())
        if niter >= maxiter and not small:
            reason = f"reached maxiter={maxiter} Newton iterations"
            break
        # step-halving: accept the first t = 1, 1/2, 1/4, ... that increases the log-likelihood
        # enough (Armijo), allowing for rounding in the sum near the optimum
        slack = 1e-12 * (1.0 + abs(ll))
        t, accepted = 1.0, False
        for _ in range(_MAX_HALVINGS):
            beta_new = beta + t * step
            ll_new = model.value(beta_new)
            if np.isfinite(ll_new) and ll_new >= ll + 1e-4 * t * dec - slack:
                accepted = True
                break
            t /= 2
        if accepted:
            niter += 1
            last_step = t * step
            beta, ll = beta_new, ll_new
            g, H = model.derivatives()
            if model.certificate():
                reason = "certificate"
                break
        if small:
            converged = True
            if accepted and polish and extra < _POLISH_STEPS:
                new = _newton_step(g, H)[1]
                if np.isfinite(new) and new <= dec / _POLISH_FACTOR:
                    extra += 1
                    continue
            break
        if not accepted:
            reason = "step-halving could not increase the log-likelihood"
            break
    if converged:
        # the claim is checked at the estimate returned (after the polishing step), not before it
        _, dec = _newton_step(g, H)
        if not (np.isfinite(dec) and dec / 2 <= max(tol, model.floor())):
            converged = False
            reason = "the Newton decrement at the final estimate exceeds the tolerance"
    return beta, ll, H, niter, converged, reason, dec, last_step


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


def _separation(X, y):
    """Find a separating direction for logistic data, or return None.

    Solves  max sum_i s_i x_i'b  s.t.  s_i x_i'b >= 0 (all i), -1 <= b_j <= 1  with s = 2y - 1,
    on the column-scaled design. The optimum is 0 iff the classes overlap (a finite MLE exists,
    given full rank); otherwise b is a direction along which the log-likelihood increases forever.
    Returns (b in the original units, kind, number of observations on the boundary).
    """
    return _separation_signs(X, 2.0 * y - 1.0)


def _separation_signs(X, s):
    """The linear program of :func:`_separation` for rows X with signs s (+1 success, -1 failure)."""
    scale = np.max(np.abs(X), axis=0)
    A = -(s[:, None] * (X / scale))
    k = X.shape[1]
    res = optimize.linprog(A.sum(axis=0), A_ub=A, b_ub=np.zeros(s.size), bounds=[(-1, 1)] * k, method="highs")
    if res.status != 0 or -res.fun <= _LP_OBJECTIVE_TOL:
        return None
    b = res.x
    margins = -(A @ b)
    on_boundary = int(np.sum(margins <= 1e-7 * np.abs(margins).max()))
    kind = "complete"
    if on_boundary > 0:
        # is there a direction with every margin strictly positive?  max t s.t. s_i x_i'b >= t
        A2 = np.column_stack([A, np.ones(s.size)])
        c2 = np.zeros(k + 1)
        c2[-1] = -1.0
        res2 = optimize.linprog(
            c2, A_ub=A2, b_ub=np.zeros(s.size), bounds=[(-1, 1)] * k + [(0, 1)], method="highs"
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


def _degenerate_labels_message(n, label, const_name, grouped=False):
    """All binomial responses at one end, with a constant column: no finite MLE (one wording everywhere)."""
    what = f"all {n} responses are {'successes' if label else 'failures'}" if grouped else f"all {n} labels are {label}"
    return (
        f"{what}: the MLE of P(y = 1) is {label}, which no finite linear predictor reaches, so the coefficient of "
        f"the constant column {const_name} tends to {'+' if label else '-'}inf (complete separation by the "
        "intercept); no finite MLE exists"
    )


def _zero_counts_message(n, const_name):
    """All counts zero, with a constant column: no finite MLE (one wording everywhere)."""
    return (
        f"all {n} counts are zero: the MLE of the mean is 0, which exp(X @ beta) never reaches, so the "
        f"coefficient of the constant column {const_name} tends to -inf; no finite MLE exists"
    )


def _raise_separation(found, y, names, std=None, grouped=False):
    """Raise SeparationError for the direction ``found`` = (b, kind, rows on the boundary).

    ``grouped``: binomial counts, whose LP rows are one success row and/or one failure row per observation.
    """
    b, kind, on_boundary = found
    if std is not None:  # a direction found on the standardised design, in the original units
        b = std.params(b)
    n = y.size
    direction = _format_direction(b, names, None if std is None else std.rms)
    one, zero, rows = ("success", "failure", "success/failure rows") if grouped else ("y = 1", "y = 0", "observations")
    if kind == "complete":
        detail = (
            f"complete separation: the hyperplane X @ b = 0 with b = {direction} has every {one} on one side "
            f"and every {zero} on the other"
        )
    else:
        detail = (
            f"quasi-complete separation: with b = {direction}, X @ b >= 0 for every {one} and X @ b <= 0 for "
            f"every {zero}, with {on_boundary} of {n} {rows} on the boundary X @ b = 0; the fitted "
            f"probabilities of the other {n - on_boundary} are pushed towards 0 or 1"
        )
    raise SeparationError(
        f"no finite MLE: the classes show {detail}. Moving the coefficients along b increases the "
        "log-likelihood forever (towards its supremum, never attained), so Newton's method would return "
        "ever larger coefficients. Remedies: drop or merge the separating regressor(s), collect more data, "
        "or use a penalised fit (penalty='firth': Firth's bias-reduced logistic regression, finite under "
        "separation)"
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
        If y lies in the column space of X up to the rounding of the data, e.g. when n = k: then
        :math:`\hat\sigma^2 = 0` and the likelihood is unbounded. "Up to rounding" means a residual
        norm at most :math:`2\varepsilon(\lVert y\rVert + \sum_j |\hat\beta_j|\lVert x_j\rVert)`
        (a constant column left out of the sum): each entry is known to a relative
        :math:`\varepsilon/2`, so a residual that small could be rounding alone.

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
    # One Householder QR of the augmented [X | y] (see _qr_augmented). Its R also gives X'X = R'R,
    # from which _standardise decides (as for the GLM fitters) whether X must be centred or rescaled;
    # y is centred too when the constant vector lies in the column space and y's mean exceeds 4 of its
    # standard deviations. Only then is the QR repeated on the standardised [Z | y~] (one more copy).
    # Entries near the float64 limits can overflow inside LAPACK's Householder updates: then (R not
    # finite) the QR is redone on the standardised design, whose columns are rescaled by powers of two.
    ymax = float(np.max(np.abs(ya)))
    with np.errstate(over="ignore", invalid="ignore"):
        R_aug, _ = _qr_augmented(Xa, ya)
        G = R_aug[:k, :k].T @ R_aug[:k, :k]
        G = (G + G.T) / 2
    if np.all(np.isfinite(R_aug)):
        Z, std, _ = _standardise(Xa, G)
    else:
        Z, std, _ = _standardise(Xa)
    sy0 = float(_pow2(ymax)) if not (2.0**-_SAFE_EXPONENT < ymax < 2.0**_SAFE_EXPONENT) else 1.0
    y0 = ya / sy0 if sy0 != 1.0 else ya
    m0 = float(np.mean(y0))
    centre_y = std.ones is not None and m0**2 > _CENTRE_RATIO**2 * (float(np.mean(y0 * y0)) - m0**2)
    standardised = std.active or centre_y or sy0 != 1.0 or not np.all(np.isfinite(R_aug))
    m_y = m0 * sy0 if centre_y else 0.0
    s_y = 1.0
    if standardised:
        ycol = (ya - m_y) / sy0
        s_y = np.float64(sy0) * _pow2(np.linalg.norm(ycol) / np.sqrt(n))  # numpy float: overflows to inf, never raises
        R_aug, _ = _qr_augmented(Z, (ya - m_y) / s_y)
    del Z
    R, qty = R_aug[:k, :k], R_aug[:k, k]
    _check_rank(R, n, names, std.data_tol, std)
    gamma = linalg.solve_triangular(R, qty)
    if n == k:
        rss = 0.0
    elif not standardised:
        resid = ya - Xa @ gamma
        rss = float(resid @ resid)
    else:
        rss = float(R_aug[k, k]) ** 2  # |R_aug[k, k]| is the norm of the residual of the standardised problem
    if standardised:
        # y = m_y 1 + s_y y~, y~ = Z gamma~ + e and 1 = Z a:  y = Z (s_y gamma~ + m_y a) + s_y e
        gamma_y = s_y * gamma
        if centre_y:
            gamma_y = gamma_y + m_y * std.ones
        beta = std.params(gamma_y)
    else:
        beta = gamma
    # A residual below the rounding of the data themselves is zero: each y_i and x_ij is known to a
    # relative eps/2, so X beta - y is known to about eps (|y| + sum_j |beta_j| |x_j|) in norm (2x that
    # here); a constant column is left out, as its rounding is the same in every row and absorbed by its
    # coefficient. Compared in the units of y / s_y (no overflow), column by column, so offsets and
    # units leave the verdict alone (the rounding of a column with offset m is eps |m|, not eps |x - m|).
    rounding_rms = std.rms.copy()
    if std.const is not None:
        rounding_rms[std.const] = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        size = float(np.linalg.norm(ya / s_y)) + float(np.abs(beta) @ (rounding_rms / s_y)) * np.sqrt(n)
    rounding = 2 * _EPS * size
    if n == k or (np.isfinite(size) and np.sqrt(rss) <= rounding):
        with np.errstate(over="ignore"):
            rss_y = rss if not standardised else float(rss * s_y**2)
        why = f"n = k = {n}: the fit interpolates the data" if n == k else "y lies in the column space of X"
        raise NoFiniteMLEError(
            f"{why} (residual sum of squares {rss_y:.3g}, zero up to rounding), so sigma2_hat = RSS/n = 0 "
            "and the Gaussian log-likelihood is unbounded above: no finite MLE of sigma2 exists "
            "(need noise, or more observations than columns)"
        )
    Rinv = linalg.solve_triangular(R, np.eye(k))
    cov = (rss / n) * (Rinv @ Rinv.T)
    with np.errstate(over="ignore"):
        cov = std.cov(cov * s_y**2, names) if standardised else std.cov(cov, names)
        if standardised:
            rss = float(rss * s_y**2)
    if standardised:
        if not np.isfinite(rss):
            raise DataError(
                "the residual sum of squares exceeds the float64 range (about 1.8e308) in the units of y: "
                "express y in other units (e.g. divide by 1e100)"
            )
    sigma2 = rss / n
    loglik = -0.5 * n * (np.log(2 * np.pi * sigma2) + 1.0)
    x_shift = std.shift

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


def _qr_augmented(Z, ycol):
    r"""R of the Householder QR of :math:`[Z \mid y]`, shape (k + 1, k + 1).

    One column-major copy of the data (LAPACK wants that storage), factorised in place by LAPACK's
    geqrf: scipy's ``qr(mode="r")`` would return an n x (k+1) triangle of zeros, and the thin Q
    is never formed.
    """
    n, k = Z.shape
    aug = np.empty((n, k + 1), order="F")
    aug[:, :k], aug[:, k] = Z, ycol
    qr, _, _, info = linalg.lapack.dgeqrf(aug, overwrite_a=True)
    if info != 0:  # pragma: no cover - only for invalid arguments, which cannot happen here
        raise RuntimeError(f"LAPACK dgeqrf failed with info = {info}")
    return np.triu(qr[: k + 1]), None


def fit_logistic(X, y, *, tol=1e-10, maxiter=100, param_names=None, penalty=None):
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
    penalty : None or "firth", optional
        ``"firth"``: Firth's bias-reduced logistic regression, the maximiser of
        :math:`\ell(\beta) + \tfrac12\log\det I(\beta)` (finite even under separation); the
        result is then ``fit_glm(X, y, "binomial", penalty="firth")``'s :class:`~mlelib.GLMResult`.

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

    It is an instance of the GLM core of :func:`~mlelib.fit_glm` (binomial family, logit link):
    one Newton loop for every fitter of the library, with a kernel that needs one ``exp`` per iterate.

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
    from .families import Binomial
    from .glm import _fit_core, fit_glm

    if penalty is not None:
        if not (isinstance(penalty, str) and penalty == "firth"):
            raise DataError(f"penalty must be None or 'firth' (Firth's bias-reduced logistic regression), got {penalty!r}")
        if _is_dask(X) or _is_dask(y):
            raise DataError("penalty='firth' is not available for dask arrays: fit it in memory")
        return fit_glm(X, y, "binomial", penalty="firth", tol=tol, maxiter=maxiter, param_names=param_names)
    if _is_dask(X) or _is_dask(y):  # chunked data: map-reduce Newton (mlelib.chunked)
        return fit_logistic_chunked(X, y, tol=tol, maxiter=maxiter, param_names=param_names)
    tol, maxiter = _check_options(tol, maxiter)
    Xa, ya, names = _prepare(X, y, param_names)
    check_support(ya, (ya == 0) | (ya == 1), "Logistic-regression", "labels 0 or 1 (booleans are accepted)", name="y")
    # the GLM core (mlelib.glm): Newton, the rank check and the separation LP all run on the
    # well-conditioned Z (X itself unless a column has a large offset or an extreme scale)
    fit = _fit_core(Xa, ya, None, None, Binomial(), names, tol=tol, maxiter=maxiter)
    if not fit.converged:
        _warn_not_converged("fit_logistic", fit.reason, fit.dec, tol)
    s = 2.0 * ya - 1.0
    shift = fit.std.shift

    def negloglik(params):
        eta = _shifted_matvec(Xa, shift, np.asarray(params, dtype=float))
        return float(np.sum(np.logaddexp(0.0, -s * eta)))

    return MLEResult(
        params=fit.std.params(fit.gamma),
        cov=fit.std.cov(_inverse_information(fit.H), names),
        loglik=fit.objective,
        nobs=Xa.shape[0],
        converged=fit.converged,
        param_names=names,
        model="logistic regression",
        niter=fit.niter,
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
        If a count is negative, not an integer or above :math:`2^{53}` (where float64 stops
        representing every integer), X or y contain NaN/inf, shapes do not match, the input is empty
        or X is not 2-D, or X is rank-deficient.
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

    The log-likelihood is evaluated without cancellation (counts of 1e12 make :math:`y_i\eta_i` and
    :math:`e^{\eta_i}` both about 3e13 for a difference of order 1) as

    .. math::

        \ell = -\sum_i y_i\,\varphi(\eta_i - \log y_i) - \sum_{y_i = 0} e^{\eta_i}
               + \sum_i \bigl[y_i\log y_i - y_i - \log y_i!\bigr], \qquad
        \varphi(t) = e^t - 1 - t \ge 0,

    minus half the deviance plus the saturated log-likelihood, with :math:`\varphi` via ``expm1``
    and the last sum by Stirling's series from :math:`y_i = 20` on; step-halving uses the first two
    sums. Newton starts from one weighted least-squares step with :math:`\mu_0 = (y + \bar y)/2` and
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
    from .families import Poisson
    from .glm import _fit_core

    if _is_dask(X) or _is_dask(y):  # chunked data: map-reduce Newton (mlelib.chunked)
        return fit_poisson_chunked(X, y, tol=tol, maxiter=maxiter, param_names=param_names)
    tol, maxiter = _check_options(tol, maxiter)
    Xa, ya, names = _prepare(X, y, param_names)
    check_support(ya, is_count(ya), "Poisson", "non-negative integer counts (2.0 is fine, 2.5 is not)", name="y")
    _check_max_count(ya.max())
    fit = _fit_core(Xa, ya, None, None, Poisson(), names, tol=tol, maxiter=maxiter)  # as fit_logistic
    if not fit.converged:
        _warn_not_converged("fit_poisson", fit.reason, fit.dec, tol)
    kernel, shift = fit.kernel, fit.std.shift
    saturated = kernel.saturated

    def negloglik(params):
        eta = _shifted_matvec(Xa, shift, np.asarray(params, dtype=float))
        return -(kernel.objective(eta) + saturated)

    return MLEResult(
        params=fit.std.params(fit.gamma),
        cov=fit.std.cov(_inverse_information(fit.H), names),
        loglik=fit.objective + saturated,
        nobs=Xa.shape[0],
        converged=fit.converged,
        param_names=names,
        model="Poisson regression (log link)",
        niter=fit.niter,
        negloglik=negloglik,
    )


_MAX_COUNT = 2.0**53


def _check_max_count(ymax):
    """Refuse counts above 2**53 (one message for fit_poisson, fit_glm and the chunked path)."""
    if ymax > _MAX_COUNT:
        raise DataError(
            f"y contains the count {ymax:.6g}, above 2**53 (about 9.0e15), where float64 no longer "
            "represents every integer (nor can it hold the information matrix for long): counts must be "
            "<= 2**53; for such large counts use a continuous model, e.g. fit_linear on log counts"
        )


# Stirling's series for y log y - y - log y! = -log(2 pi y)/2 - 1/(12 y) + 1/(360 y^3) - ...: from
# y = 20 on, the terms kept leave an error below 2e-15 (the next is 1/(1188 y^9)).
_STIRLING_FROM = 20.0


def _poisson_saturated_loglik(y):
    r""":math:`\sum_i [y_i\log y_i - y_i - \log y_i!]` (0 log 0 = 0), the saturated Poisson log-likelihood.

    Each term is small (about :math:`-\tfrac12\log(2\pi y_i)`) although its parts are large (1e13 for
    counts of 1e12), so it is evaluated without cancellation: directly below ``_STIRLING_FROM``, by
    Stirling's series above.
    """
    small = y < _STIRLING_FROM
    ys = y[small]
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(ys > 0, ys * np.log(np.where(ys > 0, ys, 1.0)), 0.0) - ys - special.gammaln(ys + 1.0)
    yl = y[~small]
    inv = 1.0 / yl
    inv2 = inv * inv
    series = -0.5 * np.log(2 * np.pi * yl) - inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    return float(np.sum(direct) + np.sum(series))


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

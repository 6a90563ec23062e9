r"""The generic fitter: maximum likelihood by numerical optimisation of a negative log-likelihood.

:func:`fit` minimises a user-supplied :math:`-\ell(\theta)` with ``scipy.optimize.minimize``,
optionally on a transformed ("working") scale that makes a bounded parameter unbounded
(:math:`\eta = \log\sigma`, :math:`\eta = \operatorname{logit} p`), optionally from several starting
points, then checks the answer (gradient and Hessian at the optimum) and returns an
:class:`mlelib.MLEResult` on the natural scale with standard errors from the observed information.
"""

import warnings

import numpy as np
from scipy import linalg, optimize, special

from ._validate import _show, to_float, as_parameter_vector, check_callable, positive_int, real_output, safe_negloglik
from .errors import DataError
from .numdiff import numerical_gradient, numerical_hessian
from .results import MLEResult

__all__ = ["fit", "TRANSFORMS"]

_NO_GRADIENT = {"Nelder-Mead", "Powell"}
_METHODS = ("BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "Powell")
# scipy's defaults stop too early for the Newton-decrement check (tol 1e-8 on the log-likelihood)
_DEFAULT_OPTIONS = {
    "BFGS": {"gtol": 1e-8},
    "L-BFGS-B": {"gtol": 1e-9, "ftol": 1e-14},
    "CG": {"gtol": 1e-8},
    "Nelder-Mead": {"xatol": 1e-8, "fatol": 1e-11, "maxfev": 20000},
    "Powell": {"xtol": 1e-8, "ftol": 1e-12},
}


_SOLVERS = {
    "BFGS": "_minimize_bfgs",
    "L-BFGS-B": "_minimize_lbfgsb",
    "CG": "_minimize_cg",
    "Nelder-Mead": "_minimize_neldermead",
    "Powell": "_minimize_powell",
}
# arguments of the scipy solvers that fit sets itself (or that are not options at all)
_NOT_OPTIONS = {"fun", "x0", "args", "jac", "hess", "hessp", "callback", "bounds", "constraints"}
# scipy 1.17's options, used if its private solver functions cannot be inspected
_FALLBACK_OPTIONS = {
    "BFGS": "gtol norm eps maxiter disp return_all finite_diff_rel_step xrtol c1 c2 hess_inv0 workers",
    "L-BFGS-B": "disp maxcor ftol gtol eps maxfun maxiter iprint maxls finite_diff_rel_step workers",
    "CG": "gtol norm eps maxiter disp return_all finite_diff_rel_step c1 c2 workers",
    "Nelder-Mead": "maxiter maxfev disp return_all initial_simplex xatol fatol adaptive",
    "Powell": "xtol ftol maxiter maxfev disp direc return_all",
}


def _valid_options(method):
    """The option names ``scipy.optimize.minimize(method=method)`` understands."""
    import inspect

    try:
        from scipy.optimize import _minimize as solvers

        params = inspect.signature(getattr(solvers, _SOLVERS[method])).parameters
        names = {p for p, v in params.items() if v.default is not inspect.Parameter.empty} - _NOT_OPTIONS
        if names:
            return names
    except (ImportError, AttributeError, TypeError, ValueError):
        pass
    return set(_FALLBACK_OPTIONS[method].split())


def _check_options(options, method):
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(
            f"options must be a dict of scipy.optimize.minimize options, e.g. {{'maxiter': 200}}; got {_show(options)}"
        )
    valid = _valid_options(method)
    unknown = [key for key in options if key not in valid]
    if unknown:
        raise ValueError(
            f"options has key(s) {', '.join(repr(u) for u in unknown)} that method {method!r} does not know "
            f"(scipy would ignore them silently); valid: {', '.join(sorted(valid))}"
        )
    for key, value in options.items():
        _check_option_value(key, value, method)
    return dict(options)


_INT_OPTIONS = {"maxiter", "maxfev", "maxfun", "maxcor", "maxls"}
_POSITIVE_OPTIONS = {"gtol", "ftol", "xtol", "xatol", "fatol", "eps", "xrtol", "finite_diff_rel_step", "norm"}
_UNIT_OPTIONS = {"c1", "c2"}
_BOOL_OPTIONS = {"disp", "return_all", "adaptive"}


def _check_option_value(key, value, method):
    """A clear error for an option value of the wrong type (scipy's own is a bare TypeError deep inside)."""
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    where = f"options[{key!r}] (method {method!r})"
    if key in _INT_OPTIONS:
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value > 0):
            raise ValueError(f"{where} must be a positive integer; got {_show(value)}")
    elif key in _POSITIVE_OPTIONS and not (key == "finite_diff_rel_step" and value is None):
        if key in ("eps", "finite_diff_rel_step") and isinstance(value, (list, tuple, np.ndarray)):
            arr = np.asarray(value)  # one step per parameter is allowed for these
            if not (arr.dtype.kind in "iuf" and arr.ndim == 1 and np.all(arr > 0)):
                raise ValueError(f"{where} must be a positive number or a 1-D array of them; got {_show(value)}")
        elif not (number and value > 0 and not np.isnan(value)):
            raise ValueError(f"{where} must be a positive number; got {_show(value)}")
    elif key in _UNIT_OPTIONS:
        if not (number and 0 < value < 1):
            raise ValueError(f"{where} must be a number in (0, 1); got {_show(value)}")
    elif key in _BOOL_OPTIONS:
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{where} must be True or False; got {_show(value)}")
    elif key == "iprint":
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool)):
            raise ValueError(f"{where} must be an integer; got {_show(value)}")
    elif key == "workers":
        raise ValueError(
            f"{where} is not supported by fit: the negative log-likelihood is wrapped in a local function "
            "(transforms, checks) that cannot be sent to worker processes; leave it out (or pass an analytic "
            "grad, which makes finite differences, the only use of workers, unnecessary)"
        )


def _expit_derivative(eta):
    p = special.expit(eta)
    return p * (1 - p)


# name -> (to working scale, to natural scale, d natural / d working, domain test, domain text)
_LOG = (np.log, np.exp, np.exp, lambda t: t > 0, "> 0")
_LOGIT = (special.logit, special.expit, _expit_derivative, lambda t: (t > 0) & (t < 1), "in (0, 1)")
_IDENTITY = (lambda t: t, lambda e: e, np.ones_like, np.isfinite, "finite")
_ALIASES = {None: _IDENTITY, "identity": _IDENTITY, "log": _LOG, "positive": _LOG, "logit": _LOGIT, "unit": _LOGIT}

#: The transform names :func:`fit` accepts, with the working parameter each uses.
TRANSFORMS = {
    None: "theta itself (unbounded parameter)",
    "identity": "theta itself (unbounded parameter)",
    "log": "eta = log(theta), for theta > 0",
    "positive": "eta = log(theta), for theta > 0",
    "logit": "eta = log(theta / (1 - theta)), for 0 < theta < 1",
    "unit": "eta = log(theta / (1 - theta)), for 0 < theta < 1",
}


class _Transform:
    """Per-parameter maps between the natural scale theta and the working scale eta."""

    def __init__(self, spec, k):
        if spec is None or isinstance(spec, str):
            spec = [spec] * k
        spec = list(spec)
        if len(spec) != k:
            raise DataError(f"transform has {len(spec)} entries for {k} parameters; give one per parameter or one name")
        for s in spec:
            if s not in _ALIASES:
                names = ", ".join(repr(n) for n in TRANSFORMS)
                raise DataError(f"unknown transform {s!r}; valid: {names}")
        self.spec = spec
        self.parts = [_ALIASES[s] for s in spec]

    def _apply(self, which, v):
        return np.array([p[which](np.float64(vi)) for p, vi in zip(self.parts, v)], dtype=float)

    def to_working(self, theta):
        with np.errstate(divide="ignore"):
            return self._apply(0, theta)

    def to_natural(self, eta):
        with np.errstate(over="ignore"):
            return self._apply(1, eta)

    def jacobian(self, eta):
        """d theta_i / d eta_i (the transforms act coordinate by coordinate)."""
        with np.errstate(over="ignore"):
            return self._apply(2, eta)

    def check_domain(self, theta):
        for i, (s, p) in enumerate(zip(self.spec, self.parts)):
            if not (np.isfinite(theta[i]) and p[3](theta[i])):
                raise DataError(
                    f"x0[{i}] = {theta[i]:g} is outside the domain of transform {s!r}: it must be {p[4]}"
                )


def _real(raw, name):
    """A user callable's output as a float array: complex refused by real_output, other junk by name."""
    try:
        return real_output(raw, name)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{name} must return real numbers; it returned {_show(raw)} ({exc})") from None


def _check_x0(negloglik, theta0, grad, tr):
    tr.check_domain(theta0)
    value = _real(negloglik(theta0.copy()), "negloglik")
    if value.size != 1:
        raise DataError(f"negloglik must return a scalar, got an array of shape {value.shape} at x0")
    if not np.isfinite(value):
        raise DataError(
            f"negloglik is not finite at x0 = {theta0.tolist()} (got {float(value.reshape(()))}); "
            "start inside the parameter space, where the likelihood is positive"
        )
    if grad is not None:
        g0 = _real(grad(theta0.copy()), "grad")
        if g0.shape != theta0.shape or not np.all(np.isfinite(g0)):
            raise DataError(
                f"grad(x0) must be a finite array of shape {theta0.shape}, got {g0.tolist()} of shape {g0.shape}"
            )
    return theta0


def _starts(eta0, starts, n_starts, spread, rng, tr):
    points = [eta0]
    if starts is not None:
        arr = to_float(starts, "starts")
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != eta0.size:
            raise DataError(f"starts must have shape (m, {eta0.size}), got {np.shape(starts)}")
        for row in arr:
            tr.check_domain(row)
            points.append(tr.to_working(row))
    n_starts = positive_int(n_starts, "n_starts", what="the total number of starts")
    extra = int(n_starts) - len(points)
    if extra > 0:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"n_starts={n_starts} asks for {extra} random start(s); pass rng=np.random.default_rng(seed)"
            )
        points.extend(eta0 + spread * rng.standard_normal((extra, eta0.size)))
    return points


def _minimize(F, dF, eta, method, options):
    jac = None if method in _NO_GRADIENT else (dF if dF is not None else "3-point")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = optimize.minimize(F, eta, jac=jac, method=method, options=options)
    res.caught = [str(w.message) for w in caught]
    return res


_PD_RTOL = 1e-8  # smallest eigenvalue of the unit-diagonal Hessian below this: "not positive definite"
_WEAK = 1e-6  # ... below this the numerical Hessian's rounding matters: F's own curvature is measured there
_FLAT_SD = 100.0  # working-scale standard error above which a log/logit parameter is "not determined"


_RISE_MIN = 0.05  # a maximum must fall by at least this (of the quadratic 0.5) at one standard error


def _derivatives(F, dF, eta):
    g = dF(eta) if dF is not None else numerical_gradient(F, eta)
    return np.asarray(g, dtype=float), numerical_hessian(F, eta)


def _inv_pd(H):
    """Inverse of a positive definite H, equilibrated to unit diagonal first (units do not matter)."""
    d = np.sqrt(np.diag(H))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        inv = linalg.inv(H / np.outer(d, d)) / np.outer(d, d)
    return 0.5 * (inv + inv.T)


def _newton_decrement(g, H):
    d = np.sqrt(np.diag(H))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)  # conditioning is judged by the checks
        return 0.5 * float((g / d) @ linalg.solve(H / np.outer(d, d), g / d, assume_a="pos"))


def _one_se_probe(F, eta, H):
    """F at one standard error either side of eta along each principal direction of H.

    For a direction d with d'Hd = 1 a quadratic maximum falls by exactly 0.5; returns the smallest
    observed rise, and the point with the lowest F found (which may beat eta).
    """
    f0 = F(eta)
    if not (np.all(np.isfinite(H)) and np.all(np.diag(H) > 0)):
        return np.nan, None
    d = np.sqrt(np.diag(H))
    lam, U = np.linalg.eigh(H / np.outer(d, d))
    if not lam.min() > 0:
        return np.nan, None
    worst, best_pt, best_val = np.inf, None, f0
    for j in range(lam.size):
        step = U[:, j] / d / np.sqrt(lam[j])
        for sign in (1.0, -1.0):
            pt = eta + sign * step
            val = F(pt)
            rise = val - f0
            worst = min(worst, rise)
            if val < best_val:
                best_pt, best_val = pt, val
    return worst, best_pt


_SMOOTH_BAND = (0.5, 2.0)  # curvature over a fraction t of a standard error, relative to H's, must lie here
# 1/8 down to 1/32768 of a standard error in steps of sqrt(8): a kink's ratio grows like 1/t along it
_SMOOTH_FRACTIONS = tuple(0.125 * 8.0 ** (-k / 2) for k in range(9))
# tried only where none of the above is resolved (eta or F too large for such small steps)
_COARSE_FRACTIONS = (1.0, 0.5, 0.25)
_TREND_MIN = 0.02  # a change of the ratio between neighbouring steps below this is rounding, not a trend


_SIGNS = np.array([[1, 1, -1, 1, -1, -1, 1, -1], [1, -1, 1, 1, -1, 1, -1, -1], [1, -1, -1, -1, 1, 1, 1, -1]])


def _value_noise(F, eta, f0):
    """The rounding noise of a second difference of F at eta, measured: F's value is rounded not only
    to eps |F| but also inside F (a sum of terms b0 + b1 x with b0 ~ -b1 x cancels, offset covariates),
    which eps |F| does not see. Symmetric second differences over 8 ulps of eta (whose true value is
    negligible) show it."""
    noise = 0.0
    for signs in _SIGNS:
        delta = 8 * np.finfo(float).eps * np.abs(eta) * np.resize(signs, eta.size)
        fp, fm = F(eta + delta), F(eta - delta)
        if np.isfinite(fp) and np.isfinite(fm):
            noise = max(noise, abs(fp + fm - 2 * f0))
    return noise


def _second_differences(F, eta, f0, u, fractions, noise=0.0, basis=None, g=None):
    """[F(eta + t u) + F(eta - t u) - 2 F(eta)] / t^2 for each t, and whether rounding leaves it meaningful
    (its rounding, eps |F| or the measured `noise` of a second difference, below about 1e-3 of it).

    With ``basis = (d, lam, U)``, the equilibration and eigen-decomposition H / dd' = U diag(lam) U'
    (for which u'Hu = 1), and the gradient `g`, the rounding of the points eta +- t u themselves is
    accounted for exactly: with the displacements actually made, s+ = (eta + t u) - eta and
    s- = eta - (eta - t u) (exact in floating point), the ratio is
    [F(eta + s+) + F(eta - s-) - 2 F(eta) - g'(s+ - s-)] / [(s+'H s+ + s-'H s-)/2], exactly 1 for a
    quadratic F, so displacements of a few ulps of eta suffice (a location 1e12 times its standard error).
    The quadratic forms are summed in the eigenbasis (sum lam_k w_k^2, w = U'(d s)), which a condition
    number of 1e16 does not spoil.
    """
    ratios = np.full(len(fractions), np.nan)
    resolved = np.zeros(len(fractions), dtype=bool)
    exact = basis is not None and g is not None and np.all(np.isfinite(g))
    for b, t in enumerate(fractions):
        step = t * u
        # the displacement must be resolved by eta's own rounding (eta + step is rounded to eps |eta|):
        # to 1e-3 unless the actual displacements are used, and the change of F by F's rounding
        moved = np.abs(step) > (16 if exact else 1e3) * np.finfo(float).eps * np.abs(eta)
        if not np.all(moved | (step == 0)):
            continue
        plus, minus = eta + step, eta - step
        fp, fm = F(plus), F(minus)
        if not (np.isfinite(fp) and np.isfinite(fm)):
            continue
        if exact:
            sp, sm = plus - eta, eta - minus
            d, lam, U = basis
            wp, wm = U.T @ (d * sp), U.T @ (d * sm)
            pred = 0.5 * float(lam @ (wp**2 + wm**2))
            lin = float(g @ (sp - sm))
        else:
            pred, lin = t**2, 0.0
        if not pred > 0:
            continue
        ratios[b] = (fp + fm - 2 * f0 - lin) / pred
        # rounding of the three values (about 4 eps |F|) or the measured noise: below 1e-3 of the change
        resolved[b] = pred > 1e3 * max(4 * np.finfo(float).eps * max(abs(f0), abs(fp), abs(fm)), noise)
    return ratios, resolved


def _curvature_ratios(F, eta, H, fractions, directions=None, g=None):
    """Second differences of F along the principal directions of H, relative to H's prediction.

    For each direction u of the equilibrated H, scaled so that u'Hu = 1 (one standard error), and each
    fraction t: ratio = [F(eta + t u) + F(eta - t u) - 2 F(eta)] / t^2, which tends to exactly 1 for a
    function that is twice differentiable at eta (the linear term cancels, so a gradient that has not
    quite vanished does not matter). Returns ``(ratios, resolved)``, both of shape (directions,
    fractions); `resolved` is False where the rounding of F's value (or of eta + t u) could move the ratio
    by more than about 1e-3, and such entries say nothing. With the gradient `g`, the rounding of
    eta +- t u is accounted for exactly (see :func:`_second_differences`).
    """
    f0 = F(eta)
    d = np.sqrt(np.diag(H))
    lam, U = np.linalg.eigh(H / np.outer(d, d))
    js = range(lam.size) if directions is None else directions
    ratios = np.full((len(js), len(fractions)), np.nan)
    resolved = np.zeros(ratios.shape, dtype=bool)
    noise = _value_noise(F, eta, f0)
    for a, j in enumerate(js):
        if not lam[j] > 0:
            continue
        u = U[:, j] / d / np.sqrt(lam[j])
        ratios[a], resolved[a] = _second_differences(F, eta, f0, u, fractions, noise, (d, lam, U), g)
    return ratios, resolved


def _kink_trend(r):
    """For the resolved ratios `r` (steps shrinking by sqrt(8)): is their trend that of a kink?

    A twice-differentiable F gives r(t) = c + a t^2 + ..., so the changes between neighbouring steps
    shrink by a factor 8 towards small t; a kink gives r proportional to 1/t, whose changes grow by
    sqrt(8). A material last change that has not shrunk by at least 0.6 of the previous one is a kink.
    """
    if r.size < 3:
        return False
    last, prev = abs(r[-1] - r[-2]), abs(r[-2] - r[-3])
    return last > _TREND_MIN and last >= 0.6 * prev


def _smoothness_problem(F, eta, H, g=None):
    """A message if F is not (or cannot be shown to be) smooth at eta, else None."""
    lo, hi = _SMOOTH_BAND
    fr = np.array(_SMOOTH_FRACTIONS)
    ratios, resolved = _curvature_ratios(F, eta, H, _SMOOTH_FRACTIONS, g=g)
    for a in range(ratios.shape[0]):
        idx = np.flatnonzero(resolved[a])
        if idx.size:
            r = ratios[a, idx]
            small = r[-1]
            if lo <= small <= hi and not _kink_trend(r):
                continue
            shown = np.array2string(ratios[a], precision=3, max_line_width=10**6)
            return (
                f"the negative log-likelihood is not smooth at the estimate: along a principal direction its "
                f"curvature over +-{fr[idx[-1]]:.3g} standard errors (the smallest step that rounding resolves) "
                f"is {small:.3g} times the numerical Hessian's, and over the steps "
                f"{', '.join(f'{t:.3g}' for t in fr)} standard errors it is {shown} (a twice-differentiable "
                "function gives ratios settling at 1 as the step shrinks; a kink gives ratios growing like "
                "1/step, a flat top ratios near 0): a kink or a flat top, as for sum |x_i - theta| (a Laplace "
                "location); the Hessian, its standard errors and the Newton-decrement test do not apply there "
                "(the estimate may still maximise the likelihood: check it another way, e.g. a closed form or "
                "a profile of the log-likelihood)"
            )
        # no step of 1/8 standard error or less is resolved (|eta| or |F| too large relative to a standard
        # error): check over coarser steps, where a smooth maximum is close to quadratic
        coarse, ok = _curvature_ratios(F, eta, H, _COARSE_FRACTIONS, [a], g=g)
        cidx = np.flatnonzero(ok[0])
        if cidx.size and lo <= coarse[0, cidx[-1]] <= hi:
            continue
        found = (
            f"over +-{_COARSE_FRACTIONS[cidx[-1]]:.3g} standard errors the curvature is {coarse[0, cidx[-1]]:.3g} "
            "times the Hessian's"
            if cidx.size else "no step is resolved at all"
        )
        return (
            "smoothness of the negative log-likelihood at the estimate could not be verified: along a principal "
            f"direction every step of {_SMOOTH_FRACTIONS[-1]:.3g} ... {_SMOOTH_FRACTIONS[0]:.3g} standard errors "
            "is below the rounding resolution of the parameters or of the function's value (parameters large "
            f"compared with their standard errors, e.g. a location 1e11 times its scale), and {found}; the "
            "Hessian may be an artefact of its step (as at a kink), so its standard errors cannot be trusted: "
            "centre or rescale the parameters (subtract a typical value) and fit again"
        )
    return None


def _flat_direction(F, eta, H):
    """A direction along which F never rises by 0.05 up to a distance 2^50: the estimate runs off.

    Directions tried: the eigenvectors of H and the coordinate axes, both signs. Returns
    ``(direction, distance)`` or None.
    """
    f0 = F(eta)
    _, U = np.linalg.eigh(H)
    base = max(1.0, float(np.max(np.abs(eta))))
    for d in list(U.T) + list(np.eye(eta.size)):
        for sign in (1.0, -1.0):
            flat = True
            for k in range(0, 51, 2):
                if not F(eta + sign * base * 2.0**k * d) <= f0 + _RISE_MIN:
                    flat = False
                    break
            if flat:
                return sign * d, base * 2.0**50
    return None


def _weak_curvatures(F, eta, H):
    """H with its weak equilibrated eigenvalues (at most 1e-6, possibly slightly negative from rounding)
    replaced by F's own curvature along those directions, or None if F is not a quadratic maximum there.

    Along the eigenvector v of a weak eigenvalue, the second difference of F at 1/8 and 1/16 of a
    standard error (for the curvature s assumed, first |lambda|) must agree with s within a factor 2;
    the extrapolated value (4 r_16 - r_8)/3 * s is the curvature. If it does not agree, the measured
    curvature becomes s and the measurement is repeated (twice at most); a curvature that is not
    positive (a flat ridge, a saddle) gives None.
    """
    lo, hi = _SMOOTH_BAND
    D = np.sqrt(np.diag(H))
    lam, V = np.linalg.eigh(H / np.outer(D, D))
    f0 = F(eta)
    noise = _value_noise(F, eta, f0)
    Hs = H / np.outer(D, D)
    for j in range(lam.size):
        if lam[j] > _WEAK:
            continue
        v = V[:, j] / D
        s, c = abs(lam[j]), None
        for _ in range(3):
            if not (s > 0 and np.isfinite(s)):
                break
            r, resolved = _second_differences(F, eta, f0, v / np.sqrt(s), (1 / 8, 1 / 16), noise)
            if not np.all(resolved):
                break
            measured = s * (4 * r[1] - r[0]) / 3
            if np.all((r >= lo) & (r <= hi)):
                c = measured
                break
            s = measured
        if c is None:
            return None
        Hs = Hs + (c - lam[j]) * np.outer(V[:, j], V[:, j])
    return 0.5 * (Hs + Hs.T) * np.outer(D, D)


def _diagnose(F, dF, eta, tol, tr):
    """Gradient, Hessian and half the squared Newton decrement on the working scale, plus what is wrong."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        g, H = _derivatives(F, dF, eta)
    unresolved = [w for w in caught if "large compared with its changes" in str(w.message)]
    for w in caught:  # pass every warning on to the caller
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    eig = np.linalg.eigvalsh(H)
    d = np.diag(H)
    # equilibrated to unit diagonal, so the test does not depend on the units of the parameters
    eig_scaled = np.linalg.eigvalsh(H / np.sqrt(np.outer(d, d))) if np.all(d > 0) else np.array([-np.inf])
    problems = []
    pd = eig_scaled.min() > _PD_RTOL
    if np.all(d > 0) and np.all(np.isfinite(H)) and -_WEAK < eig_scaled.min() <= _WEAK:
        # badly conditioned (a covariate offset by 1e4 makes the intercept and its slope nearly collinear,
        # condition 1e16): equilibration cannot remove that, and the numerical Hessian's rounding (1e-10 of
        # its largest eigenvalue) is then a large part of the weak eigenvalues (20% in that example), or
        # even makes them slightly negative (offset 1e5). Measure the curvature along each weak direction
        # by F itself, which also tells a flat ridge from a maximum.
        fixed = _weak_curvatures(F, eta, H)
        if fixed is not None:
            H, pd = fixed, True
            eig = np.linalg.eigvalsh(H)
    if unresolved:
        problems.append(
            "the numerical derivatives at the estimate are unreliable: the negative log-likelihood's value "
            "is large compared with its changes there (rounding of its value swamps the differences), so "
            "neither the convergence test nor the standard errors can be trusted; subtract a constant or "
            "compute it in float64"
        )
    if not pd:
        problems.append(
            f"the Hessian of the negative log-likelihood is not positive definite (eigenvalues "
            f"{np.array2string(eig, precision=3)}): not a strict local maximum (a saddle point or a "
            "ridge); a parameter may be unidentified or on the boundary"
        )
        flat = _flat_direction(F, eta, H)
        if flat is not None:
            direction = np.array2string(flat[0], precision=3)
            problems.append(
                f"no finite MLE here: along the direction {direction} (working scale) the log-likelihood "
                f"never falls by {_RISE_MIN} up to a distance of {flat[1]:.3g}; it keeps rising or stays flat "
                "towards infinity (or the edge of the parameter space), or the parameters are not identified "
                "along that direction"
            )
        return g, H, eig, np.nan, problems
    sd = np.sqrt(np.diag(_inv_pd(H)))
    for i, spec in enumerate(tr.spec):
        if tr.parts[i] is not _IDENTITY and sd[i] > _FLAT_SD:
            theta_i = tr.to_natural(eta)[i]
            problems.append(
                f"the log-likelihood is nearly flat in parameter {i} (estimate {theta_i:.6g}, standard error "
                f"{sd[i]:.3g} on the {spec!r} scale): the maximum is probably on the boundary of the "
                "parameter space, where no finite interior MLE exists"
            )
    dec = _newton_decrement(g, H)
    if dec <= tol and not problems:
        # the gradient has vanished (small Newton decrement): is this a maximum, or a minimiser running off
        # to infinity with gradient and curvature both going to zero?
        rise, _ = _one_se_probe(F, eta, H)
        if not rise >= _RISE_MIN:
            problems.append(
                f"the log-likelihood does not fall off around the estimate: one standard error away it "
                f"changes by {-rise:+.3g} where a maximum falls by 0.5; it keeps rising (or stays flat) towards "
                "infinity or the edge of the parameter space: no finite MLE there (the estimate is where the "
                "optimiser stopped, not a maximum)"
            )
    if not problems:
        # a kink (sum |x_i - theta|) passes the checks above with an artefact Hessian (it grows like 1/h
        # with the step h): compare F's curvature over shrinking fractions of a standard error with H's
        message = _smoothness_problem(F, eta, H, g)
        if message is not None:
            problems.append(message)
            return g, H, eig, np.nan, problems
    if not dec <= tol:
        problems.append(
            f"half the squared Newton decrement g'H^-1 g / 2 = {dec:.3g} exceeds {tol:g} (gradient norm "
            f"{np.linalg.norm(g):.3g}): the optimiser stopped before the maximum"
        )
    return g, H, eig, dec, problems


def _polish(F, dF, eta, tol, maxiter=8):
    """A few damped Newton steps on the working scale with the numerical Hessian (scale-free).

    BFGS stops on an absolute gradient norm, which a badly scaled problem (parameters of very different
    sizes) meets too early or never; Newton's step is invariant under linear changes of the parameters.
    Returns the improved point (or `eta` if no step helped).
    """
    f_cur = F(eta)
    for _ in range(maxiter):
        try:
            g, H = _derivatives(F, dF, eta)
            d = np.sqrt(np.abs(np.diag(H)))
            if not np.all(d > 0):
                break
            if np.all(np.isfinite(H)) and np.linalg.eigvalsh(H / np.outer(d, d)).min() <= _WEAK:
                # rounding dominates the weak directions (e.g. -1e-7 for a curvature of 1e-10): use F's own
                H = _weak_curvatures(F, eta, H) if np.all(np.diag(H) > 0) else None
                if H is None:
                    break
            Hs = H / np.outer(d, d)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", linalg.LinAlgWarning)
                step = -linalg.solve(Hs, g / d, assume_a="pos") / d
        except (ValueError, linalg.LinAlgError):
            break
        dec = -0.5 * float(g @ step)
        if not dec > 0:
            break
        t = 1.0
        while t > 1e-6:
            cand = eta + t * step
            f_new = F(cand)
            if f_new <= f_cur:
                break
            t /= 2
        else:
            break
        eta, f_cur = cand, f_new
        if dec <= tol / 100:
            break
    return eta


def fit(
    negloglik,
    x0,
    *,
    nobs=None,
    grad=None,
    transform=None,
    method="BFGS",
    starts=None,
    n_starts=1,
    rng=None,
    spread=1.0,
    param_names=None,
    model="",
    options=None,
    tol=1e-8,
):
    r"""Maximum likelihood estimate by numerical minimisation of a negative log-likelihood.

    Parameters
    ----------
    negloglik : callable
        :math:`-\ell(\theta)` as a function of a 1-D array of natural-scale parameters. Outside the
        parameter space it may return ``inf``/``nan`` or raise ``ValueError`` (both count as
        :math:`+\infty` for the optimiser), but it must be finite at `x0`.
    x0 : array_like, shape (k,)
        Starting point, natural scale, inside the parameter space.
    nobs : int, optional
        Number of observations *n*, needed only for the BIC :math:`k\log n - 2\ell(\hat\theta)` (it
        cannot be read off a function). Without it the result's ``bic`` raises a ``ValueError`` saying
        so; everything else works.
    grad : callable, optional
        Gradient of `negloglik` (natural scale). Without it the optimiser uses central differences.
    transform : str or None or sequence, optional
        One name for all parameters or one per parameter: ``None``/``"identity"`` (unbounded),
        ``"log"``/``"positive"`` (:math:`\theta > 0`, optimised as :math:`\log\theta`),
        ``"logit"``/``"unit"`` (:math:`0 < \theta < 1`, optimised as :math:`\operatorname{logit}\theta`).
    method : {"BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "Powell"}, default "BFGS"
        Passed to ``scipy.optimize.minimize``.
    starts : array_like, shape (m, k), optional
        Further starting points (natural scale), tried in addition to `x0`.
    n_starts : int, default 1
        Total number of starts. Beyond `x0` and `starts`, random ones are drawn on the working scale
        as :math:`\eta_0 + \text{spread}\cdot Z`, :math:`Z \sim N(0, I)`, which needs `rng`.
    rng : numpy.random.Generator, optional
        Source of the random starts.
    spread : float, default 1.0
        Standard deviation of the random starts around :math:`\eta_0` on the working scale.
    param_names : sequence of str, optional
        Names for the summary.
    model : str, optional
        Description shown by ``repr`` and ``summary``.
    options : dict, optional
        Options for ``scipy.optimize.minimize`` (e.g. ``{"maxiter": 200}``), added to defaults
        tighter than scipy's (BFGS ``gtol=1e-8``; Nelder-Mead ``xatol=1e-8, fatol=1e-11``) so that the
        convergence check below can pass.
    tol : float, default 1e-8
        Convergence is declared when half the squared Newton decrement at the optimum is at most
        `tol` (see Notes).

    Returns
    -------
    MLEResult
        `params` on the natural scale; `cov` the inverse observed information; `loglik`, `aic`, `bic`;
        `converged`; `niter` (iterations of the best start); `negloglik` (natural scale).

    Raises
    ------
    TypeError
        If `negloglik` or `grad` is not callable, or `options` is not a dict.
    DataError
        If `x0` (or `starts`) is not a finite 1-D array, lies outside a transform's domain, or
        `negloglik` (or `grad`) is not finite there or returns complex (or non-numeric) values; if `transform` is unknown or has the wrong length.
    ValueError
        If `method` is not supported, `options` has a key the method does not know (scipy would
        ignore it silently; the message lists the valid ones) or a value of the wrong type (e.g.
        ``{"maxiter": "10"}``; ``workers`` is not supported), random starts are requested without
        `rng`, `nobs` or
        `n_starts` is not a positive integer, or `tol` or `spread` is not a positive number.

    Warns
    -----
    RuntimeWarning
        When the answer fails its checks: the Hessian at the optimum is not positive definite (then
        `cov` is all NaN), the Newton decrement is above `tol`, or a log/logit parameter has a
        working-scale standard error above 100 (the likelihood keeps rising towards a boundary, as for
        a Bernoulli sample of all ones), or the log-likelihood does not fall by at least 0.05 one
        standard error away along some principal direction (where a maximum falls by 0.5: the
        estimate is running off to infinity, like ``fit(lambda t: np.exp(-t[0]), [0.0])``, or to the
        edge of the parameter space), or the function is not smooth at the estimate (its second
        difference along a principal direction, at the smallest fraction of a standard error that
        rounding resolves, is not within a factor 2 of the Hessian's prediction, or it grows like
        1/step, as at the kink of ``sum |x_i - theta|``, a Laplace location: the numerical Hessian
        there is an artefact of its step, and `cov` is all NaN), or smoothness cannot be verified
        because no step of 1/8 standard error or less is resolved (a location 1e11 times its scale).
        The result then has ``converged=False``; it is never returned with NaNs silently. *No finite MLE* is reported this way, by a warning and
        ``converged=False``, not by raising :class:`~mlelib.NoFiniteMLEError` (the closed forms and
        regression fitters, which can prove non-existence, raise it).

    Notes
    -----
    With :math:`\theta = g(\eta)` applied coordinate by coordinate, the optimiser minimises
    :math:`F(\eta) = -\ell(g(\eta))` over unbounded :math:`\eta`. By invariance the maximiser is
    :math:`\hat\theta = g(\hat\eta)`: reparametrising does not move the MLE.

    The observed information is computed on the working scale, :math:`H = \nabla^2 F(\hat\eta)` by
    :func:`mlelib.numerical_hessian`, and mapped back by the delta method with
    :math:`D = \operatorname{diag}\{g'(\hat\eta)\}`:

    .. math::
        \widehat{\operatorname{Cov}}(\hat\theta) = D\,H^{-1} D
        = \Bigl\{-\nabla^2_\theta \ell(\hat\theta)\Bigr\}^{-1},

    where the second equality holds because the gradient vanishes at the optimum, so the terms with
    :math:`g''` drop out; the working scale is used because its differences never step outside the
    parameter space.

    Convergence is judged by the answer, not by the optimiser's flag (BFGS often reports "precision
    loss" at an optimum found to full accuracy): :math:`H` must be positive definite (the smallest
    eigenvalue of :math:`H` scaled to unit diagonal above :math:`10^{-8}`, so that a ridge of
    unidentified parameters is caught despite rounding) and half the
    squared Newton decrement :math:`\tfrac12 \nabla F^\top H^{-1} \nabla F`, the log-likelihood still
    to be gained by one Newton step (invariant under reparametrisation), must be at most `tol`.
    Both are scale-free: they do not change when a parameter is measured in other units. A third
    check guards against a minimiser running off to infinity, where the gradient and the curvature
    both vanish so that the Newton decrement is small although no maximum exists: along each principal
    direction of :math:`H` (equilibrated), :math:`F` is evaluated one standard error either side of
    :math:`\hat\eta`; a quadratic maximum rises by exactly 0.5 there, and a rise below 0.05 on either
    side fails the check (it is made where the Newton decrement is already small, since far from a
    maximum the function falls in the direction of the next step anyway). A fourth check guards
    against a non-smooth :math:`F`: along each principal direction :math:`u` (scaled to one standard
    error, :math:`u^\top H u = 1`) the symmetric second difference
    :math:`[F(\hat\eta + tu) + F(\hat\eta - tu) - 2F(\hat\eta)]/t^2` tends to exactly 1 as :math:`t`
    shrinks when :math:`F` is twice differentiable; at a kink it grows like :math:`1/t` (on a flat
    top it is 0). It is evaluated at :math:`t = 1/8, 1/(8\sqrt 8), \dots, 1/32768` wherever the
    rounding of :math:`\hat\eta` and of :math:`F` does not swamp it, and the check fails if the value
    at the smallest resolved :math:`t` is outside :math:`[1/2, 2]` or the values still change as
    :math:`t` shrinks the way :math:`1/t` does (by more than 0.02, not shrinking by a factor 0.6); the
    value at the largest :math:`t` alone decides nothing (a smooth but non-quadratic maximum, such
    as a Student-t degrees of freedom, gives several there). If no :math:`t \le 1/8` is resolved, the
    check is repeated at :math:`t = 1, 1/2, 1/4` and, failing that, reports that smoothness could
    not be verified. Where the
    equilibrated :math:`H` has eigenvalues of size below :math:`10^{-6}` (a covariate offset by
    :math:`10^4` on the raw scale makes the intercept and slope nearly collinear), the rounding of the
    numerical Hessian is a sizeable part of them (at an offset of :math:`10^5` it even makes one
    slightly negative); the curvature along those directions is then measured by :math:`F` itself
    (the same second difference at :math:`t = 1/8, 1/16`, extrapolated, repeated at the scale of the
    measured curvature if it disagrees with :math:`H`'s by more than a factor 2) and
    replaces :math:`H`'s, which both corrects the standard errors and tells such a positive definite
    but badly conditioned maximum (accepted) from a flat ridge (refused).
    When only the Newton-decrement check fails (and the optimiser did not run
    out of its `maxiter` budget), the answer is first
    polished by damped Newton steps with the numerical Hessian (invariant under linear changes of
    the parameters, so badly scaled problems on which BFGS stops early are finished), and the
    optimiser is restarted once from a better point found by the probe. With several starts, the
    lowest :math:`F` among those whose checks pass wins, unless a start whose checks failed reached a
    lower :math:`F` (by more than `tol`): that one is returned, with ``converged=False`` and a warning
    giving its diagnosis and the lower log-likelihood of the passing local maximum.

    References
    ----------
    :cite:p:`nocedal2006numerical`, :cite:p:`pawitan2001all`

    Examples
    --------
    Exponential waiting times, rate optimised on the log scale; the MLE is :math:`1/\bar x` and the
    standard error :math:`\hat\lambda/\sqrt n`:

    >>> import numpy as np
    >>> from mlelib import exponential_loglik
    >>> x = np.array([0.5, 1.5, 1.0, 3.0, 2.0])
    >>> res = fit(lambda t: -exponential_loglik(x, t[0]), [1.0], nobs=x.size, transform="log")
    >>> round(float(res.params[0]), 6), round(float(res.bse[0]), 6), res.converged
    (0.625, 0.279508, True)

    No finite minimiser: :math:`e^{-\theta}` decreases for ever, and the fit says so.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     res = fit(lambda t: np.exp(-t[0]), [0.0])
    >>> res.converged, "no finite MLE" in str(caught[0].message)
    (False, True)
    """
    check_callable(negloglik, "negloglik", "negloglik(theta) -> float for a 1-D parameter array theta")
    if grad is not None:
        check_callable(grad, "grad", "grad(theta) -> array of shape (k,), the gradient of negloglik")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if nobs is not None:
        nobs = positive_int(nobs, "nobs", what="the number of observations")
    options = _check_options(options, method)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not (0 < tol < np.inf):
        raise ValueError(f"tol must be a positive number (the largest accepted half squared Newton decrement); got {_show(tol)}")
    if isinstance(spread, bool) or not isinstance(spread, (int, float, np.integer, np.floating)) or not (0 < spread < np.inf):
        raise ValueError(f"spread must be a positive number (sd of random starts on the working scale); got {_show(spread)}")
    theta0 = as_parameter_vector(x0, "x0")
    tr = _Transform(transform, theta0.size)
    theta0 = _check_x0(negloglik, theta0, grad, tr)
    f_nat = safe_negloglik(negloglik)

    def F(eta):
        return f_nat(tr.to_natural(eta))

    dF = None
    if grad is not None:

        def dF(eta):
            try:
                with np.errstate(all="ignore"):
                    raw = grad(tr.to_natural(eta))
            except (ValueError, ArithmeticError):  # a trial point outside the parameter space
                return np.full(eta.shape, np.nan)
            with np.errstate(all="ignore"):
                return real_output(raw, "grad") * tr.jacobian(eta)

    opts = dict(_DEFAULT_OPTIONS[method])
    opts.update(options)
    points = _starts(tr.to_working(theta0), starts, n_starts, spread, rng, tr)

    runs = []
    for eta in points:
        res = _minimize(F, dF, eta, method, opts)
        if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
            runs.append((res, None))
            continue
        diag = _diagnose(F, dF, res.x, tol, tr)
        budget_spent = "maximum number" in str(res.message).lower()  # the user's maxiter/maxfev is respected
        polishable = diag[4] and np.isfinite(diag[3]) and not any("nearly flat" in text for text in diag[4])
        if polishable and not budget_spent:
            # a check failed but the Hessian is positive definite (typically BFGS stopped early on a badly
            # scaled problem): polish by Newton steps (scale-free), and if a point one standard error
            # away is better, restart the optimiser from there once
            eta_new = _polish(F, dF, res.x, tol)
            _, better = _one_se_probe(F, eta_new, _derivatives(F, dF, eta_new)[1]) if np.all(
                np.isfinite(eta_new)) else (None, None)
            if better is not None:
                again = _minimize(F, dF, better, method, opts)
                if np.all(np.isfinite(again.x)) and again.fun < F(eta_new):
                    eta_new = _polish(F, dF, again.x, tol)
                    res.caught = res.caught + again.caught
                    res.nit = getattr(res, "nit", 0) + getattr(again, "nit", 0)
            if F(eta_new) <= res.fun:
                res.x, res.fun = eta_new, F(eta_new)
                diag = _diagnose(F, dF, res.x, tol, tr)
        runs.append((res, diag))
    ok = [(r, d) for r, d in runs if d is not None and not d[4]]
    pool = ok or [(r, d) for r, d in runs if d is not None]
    if not pool:
        raise DataError(
            f"the optimiser left the parameter space from every start ({len(points)}); last message: "
            f"{runs[-1][0].message}"
        )
    best, (g, H, eig, dec, problems) = min(pool, key=lambda rd: rd[0].fun)
    failed = [(r, d) for r, d in runs if d is not None and d[4]]
    if ok and failed:
        # a start that failed its checks may still have found a higher log-likelihood: then the passing
        # run is only a local maximum, and returning it as converged would hide that (findings2 A5)
        worse, (r_f, d_f) = best, min(failed, key=lambda rd: rd[0].fun)
        if r_f.fun < worse.fun - max(tol, 64 * np.finfo(float).eps * abs(worse.fun)):
            best, (g, H, eig, dec, problems) = r_f, d_f
            theta_ok = np.array2string(tr.to_natural(worse.x), precision=6)
            problems = problems + [
                f"this is the highest log-likelihood found ({-r_f.fun:.10g}); the start(s) whose checks passed "
                f"reached only {-worse.fun:.10g} (at {theta_ok}), a local maximum that is not the MLE"
            ]

    eta_hat = best.x
    theta_hat = tr.to_natural(eta_hat)
    D = tr.jacobian(eta_hat)
    if problems:
        cov = np.full((theta_hat.size, theta_hat.size), np.nan)
        if not np.isnan(dec):
            cov = D[:, None] * _inv_pd(H) * D[None, :]
        detail = "; ".join(problems)
        extra = f"; optimiser: {str(best.message).rstrip('.')}" + (f" ({'; '.join(best.caught)})" if best.caught else "")
        warnings.warn(
            f"fit did not converge ({method}, best of {len(points)} start(s)): {detail}{extra}. Try other "
            "starting values, a transform for bounded parameters, an analytic gradient, or a larger maxiter",
            RuntimeWarning,
            stacklevel=2,
        )
    else:
        cov = D[:, None] * _inv_pd(H) * D[None, :]
    cov = 0.5 * (cov + cov.T)

    def nll(theta):
        return float(_real(negloglik(np.asarray(theta, dtype=float)), "negloglik").reshape(()))

    return MLEResult(
        params=theta_hat,
        cov=cov,
        loglik=-nll(theta_hat),
        nobs=nobs,
        converged=not problems,
        param_names=param_names,
        model=model or f"mlelib.fit ({method})",
        niter=int(getattr(best, "nit", 0)),
        negloglik=nll,
    )

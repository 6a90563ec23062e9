r"""Numerical derivatives of a scalar function: gradient and Hessian by extrapolated central differences.

A finite difference trades two errors. The *truncation* error of a central difference is
:math:`O(h^2)`; the *rounding* error is about :math:`\epsilon\,|f|/h` for a first derivative and
:math:`\epsilon\,|f|/h^2` for a second, where :math:`\epsilon \approx 2.2\times10^{-16}` is the
machine epsilon :cite:p:`higham2002accuracy`. Plain central differences balance them at
:math:`h \propto \epsilon^{1/3}` (gradient) and :math:`h \propto \epsilon^{1/4}` (Hessian), leaving
about :math:`\epsilon^{2/3} \approx 10^{-11}` and :math:`\epsilon^{1/2} \approx 10^{-8}` relative
accuracy. Here one step of Richardson extrapolation combines the differences at :math:`h` and
:math:`h/2` so that the :math:`h^2` terms cancel; the truncation error becomes :math:`O(h^4)`, the
best steps are :math:`h \propto \epsilon^{1/5}` and :math:`\epsilon^{1/6}`, and the accuracy improves
to about :math:`\epsilon^{4/5}` and :math:`\epsilon^{2/3}`.

Steps are chosen per coordinate, on the coordinate's own scale, by the function itself. A
fixed rule such as :math:`h_i = c\,\max(|x_i|, 1)` (the convention of ``scipy.optimize``) fails
whenever the scale on which :math:`f` curves differs from :math:`\max(|x_i|, 1)`: a logistic
coefficient of :math:`10^{-4}` on a covariate in units of :math:`10^4` gets a step that moves every
linear predictor by about 24, and standard errors from such a Hessian are tens of percent off.
Here each coordinate gets a ladder of steps :math:`h_k = h_0 2^{-k}`, spanning from well above to
well below three guesses of its scale (:math:`\max(|x_i|,1)`, :math:`|x_i|`, and the curvature scale
:math:`\sqrt{|f|/|\partial_{ii} f|}` from a pilot difference); at each pair of rungs the Richardson
extrapolation is formed, its error is estimated from the neighbouring extrapolations plus the
rounding :math:`10\,\epsilon\,|f|/h^{d}`, and the rung with the smallest estimate is used (the idea of
Ridders' method and of numdifftools). A step never goes below :math:`64\epsilon|x_i|`, where
:math:`x_i + h` would no longer resolve :math:`h`, and is rounded so that :math:`x_i + h` is
exactly representable. If the function is not finite at :math:`x \pm h e_i` (a step left the
parameter space, for instance a variance stepped below zero), that rung is skipped, and the pilot
step is halved until it fits; a point too close to the boundary for any step raises a clear error.
When f's value is large compared with its changes (``1e11 + `` a quadratic, or a float32-valued f),
the differences at the usual steps are pure rounding: the pilot step then grows (by 16 at a time)
until the changes exceed 1000 roundings :math:`\epsilon|f|`, and the ladder reaches up to there.
The rounding term uses the epsilon of the type f returns (float32: :math:`1.2\times10^{-7}`). If
the differences at the chosen step are still within 1000 roundings, a ``RuntimeWarning`` says that
"f's value is large compared with its changes" instead of returning a silently wrong derivative.
Functions that signal "outside the domain" by raising ``ValueError`` (as
:func:`mlelib.gaussian_loglik` does for a negative variance) are treated the same way at the
probe points; at `x` itself every error propagates.
"""

import warnings

import numpy as np

from ._validate import as_parameter_vector, check_callable, real_output, to_float
from .errors import DataError

__all__ = ["numerical_gradient", "numerical_hessian"]

_EPS = np.finfo(float).eps
_REL_GRADIENT = _EPS ** (1 / 5)  # central difference + one Richardson step: truncation O(h^4), rounding eps/h
_REL_HESSIAN = _EPS ** (1 / 6)  # second difference + one Richardson step: truncation O(h^4), rounding eps/h^2
_MAX_HALVINGS = 10
_MAX_RUNGS = 60  # the ladder of steps spans at most 2^60 (see _ladder)


def _scalar(value):
    arr = real_output(value, "f")
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _value_eps(value):
    """The machine epsilon of the type f returned: float32 (or float16) values round at 1e-7 (1e-3)."""
    dtype = getattr(value, "dtype", None)
    try:
        if dtype is not None and np.issubdtype(np.dtype(str(dtype).replace("torch.", "")), np.floating):
            return max(_EPS, float(np.finfo(np.dtype(str(dtype).replace("torch.", ""))).eps))
    except TypeError:
        pass
    return _EPS


def _value_at(f, x):
    """f(x), which must be a finite scalar, and the epsilon of its type; errors raised by f propagate."""
    raw = f(x.copy())
    value = _scalar(raw)
    if not np.isfinite(value):
        raise DataError(
            f"f is not finite at x = {x.tolist()} (got {value}); evaluate the derivative at a point inside "
            "the parameter space"
        )
    return value, _value_eps(raw)


def _probe(f):
    """f at a probe point near x: NaN (treated as 'outside the domain') if f raises ValueError/ArithmeticError."""

    def g(z):
        try:
            with np.errstate(all="ignore"):
                return _scalar(f(z))
        except (ValueError, ArithmeticError):
            return np.nan

    return g


def _check_step(step, x):
    try:
        h = np.broadcast_to(to_float(step, "step"), x.shape).copy()
    except ValueError:
        raise ValueError(
            f"step must be positive and finite (a scalar or one per coordinate, {x.size} here), got {step!r}"
        ) from None
    if not np.all(np.isfinite(h) & (h > 0)):
        raise ValueError(f"step must be positive and finite (a scalar or one per coordinate), got {step!r}")
    return h


def _representable(x, h):
    return (x + h) - x


class _Ladder:
    """Central differences of f along coordinate i at a geometric ladder of steps h_k = h_0 / 2^k.

    ``values[k] = (f(x + h_k e_i), f(x - h_k e_i))``; non-finite entries mark steps that left the
    domain of f. The ladder spans the plausible scales of the coordinate (see :func:`_ladder`).
    """

    def __init__(self, steps, plus, minus):
        self.h = np.asarray(steps, dtype=float)
        self.plus = np.asarray(plus, dtype=float)
        self.minus = np.asarray(minus, dtype=float)


def _evaluate(g, x, i, hs):
    plus, minus = [], []
    for h in hs:
        z = x.copy()
        z[i] = x[i] + h
        plus.append(g(z))
        z[i] = x[i] - h
        minus.append(g(z))
    return _Ladder(hs, plus, minus)


_RESOLVED = 1e3  # a change of f is resolved when it exceeds this many roundings eps |f|
_MAX_GROWTH = 30  # the pilot step grows by 16 at most this many times (a factor 1e36)


def _ladder(g, x, f0, i, eps=_EPS):
    """The ladder of steps for coordinate i: from well above to well below every plausible scale of x_i.

    Scale guesses: max(|x_i|, 1) (the usual convention), |x_i| itself, and the curvature scale
    sqrt(F / |f_ii|) from a pilot second difference (F the magnitude of f near x). The ladder runs from
    8 * REL_HESSIAN * (largest guess) down to REL_GRADIENT / 8 * (smallest guess), halving each time,
    never below 64 eps |x_i| (where x_i + h no longer resolves h) and over at most 2^60.
    """
    xi = x[i]
    guesses = [max(abs(xi), 1.0)]
    if xi != 0:
        guesses.append(abs(xi))
    pilot = _REL_HESSIAN * max(abs(xi), 1.0)
    previous = None
    grown, shrunk = 0, False
    edge = None  # the smallest pilot step at which f was not finite (x_i near the edge of the domain)
    halvings = 0
    for _ in range(80 + _MAX_GROWTH):  # pilot differences: halve until f is finite on both sides, refine
        h = _representable(xi, pilot)
        if h <= 0:
            break
        z = x.copy()
        z[i] = xi + h
        fp = g(z)
        z[i] = xi - h
        fm = g(z)
        if not (np.isfinite(fp) and np.isfinite(fm)):
            if grown:  # grown into the edge of the domain: stop growing, keep the last finite pilot
                break
            edge = h if edge is None else min(edge, h)
            halvings += 1
            # after 20 halvings (x_i within 2e-9 of the edge, e.g. x_i = 1e-20 > 0) shrink faster, so that
            # the pilot reaches a finite step within the loop even at x_i = 1e-300
            pilot /= 2.0 if halvings <= 20 else 2.0**16
            shrunk = True
            continue
        # f's changes drowned in the rounding of its value (f = 1e11 + a quadratic, or a float32 f):
        # grow the step until they are resolved, so that the ladder reaches steps where they are
        mag = max(abs(f0), abs(fp), abs(fm))
        change = max(abs(fp - fm), abs(fp - 2 * f0 + fm))
        if 0 < mag and change < _RESOLVED * eps * mag and not shrunk and grown < _MAX_GROWTH:
            pilot *= 16
            grown += 1
            continue
        if grown:
            if change == 0:  # f is exactly constant along x_i at every step tried: flat
                break
            # rounding relative error ~1e-3 at h: steps up to 1e4 h bring it to ~1e-7 on a straight f
            guesses.append(1e4 * h / _REL_HESSIAN)
            grown = 0
        shrunk = True  # grow only at the first pilot
        if h < _REL_HESSIAN * max(abs(xi), 1.0) * 0.99:
            guesses.append(h / _REL_HESSIAN)
        with np.errstate(divide="ignore", over="ignore"):  # h**2 underflows for |x_i| ~ 1e-300
            curv = abs(fp - 2 * f0 + fm) / h**2
        mag = max(abs(f0), abs(fp), abs(fm))
        scale = np.sqrt(mag / curv) if curv > 0 and mag > 0 else np.nan
        if not (np.isfinite(scale) and scale > 0):
            break
        guesses.append(scale)
        # a pilot far outside the quadratic range (f nearly linear over +-h) underestimates the curvature:
        # refine with a step on the scale just found, until the curvature settles (within 10%)
        if (previous is not None and abs(curv - previous) <= 0.1 * curv) or len(guesses) > 8:
            break
        previous = curv
        if _REL_HESSIAN * scale >= 0.5 * h:
            break
        pilot = _REL_HESSIAN * scale
    top = 8 * _REL_HESSIAN * max(guesses)
    if edge is not None:
        # steps beyond the edge of the domain are wasted rungs, and with |x_i| << 1 (x = 1e-20) they
        # would use up the 2^60 span before the ladder reaches the steps where f is finite
        # (dropping whole rungs keeps the grid h_0 2^-k, hence the result, of the other rungs)
        while top > edge:
            top /= 2
    bottom = _REL_GRADIENT / 8 * min(guesses)
    bottom = max(bottom, top * 2.0**-_MAX_RUNGS, 64 * _EPS * max(abs(xi), np.finfo(float).tiny))
    bottom = min(bottom, top / 4)
    n_rungs = max(int(np.ceil(np.log2(top / bottom))) + 1, 3)
    hs = [_representable(xi, top * 2.0**-k) for k in range(n_rungs)]
    hs = [h for h in hs if h > 0]
    return _evaluate(g, x, i, hs)


def _explicit_ladder(g, x, i, h0):
    """A user step: h0 and h0/2 (for the extrapolation), halved at most _MAX_HALVINGS times if f is not finite."""
    for k in range(_MAX_HALVINGS + 1):
        h = _representable(x[i], h0 * 2.0**-k)
        lad = _evaluate(g, x, i, [h, h / 2])
        if np.all(np.isfinite(lad.plus) & np.isfinite(lad.minus)):
            return lad
    return lad


def _best(estimates, errors, hs, what, i, x):
    """The extrapolated estimate with the smallest error estimate, and its step."""
    errors = np.where(np.isfinite(errors) & np.isfinite(estimates), errors, np.inf)
    if not np.any(np.isfinite(errors)):
        raise DataError(
            f"f is not finite at x +- h e_{i} for every step h tried (down to {hs[-1]:.3g}) around "
            f"x = {x.tolist()}: x is on or too near the boundary of the parameter space; reparametrise "
            "(for instance optimise log(sigma) instead of sigma) or pass a smaller step"
        )
    k = int(np.argmin(errors))
    return estimates[k], hs[k]


def _warn_unresolved(lad, f0, k, kind, i, eps):
    """Warn when the differences at the chosen step are within 1e3 roundings of f's value."""
    fp, fm, h = lad.plus[k], lad.minus[k], lad.h[k]
    mag = max(abs(f0), abs(fp), abs(fm))
    change = abs(fp - 2 * f0 + fm) if kind == 2 else max(abs(fp - fm), abs(fp - 2 * f0 + fm))
    if mag > 0 and 0 < change < _RESOLVED * eps * mag:
        what = "gradient" if kind == 1 else "Hessian"
        warnings.warn(
            f"numerical {what}, coordinate {i}: f's value is large compared with its changes (|f| = "
            f"{mag:.6g}, changes {change:.3g} at step {h:.3g}, rounding {eps * mag:.3g}): the derivative "
            f"is unreliable (rounding alone gives a relative error of about {eps * mag / change:.2g}, "
            "and the step may be far outside f's quadratic range); "
            "subtract a constant from f (e.g. its value at the start) or compute it in float64",
            RuntimeWarning,
            stacklevel=4,
        )


def _cross_at(g, x, i, j, hi, hj):
    """The four-point cross difference at steps (hi, hj), and the largest |f| it used."""
    vals = []
    for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        z = x.copy()
        z[i] += si * hi
        z[j] += sj * hj
        vals.append(g(z))
    if not np.all(np.isfinite(vals)):
        raise DataError(
            f"f is not finite at x +- {hi:.3g} e_{i} +- {hj:.3g} e_{j} around x = {x.tolist()}: "
            "x is too near the boundary of the parameter space; reparametrise or pass a smaller step"
        )
    return (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * hi * hj), max(abs(v) for v in vals)


def _cross(g, x, i, j, hi, hj, eps):
    r"""The Richardson-extrapolated cross derivative at the diagonal steps (hi, hj), and (hi/2, hj/2).

    The diagonal steps suit the diagonal; a cross term can be lost in f's rounding at them (a step
    far larger than its coordinate, where f's own variation along it dwarfs the cross term:
    :math:`ab\cdot 10^{40} + 10^{40}b^2` at b = 3e-20). When the rounding bound
    :math:`10\varepsilon\max|f|/(h_ih_j)` exceeds 1e-3 of the estimate, one of the two steps at a time
    shrinks by 16 (whichever lowers the error bound more) while the bound falls, until the estimate
    is resolved (else the diagonal steps' estimate is kept, e.g. for a cross term that is exactly 0).
    Ordinary cross terms are resolved at the diagonal steps and cost no extra evaluations.
    """

    def evaluate(a, b):
        e0, m0 = _cross_at(g, x, i, j, a, b)
        e1, m1 = _cross_at(g, x, i, j, a / 2, b / 2)
        rounding = 10 * eps * max(m0, m1) / (a * b / 4)
        return (4 * e1 - e0) / 3, abs(e1 - e0) + rounding, rounding

    first, err, rounding = evaluate(hi, hj)
    if rounding <= 1e-3 * abs(first):
        return first
    for _ in range(40):
        trials = [(evaluate(hi / 16, hj), hi / 16, hj), (evaluate(hi, hj / 16), hi, hj / 16)]
        (est, e, r), a, b = min(trials, key=lambda t: t[0][1])
        if not e < err:
            break
        err, hi, hj = e, a, b
        if r <= 1e-3 * abs(est):
            return est  # resolved at smaller steps
    return first  # never resolved (e.g. a cross term that is exactly 0): the diagonal steps' estimate


def _select(lad, f0, kind, i, x, eps=_EPS):
    """Richardson-extrapolated first or second derivative along the ladder, the rung chosen by its error.

    For consecutive rungs h_k, h_{k+1} = h_k/2 the extrapolation R_k = (4 D(h_{k+1}) - D(h_k))/3 is
    O(h^4); its error is estimated by |R_k - R_{k+1}| (truncation) plus the rounding of f,
    about 10 eps max|f| / h (first derivative) or / h^2 (second derivative). The rung with the smallest
    estimate wins (the approach of numdifftools and of Ridders' method).
    """
    h, fp, fm = lad.h, lad.plus, lad.minus
    with np.errstate(all="ignore"):
        if kind == 1:
            D = (fp - fm) / (2 * h)
        else:
            D = (fp - 2 * f0 + fm) / h**2
        mag = np.maximum(np.abs(f0), np.maximum(np.abs(fp), np.abs(fm)))
        if h.size == 2:  # an explicit step: no choice to make
            R = np.array([(4 * D[1] - D[0]) / 3])
            return _best(R, np.zeros(1), h, kind, i, x)
        R = (4 * D[1:] - D[:-1]) / 3
        rounding = 10 * eps * mag[1:] / h[1:] ** kind
        trunc = np.abs(np.diff(R))
        # the error of R_k: the larger of its distances to the neighbouring extrapolations
        left = np.r_[0.0, trunc]
        right = np.r_[trunc, 0.0]
        err = np.fmax(left, right) + rounding
    est, hk = _best(R, err, h[:-1], kind, i, x)
    k = int(np.flatnonzero(h[:-1] == hk)[0]) + 1  # the smaller step of the chosen pair
    _warn_unresolved(lad, f0, k, kind, i, eps)
    return est, hk


def _ladders(f, x, step):
    f0, eps = _value_at(f, x)
    g = _probe(f)
    if step is None:
        lads = [_ladder(g, x, f0, i, eps) for i in range(x.size)]
    else:
        h = _check_step(step, x)
        lads = [_explicit_ladder(g, x, i, h[i]) for i in range(x.size)]
    return f0, eps, g, lads


def numerical_gradient(f, x, *, step=None):
    r"""Gradient of a scalar function by central differences with one Richardson extrapolation.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a 1-D array `x`, for instance a negative log-likelihood.
    x : array_like, shape (k,)
        The point, inside the domain of `f`.
    step : float or array_like, optional
        Absolute base step(s) :math:`h_i`, used as given (with :math:`h_i/2` for the extrapolation).
        Default: chosen per coordinate from a ladder of steps (see the module notes).

    Returns
    -------
    ndarray, shape (k,)
        :math:`\nabla f(x)`.

    Raises
    ------
    DataError
        If `x` is not a finite, non-empty 1-D array, `f(x)` is not finite, or no step keeps `f` finite
        on both sides of `x` (a boundary point).
    ValueError
        If `f` does not return a scalar, or `step` is not positive.
    TypeError
        If `f` is not callable.

    Notes
    -----
    With :math:`D_i(h) = \{f(x + h e_i) - f(x - h e_i)\}/(2h) = \partial_i f + c\,h^2 + O(h^4)`,
    the extrapolated estimate cancels the :math:`h^2` term:

    .. math::
        \widehat{\partial_i f}(x) = \frac{4 D_i(h/2) - D_i(h)}{3} = \partial_i f(x) + O(h^4).

    The step :math:`h` is chosen per coordinate from a ladder (module notes). Its relative error is
    typically :math:`10^{-10}` or smaller :cite:p:`higham2002accuracy`, whatever the scale of the
    coordinate. Cost: about :math:`2k(L + 1)` evaluations of `f` for ladders of :math:`L` rungs
    (typically 15 to 40); :math:`4k + 1` with an explicit `step`.

    References
    ----------
    :cite:p:`higham2002accuracy`

    Examples
    --------
    >>> f = lambda t: t[0] ** 2 + 3 * t[0] * t[1] + 2 * t[1] ** 2
    >>> numerical_gradient(f, [1.0, 2.0]).round(6)
    array([ 8., 11.])
    """
    check_callable(f, "f", "f(x) -> float for a 1-D array x")
    x = as_parameter_vector(x)
    f0, eps, _, lads = _ladders(f, x, step)
    return np.array([_select(lad, f0, 1, i, x, eps)[0] for i, lad in enumerate(lads)])


def numerical_hessian(f, x, *, step=None):
    r"""Symmetric Hessian of a scalar function by central differences with one Richardson extrapolation.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a 1-D array `x`, for instance a negative log-likelihood (its Hessian at
        the MLE is the observed information).
    x : array_like, shape (k,)
        The point, inside the domain of `f`.
    step : float or array_like, optional
        Absolute base step(s) :math:`h_i`, used as given (with :math:`h_i/2` for the extrapolation).
        Default: chosen per coordinate from a ladder of steps (see the module notes).

    Returns
    -------
    ndarray, shape (k, k)
        :math:`\nabla^2 f(x)`, exactly symmetric.

    Raises
    ------
    DataError
        If `x` is not a finite, non-empty 1-D array, `f(x)` is not finite, or `f` is not finite at the
        difference points (a point on or near the boundary of the domain).
    ValueError
        If `f` does not return a scalar, or `step` is not positive.
    TypeError
        If `f` is not callable.

    Notes
    -----
    Diagonal entries use the second difference, off-diagonal entries the four-point cross difference,

    .. math::
        \begin{aligned}
        S_{ii}(h) &= \frac{f(x + h_i e_i) - 2 f(x) + f(x - h_i e_i)}{h_i^2}, \\
        S_{ij}(h) &= \frac{f(x^{++}) - f(x^{+-}) - f(x^{-+}) + f(x^{--})}{4 h_i h_j},
        \qquad x^{\pm\pm} = x \pm h_i e_i \pm h_j e_j,
        \end{aligned}

    both :math:`\partial_{ij} f + O(h^2)` with an expansion in even powers of :math:`h`, so
    :math:`\{4 S(h/2) - S(h)\}/3` is accurate to :math:`O(h^4)`. The result is symmetrised,
    :math:`(H + H^\top)/2`. A quadratic function is differentiated exactly up to rounding.
    The diagonal steps are chosen from a ladder (module notes) and reused for the cross differences.
    Cost: about :math:`2k(L + 1) + 8\binom{k}{2}` evaluations of `f` for ladders of :math:`L` rungs.

    A logistic coefficient near :math:`10^{-4}` on a covariate in units of :math:`10^4` is
    differentiated to about :math:`10^{-8}` relative accuracy (the analytic :math:`X^\top W X` is the
    test oracle).

    References
    ----------
    :cite:p:`higham2002accuracy`

    Examples
    --------
    >>> f = lambda t: t[0] ** 2 + 3 * t[0] * t[1] + 2 * t[1] ** 2
    >>> numerical_hessian(f, [1.0, 2.0]).round(6)
    array([[2., 3.],
           [3., 4.]])
    """
    check_callable(f, "f", "f(x) -> float for a 1-D array x")
    x = as_parameter_vector(x)
    f0, eps, g, lads = _ladders(f, x, step)
    k = x.size
    H = np.empty((k, k))
    h = np.empty(k)
    for i, lad in enumerate(lads):
        H[i, i], h[i] = _select(lad, f0, 2, i, x, eps)
    for i in range(k):
        for j in range(i + 1, k):
            H[i, j] = H[j, i] = _cross(g, x, i, j, h[i], h[j], eps)
    if not np.all(np.isfinite(H)):
        raise DataError(f"the numerical Hessian at x = {x.tolist()} is not finite (overflow in f?)")
    return 0.5 * (H + H.T)

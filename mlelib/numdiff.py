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

Steps are scaled to the coordinate, :math:`h_i = c\,\max(|x_i|, 1)` (the convention of the
finite-difference gradients in ``scipy.optimize.minimize``), rounded so that :math:`x_i + h_i` is exactly representable.
If the function is not finite at :math:`x \pm h_i e_i` (a step left the parameter space, for
instance a variance stepped below zero), the purely relative step :math:`c\,|x_i|` is tried, then
halved at most ten times, before giving up with a clear error. Functions that signal "outside the domain" by raising
``ValueError`` (as :func:`mlelib.gaussian_loglik` does for a negative variance) are treated the same
way at the probe points; at `x` itself every error propagates. For a parameter much smaller than 1
in magnitude whose function is curved on its own scale (a rate of 0.001), the default step is
relatively large: pass `step`, or better differentiate with respect to its logarithm.
"""

import numpy as np

from ._validate import as_parameter_vector
from .errors import DataError

__all__ = ["numerical_gradient", "numerical_hessian"]

_EPS = np.finfo(float).eps
_REL_GRADIENT = _EPS ** (1 / 5)  # central difference + one Richardson step: truncation O(h^4), rounding eps/h
_REL_HESSIAN = _EPS ** (1 / 6)  # second difference + one Richardson step: truncation O(h^4), rounding eps/h^2
_MAX_HALVINGS = 10


def _scalar(value):
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _value_at(f, x):
    """f(x), which must be a finite scalar; errors raised by f propagate unchanged."""
    value = _scalar(f(x.copy()))
    if not np.isfinite(value):
        raise DataError(
            f"f is not finite at x = {x.tolist()} (got {value}); evaluate the derivative at a point inside "
            "the parameter space"
        )
    return value


def _probe(f):
    """f at a probe point near x: NaN (treated as 'outside the domain') if f raises ValueError/ArithmeticError."""

    def g(z):
        try:
            with np.errstate(all="ignore"):
                return _scalar(f(z))
        except (ValueError, ArithmeticError):
            return np.nan

    return g


def _base_steps(x, rel, step):
    if step is None:
        h = rel * np.maximum(np.abs(x), 1.0)
    else:
        h = np.broadcast_to(np.asarray(step, dtype=float), x.shape).copy()
        if not np.all(np.isfinite(h) & (h > 0)):
            raise ValueError(f"step must be positive and finite (a scalar or one per coordinate), got {step!r}")
    return (x + h) - x  # exactly representable steps


def _axis_steps(g, x, h, rel):
    """Per coordinate, a step h_i with g finite at x +- h_i e_i and x +- h_i/2 e_i.

    Tried in turn: the base step; the purely relative step rel * |x_i| if smaller (a small positive
    parameter such as a rate of 1e-3 near the boundary 0); then that step halved, at most
    _MAX_HALVINGS times. Returns the steps and a dict {(i, s): g(x + s e_i)} of the values computed.
    """
    h = h.copy()
    values = {}
    for i in range(x.size):
        relative = (x[i] + rel * abs(x[i])) - x[i]
        candidates = [h[i]] + ([relative] if 0 < relative < h[i] else [])
        while len(candidates) < _MAX_HALVINGS + 2:
            candidates.append(candidates[-1] / 2)
        for h[i] in candidates:
            pts = {}
            for s in (h[i], -h[i], h[i] / 2, -h[i] / 2):
                z = x.copy()
                z[i] += s
                pts[s] = g(z)
            if all(np.isfinite(v) for v in pts.values()):
                break
        else:
            raise DataError(
                f"f is not finite at x +- h e_{i} for every step h tried (down to {h[i]:.3g}) around "
                f"x = {x.tolist()}: x is on or too near the boundary of the parameter space; reparametrise "
                "(for instance optimise log(sigma) instead of sigma) or pass a smaller step"
            )
        values.update({(i, s): v for s, v in pts.items()})
    return h, values


def numerical_gradient(f, x, *, step=None):
    r"""Gradient of a scalar function by central differences with one Richardson extrapolation.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a 1-D array `x`, for instance a negative log-likelihood.
    x : array_like, shape (k,)
        The point, inside the domain of `f`.
    step : float or array_like, optional
        Absolute base step(s) :math:`h_i`. Default :math:`\epsilon^{1/5}\max(|x_i|, 1)`.

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

    Notes
    -----
    With :math:`D_i(h) = \{f(x + h e_i) - f(x - h e_i)\}/(2h) = \partial_i f + c\,h^2 + O(h^4)`,
    the extrapolated estimate cancels the :math:`h^2` term:

    .. math::
        \widehat{\partial_i f}(x) = \frac{4 D_i(h/2) - D_i(h)}{3} = \partial_i f(x) + O(h^4).

    Its relative error is typically :math:`10^{-10}` or smaller :cite:p:`higham2002accuracy`.
    Cost: :math:`4k` evaluations of `f`.

    References
    ----------
    :cite:p:`higham2002accuracy`

    Examples
    --------
    >>> f = lambda t: t[0] ** 2 + 3 * t[0] * t[1] + 2 * t[1] ** 2
    >>> numerical_gradient(f, [1.0, 2.0]).round(6)
    array([ 8., 11.])
    """
    x = as_parameter_vector(x)
    _value_at(f, x)
    g = _probe(f)
    h, v = _axis_steps(g, x, _base_steps(x, _REL_GRADIENT, step), _REL_GRADIENT)
    grad = np.empty(x.size)
    for i in range(x.size):
        d_h = (v[i, h[i]] - v[i, -h[i]]) / (2 * h[i])
        d_h2 = (v[i, h[i] / 2] - v[i, -h[i] / 2]) / h[i]
        grad[i] = (4 * d_h2 - d_h) / 3
    return grad


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
        Absolute base step(s) :math:`h_i`. Default :math:`\epsilon^{1/6}\max(|x_i|, 1)`.

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
    Cost: :math:`4k^2 + 1` evaluations of `f`.

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
    x = as_parameter_vector(x)
    f0 = _value_at(f, x)
    g = _probe(f)
    h, v = _axis_steps(g, x, _base_steps(x, _REL_HESSIAN, step), _REL_HESSIAN)
    k = x.size
    H = np.empty((k, k))
    for i in range(k):
        s_h = (v[i, h[i]] - 2 * f0 + v[i, -h[i]]) / h[i] ** 2
        s_h2 = (v[i, h[i] / 2] - 2 * f0 + v[i, -h[i] / 2]) / (h[i] / 2) ** 2
        H[i, i] = (4 * s_h2 - s_h) / 3
    for i in range(k):
        for j in range(i + 1, k):
            est = []
            for scale in (1.0, 0.5):
                hi, hj = scale * h[i], scale * h[j]
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
                est.append((vals[0] - vals[1] - vals[2] + vals[3]) / (4 * hi * hj))
            H[i, j] = H[j, i] = (4 * est[1] - est[0]) / 3
    if not np.all(np.isfinite(H)):
        raise DataError(f"the numerical Hessian at x = {x.tolist()} is not finite (overflow in f?)")
    return 0.5 * (H + H.T)

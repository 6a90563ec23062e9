"""Tests for mlelib.numdiff: numerical gradient and Hessian against analytic derivatives."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import special

from mlelib import DataError, gaussian_loglik, numerical_gradient, numerical_hessian, poisson_loglik


def _gaussian_nll(x):
    """-l(mu, sigma2) of a fixed Gaussian sample, with its analytic gradient and Hessian."""
    n = x.size

    def f(t):
        return -gaussian_loglik(x, t[0], t[1])

    def grad(t):
        mu, v = t
        r = x - mu
        return np.array([-r.sum() / v, n / (2 * v) - (r @ r) / (2 * v**2)])

    def hess(t):
        mu, v = t
        r = x - mu
        return np.array([[n / v, r.sum() / v**2], [r.sum() / v**2, -n / (2 * v**2) + (r @ r) / v**3]])

    return f, grad, hess


def _gamma_nll(x):
    """-l(shape a, rate b) of a Gamma sample: n[lgamma(a) - a log b] - (a-1) sum log x + b sum x."""
    n, slog, s = x.size, np.log(x).sum(), x.sum()

    def f(t):
        a, b = t
        return n * (special.gammaln(a) - a * np.log(b)) - (a - 1) * slog + b * s

    def grad(t):
        a, b = t
        return np.array([n * (special.digamma(a) - np.log(b)) - slog, -n * a / b + s])

    def hess(t):
        a, b = t
        return np.array([[n * special.polygamma(1, a), -n / b], [-n / b, n * a / b**2]])

    return f, grad, hess


def test_quadratic_form_is_exact():
    """f = x'Ax/2 + b'x: gradient Ax + b and Hessian A, exact up to rounding (rtol 1e-9)."""
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    A = M @ M.T + np.eye(4)
    b = rng.normal(size=4)
    x = rng.normal(size=4) * 3

    def f(t):
        return 0.5 * t @ A @ t + b @ t

    assert_allclose(numerical_gradient(f, x), A @ x + b, rtol=1e-9, atol=1e-9)
    assert_allclose(numerical_hessian(f, x), A, rtol=1e-7, atol=1e-7)


def test_gaussian_negloglik_derivatives():
    """Gaussian -l: gradient and Hessian match the analytic ones, at the MLE and away from it.

    Tolerances: gradient rtol 1e-8 (Richardson, error ~ eps^(4/5) |f| / h scale), Hessian rtol 1e-6
    (error ~ eps^(2/3) |f| / h^2); atol relative to the largest entry for entries near zero.
    """
    x = np.random.default_rng(1).normal(3.0, 2.0, size=50)
    f, grad, hess = _gaussian_nll(x)
    for t in ([x.mean(), x.var()], [2.0, 5.0], [4.5, 1.2]):
        t = np.array(t)
        g, H = grad(t), hess(t)
        assert_allclose(numerical_gradient(f, t), g, rtol=1e-8, atol=1e-8 * np.abs(g).max() + 1e-9)
        assert_allclose(numerical_hessian(f, t), H, rtol=1e-6, atol=1e-7 * np.abs(H).max())


def test_gamma_negloglik_derivatives():
    """Gamma(shape, rate) -l: gradient (digamma) and Hessian (trigamma) match, rtol 1e-8 / 1e-6."""
    x = np.random.default_rng(2).gamma(2.5, 1 / 1.7, size=80)
    f, grad, hess = _gamma_nll(x)
    for t in ([2.5, 1.7], [0.8, 0.5], [6.0, 3.0]):
        t = np.array(t)
        g, H = grad(t), hess(t)
        assert_allclose(numerical_gradient(f, t), g, rtol=1e-8, atol=1e-8 * np.abs(g).max())
        assert_allclose(numerical_hessian(f, t), H, rtol=1e-6)


def test_hessian_is_symmetric_and_one_dimensional_case():
    """The Hessian is exactly symmetric; k = 1 works (Poisson: J = sum x / lam^2)."""
    x = np.random.default_rng(3).gamma(2.0, 1.0, size=30)
    f, _, _ = _gamma_nll(x)
    H = numerical_hessian(f, [1.3, 0.9])
    assert np.array_equal(H, H.T)
    counts = np.array([2, 4, 3, 3, 0, 1])
    lam = 2.2
    J = numerical_hessian(lambda t: -poisson_loglik(counts, t[0]), [lam])
    assert J.shape == (1, 1)
    assert_allclose(J, [[counts.sum() / lam**2]], rtol=1e-8)


def test_near_the_boundary_steps_shrink():
    """Poisson rate 1e-3 (default step would cross 0): the relative step is used, J = sum x/lam^2 to 1e-6."""
    counts = np.array([2, 4, 3, 3, 0, 1])
    lam = 1e-3
    J = numerical_hessian(lambda t: -poisson_loglik(counts, t[0]), [lam])
    assert_allclose(J, [[counts.sum() / lam**2]], rtol=1e-6)
    # a variance of 1e-3 whose default step would be negative: still finite and accurate
    x = np.array([0.01, -0.02, 0.03, 0.0])
    f, grad, hess = _gaussian_nll(x)
    t = np.array([x.mean(), x.var()])
    assert_allclose(numerical_hessian(f, t), hess(t), rtol=1e-5, atol=1e-5 * np.abs(hess(t)).max())


@given(
    scale=st.floats(min_value=0.05, max_value=1e3),
    shift=st.floats(min_value=-1e3, max_value=1e3),
)
def test_scaling_of_a_smooth_function(scale, shift):
    """f(t) = exp(t0/scale) + (t1 - shift)^4 at t = (scale/2, shift + scale): analytic derivatives, rtol 1e-6.

    The default step is eps^(1/5) max(|t|, 1) and does not know the scale on which f curves; below
    scale ~ 0.05 the step is a sizeable fraction of it (documented: pass `step` or use a log scale).
    """
    t = np.array([scale / 2, shift + scale])

    def f(u):
        return np.exp(u[0] / scale) + (u[1] - shift) ** 4

    g = np.array([np.exp(0.5) / scale, 4 * scale**3])
    H = np.diag([np.exp(0.5) / scale**2, 12 * scale**2])
    assert_allclose(numerical_gradient(f, t), g, rtol=1e-6, atol=1e-9 * np.abs(g).max())
    assert_allclose(numerical_hessian(f, t), H, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def test_explicit_step():
    """A user step is honoured: with h = 1e-3 on a cubic the extrapolated derivatives are exact to 1e-9."""

    def f(t):
        return t[0] ** 3

    assert_allclose(numerical_gradient(f, [2.0], step=1e-3), [12.0], rtol=1e-9)
    assert_allclose(numerical_hessian(f, [2.0], step=[1e-3]), [[12.0]], rtol=1e-9)


def test_bad_inputs():
    """Non-finite f at x, x not 1-D / empty / non-finite, non-scalar f, bad step, boundary points."""

    def f(t):
        return float(t @ t)

    with pytest.raises(DataError, match=r"f is not finite at x = \[0.0\] \(got inf\)"):
        numerical_hessian(lambda t: -poisson_loglik([1, 2], t[0]), [0.0])
    with pytest.raises(DataError, match=r"f is not finite at x = \[1.0, 2.0\] \(got nan\)"):
        numerical_gradient(lambda t: np.nan, [1.0, 2.0])
    with pytest.raises(DataError, match=r"non-empty 1-D array .* got shape \(2, 2\)"):
        numerical_gradient(f, np.eye(2))
    with pytest.raises(DataError, match=r"got shape \(\)"):
        numerical_hessian(f, 1.0)
    with pytest.raises(DataError, match=r"got shape \(0,\)"):
        numerical_hessian(f, [])
    with pytest.raises(DataError, match=r"x must be finite, got x = \[nan, 1.0\]"):
        numerical_gradient(f, [np.nan, 1.0])
    with pytest.raises(DataError, match="could not convert"):
        numerical_gradient(f, ["a", 1.0])
    with pytest.raises(ValueError, match=r"f must return a scalar, got an array of shape \(2,\)"):
        numerical_gradient(lambda t: t, [1.0, 2.0])
    with pytest.raises(ValueError, match="step must be positive and finite"):
        numerical_hessian(f, [1.0, 2.0], step=[1e-3, 0.0])


def test_boundary_point_is_refused():
    """f finite at x but not on one side of it for any step: a DataError naming the coordinate."""

    def f(t):  # a function whose domain ends at t0 = 1
        if t[0] <= 1.0:
            return np.inf
        return float((t[0] - 1.0) ** -1 + t[1] ** 2)

    with pytest.raises(DataError, match=r"f is not finite at x \+- h e_0 for every step"):
        numerical_hessian(f, [1.0 + 1e-15, 0.0])  # a few ulps from the edge: no step resolves


def test_errors_inside_f_at_x_propagate():
    """A bug in f (an exception at x itself) is not disguised as a domain problem."""

    def f(t):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        numerical_gradient(f, [1.0])


def _logistic(n, unit, beta, seed=0):
    """-l(beta) of a logistic regression with covariate sd `unit`, and its analytic Hessian X'WX."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n) * unit])
    y = (rng.random(n) < special.expit(X @ beta)).astype(float)

    def f(b):
        eta = X @ b
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta))

    def hess(b):
        p = special.expit(X @ b)
        return (X * (p * (1 - p))[:, None]).T @ X

    return f, hess


@pytest.mark.parametrize(
    "unit, beta",
    [(1e4, [0.3, 1e-4]), (1.0, [0.3, 1.0]), (1e-4, [0.3, 1e4]), (1.0, [0.3, 1e-9]), (1e6, [-1.0, 0.0])],
)
def test_logistic_hessian_on_every_coefficient_scale(unit, beta):
    """Against the analytic X'WX: a coefficient ~1e-4 on a covariate in units of 1e4 (and its mirror
    image, 1e4 on units of 1e-4, and a coefficient exactly 0) is differentiated to rtol 1e-6 and gives
    standard errors to 1e-6. A step max(|b|, 1) * eps^(1/6) moved the linear predictor by ~24 there."""
    f, hess = _logistic(400, unit, np.array(beta))
    H = numerical_hessian(f, beta)
    Ha = hess(np.array(beta))
    assert_allclose(H, Ha, rtol=1e-6, atol=1e-6 * np.sqrt(np.outer(np.diag(Ha), np.diag(Ha))).max())
    se = np.sqrt(np.diag(np.linalg.inv(H)))
    assert_allclose(se, np.sqrt(np.diag(np.linalg.inv(Ha))), rtol=1e-6)


@pytest.mark.parametrize("offset, sd", [(0.0, 1.0), (1e9, 1.0), (1e6, 1e-3), (0.0, 1e-6), (0.0, 1e6)])
def test_gaussian_hessian_offsets_and_units(offset, sd):
    """Gaussian -l(mu, sigma2) at the MLE: the diagonal n/sigma2, n/(2 sigma2^2) to rtol 1e-8 at any offset
    (timestamps ~1e9) and unit; the off-diagonal (0 at the MLE) within 1e-4 of the geometric mean of the
    diagonal (at offset 1e9 the data themselves are known only to ~1e-7 of their spread)."""
    rng = np.random.default_rng(1)
    x = offset + sd * rng.normal(size=100)
    f, _, hess = _gaussian_nll(x)
    t = np.array([x.mean(), x.var()])
    H, Ha = numerical_hessian(f, t), hess(t)
    assert_allclose(np.diag(H), np.diag(Ha), rtol=1e-8)
    assert abs(H[0, 1]) <= 1e-4 * np.sqrt(Ha[0, 0] * Ha[1, 1])


@pytest.mark.parametrize("lam", [1e-6, 1e-3, 1.0, 1e6, 1e12])
def test_poisson_information_at_any_rate(lam):
    """-l''(lam) = sum(x) / lam^2 at the MLE, rtol 1e-8, for rates from 1e-6 to 1e12 (no max(|lam|, 1) step)."""
    rng = np.random.default_rng(2)
    c = rng.poisson(lam, size=200).astype(float)
    c[0] = max(c[0], 1.0)
    lh = c.mean()
    H = numerical_hessian(lambda t: -poisson_loglik(c, t[0]), [lh])
    assert_allclose(H, [[c.sum() / lh**2]], rtol=1e-8)
    g = numerical_gradient(lambda t: -poisson_loglik(c, t[0]), [lh])
    # the score in units of its standard deviation (at lam = 1e12, -l itself is only known to ~1 nat)
    assert abs(g[0]) * np.sqrt(lh / c.size) < 1e-3


def test_bad_f_and_complex_x():
    """A string where a callable is expected, and complex points, are clear errors."""
    with pytest.raises(TypeError, match="f must be a callable.*got 'sum'"):
        numerical_gradient("sum", [1.0])
    with pytest.raises(DataError, match="x must be real"):
        numerical_hessian(lambda t: float(t @ t), np.array([1 + 1j, 2]))
    with pytest.raises(ValueError, match="step must be positive and finite"):
        numerical_gradient(lambda t: float(t @ t), [1.0, 2.0], step=[1e-3, 1e-3, 1e-3])

"""Tests of mlelib.delta_method against closed forms, statsmodels and simulation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.discrete.discrete_model import Logit
from statsmodels.stats._delta_method import NonlinearDeltaCov

from mlelib import DataError, DeltaResult, MLEResult, delta_method, fit_logistic, gaussian_mle


def _gaussian_fit(x):
    """MLEResult of a Gaussian sample: (mu, sigma2) with the inverse information as cov."""
    mu, s2 = gaussian_mle(x)
    n = len(x)
    return MLEResult([mu, s2], np.diag([s2 / n, 2 * s2**2 / n]), -1.0, n)


@pytest.fixture(scope="module")
def logit_data():
    rng = np.random.default_rng(11)
    n = 400
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.binomial(1, 0.4, n)])
    y = rng.binomial(1, 1 / (1 + np.exp(-(X @ np.array([-0.3, 0.8, 0.6])))))
    return X, y


def test_exp_of_gaussian_mean_matches_closed_form():
    """g = exp(mu): SE = e^mu_hat SE(mu_hat) exactly (closed form); the numerical Jacobian is
    accurate to about 1e-10 relative, so 1e-8 is a safe tolerance."""
    x = np.random.default_rng(1).normal(0.7, 2.0, size=50)
    res = _gaussian_fit(x)
    d = delta_method(res, lambda t: np.exp(t[0]))
    mu, s2 = res.params
    np.testing.assert_allclose(d.estimate, [np.exp(mu)], rtol=1e-15)
    np.testing.assert_allclose(d.bse, [np.exp(mu) * np.sqrt(s2 / 50)], rtol=1e-8)
    np.testing.assert_allclose(d.jacobian, [[np.exp(mu), 0.0]], rtol=1e-8, atol=1e-12)


def test_sigma_from_variance_matches_closed_form():
    """g = sqrt(sigma2): Var = (1/(2 sigma))^2 * 2 sigma^4 / n = sigma^2 / (2n) (closed form)."""
    x = np.random.default_rng(2).normal(0.0, 3.0, size=40)
    res = _gaussian_fit(x)
    d = delta_method(res, lambda t: np.sqrt(t[1]))
    s2 = res.params[1]
    np.testing.assert_allclose(d.bse, [np.sqrt(s2 / (2 * 40))], rtol=1e-8)


def test_analytic_jacobian_agrees_with_numerical():
    """A callable jac, an array jac and the numerical Jacobian give the same covariance."""
    x = np.random.default_rng(3).normal(1.0, 1.5, size=30)
    res = _gaussian_fit(x)

    def g(t):
        return np.array([t[0] / np.sqrt(t[1]), np.log(t[1])])

    def jac(t):
        return np.array([[1 / np.sqrt(t[1]), -0.5 * t[0] * t[1] ** -1.5], [0.0, 1 / t[1]]])

    numeric = delta_method(res, g)
    analytic = delta_method(res, g, jac=jac)
    fixed = delta_method(res, g, jac=jac(res.params))
    np.testing.assert_allclose(numeric.cov, analytic.cov, rtol=1e-8, atol=1e-14)
    np.testing.assert_array_equal(analytic.cov, fixed.cov)


def test_linear_g_matches_statsmodels_t_test(logit_data):
    """For linear g(beta) = A beta the delta method is exact: A Sigma A^T, which is what
    statsmodels' t_test reports (effect and sd) for the same logistic fit."""
    X, y = logit_data
    res = fit_logistic(X, y)
    sm = Logit(y, X).fit(disp=0, tol=1e-12)
    A = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 2.0]])
    d = delta_method(res, lambda b: A @ b)
    tt = sm.t_test(A)
    np.testing.assert_allclose(d.estimate, np.ravel(tt.effect), rtol=1e-7)
    np.testing.assert_allclose(d.bse, np.ravel(tt.sd), rtol=1e-6)


def test_nonlinear_g_matches_statsmodels_nonlinear_delta_cov(logit_data):
    """Odds ratio exp(beta_2) and a fitted probability sigmoid(x0' beta): the same J Sigma J^T as
    statsmodels' NonlinearDeltaCov (which uses its own numerical derivative, accurate to ~1e-7)."""
    X, y = logit_data
    res = fit_logistic(X, y)
    x0 = np.array([1.0, 0.5, 1.0])

    def g(b):
        return np.array([np.exp(b[2]), 1 / (1 + np.exp(-(x0 @ b)))])

    d = delta_method(res, g)
    ref = NonlinearDeltaCov(g, res.params, res.cov)
    np.testing.assert_allclose(d.estimate, ref.predicted(), rtol=1e-12)
    np.testing.assert_allclose(d.cov, ref.cov(), rtol=1e-5)
    np.testing.assert_allclose(d.conf_int(), ref.conf_int(), rtol=1e-5)


def test_conf_int_is_wald():
    """conf_int is estimate -+ z se, with the alpha given; z_{0.95} = 1.6449 (standard normal)."""
    d = DeltaResult([2.0, -1.0], [[0.25, 0.0], [0.0, 4.0]], np.eye(2))
    np.testing.assert_allclose(d.conf_int(0.1), [[2 - 1.644854 * 0.5, 2 + 1.644854 * 0.5],
                                                 [-1 - 1.644854 * 2, -1 + 1.644854 * 2]], rtol=1e-6)
    with pytest.raises(DataError, match="alpha"):
        d.conf_int(1.5)


def test_delta_se_matches_simulated_spread():
    """Simulation oracle: for the exponential rate 1/mean, the delta SE from one large sample is
    within 5% of the standard deviation of g(theta_hat) over 4000 replications (MC relative
    error of an SD from 4000 draws is about 1.1%, the sample-to-sample variation of the SE
    estimate at n = 500 about 2.2%; 5% is over 2 combined standard errors)."""
    rng = np.random.default_rng(7)
    n, rate = 500, 2.0
    means = rng.exponential(1 / rate, size=(4000, n)).mean(axis=1)
    sim_sd = np.std(1 / means, ddof=1)
    m = means[0]
    res = MLEResult([m], [[m**2 / n]], -1.0, n)  # the mean's MLE and its inverse information
    d = delta_method(res, lambda t: 1 / t[0])
    np.testing.assert_allclose(d.bse[0], sim_sd, rtol=0.05)


@pytest.mark.filterwarnings("ignore:the Jacobian of g is zero")
@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=6, max_size=6),
    st.lists(st.floats(-2, 2), min_size=9, max_size=9),
)
def test_linear_g_is_exact_property(a, l):
    """Property: for any linear map A and covariance L L^T + I, delta_method returns A Sigma A^T."""
    A = np.array(a).reshape(2, 3)
    L = np.array(l).reshape(3, 3)
    cov = L @ L.T + np.eye(3)
    res = MLEResult([0.3, -1.2, 2.0], cov, 0.0, 10)
    d = delta_method(res, lambda t: A @ t)
    expected = A @ cov @ A.T
    np.testing.assert_allclose(d.cov, expected, rtol=1e-7, atol=1e-8 * (1 + np.abs(expected).max()))


def test_zero_jacobian_warns():
    """g stationary at the estimate (t^2 at 0): first-order SE is 0, said with a warning."""
    res = MLEResult([0.0], [[1.0]], 0.0, 5)
    with pytest.warns(RuntimeWarning, match="stationary"):
        d = delta_method(res, lambda t: t[0] ** 2)
    assert d.bse[0] == 0.0


def test_bad_inputs_raise_clear_errors():
    """Each bad input raises DataError naming the argument and the problem."""
    res = MLEResult([1.0, 2.0], np.eye(2), 0.0, 10)
    with pytest.raises(DataError, match="g must be a function"):
        delta_method(res, 3.0)
    with pytest.raises(DataError, match="g is not finite"):
        delta_method(res, lambda t: np.array([t[0], np.nan]))
    with pytest.raises(DataError, match="scalar or a 1-D array"):
        delta_method(res, lambda t: np.outer(t, t))
    with pytest.raises(DataError, match="number or a 1-D array"):
        delta_method(res, lambda t: "abc")
    with pytest.raises(DataError, match="raised ValueError"):
        delta_method(res, lambda t: float("x"))
    with pytest.raises(DataError, match=r"jac must have shape \(1, 2\)"):
        delta_method(res, lambda t: t[0] * t[1], jac=[1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="jac contains NaN"):
        delta_method(res, lambda t: t[0] * t[1], jac=[np.nan, 1.0])
    with pytest.raises(DataError, match="res must be a fitted result"):
        delta_method([1.0, 2.0], lambda t: t[0])

    class Fake:
        params = np.array([1.0, 2.0])
        cov = np.eye(3)

    with pytest.raises(DataError, match=r"res.cov must have shape \(2, 2\)"):
        delta_method(Fake(), lambda t: t[0])
    Fake.cov = np.array([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(DataError, match="res.cov contains NaN"):
        delta_method(Fake(), lambda t: t[0])


# issue #15: a negative variance is refused; a non-converged fit's covariance is flagged


@pytest.mark.parametrize(
    "cov, match",
    [
        ([[-0.25]], r"cov\[0, 0\] = -0.25 is negative"),
        ([[1.0, 2.0], [2.0, 1.0]], r"eigenvalue -1 < 0"),
        ([[1.0, 0.5], [0.0, 1.0]], r"cov must be symmetric"),
        ([[np.nan]], r"cov must be finite"),
    ],
)
def test_delta_result_refuses_invalid_covariance(cov, match):
    m = len(cov)
    with pytest.raises(DataError, match=match):
        DeltaResult(np.zeros(m), cov, np.eye(m))


def test_delta_result_refuses_bad_shapes():
    with pytest.raises(DataError, match=r"cov must have shape \(2, 2\)"):
        DeltaResult([1.0, 2.0], [[1.0]], np.eye(2))
    with pytest.raises(DataError, match=r"jacobian must be a finite \(1, k\) array"):
        DeltaResult([1.0], [[1.0]], [[1.0], [2.0]])
    with pytest.raises(DataError, match=r"estimate must be a finite"):
        DeltaResult([np.inf], [[1.0]], [[1.0]])


def test_delta_method_warns_on_non_converged_fit():
    """The cov of a fit with converged=False is used, but the warning names converged=False."""
    res = MLEResult([0.5, 1.0], np.diag([0.01, 0.02]), -10.0, 100, converged=False)
    with pytest.warns(RuntimeWarning, match=r"res has converged=False"):
        d = delta_method(res, lambda t: t[0] + t[1])
    assert d.bse[0] == pytest.approx(np.sqrt(0.03), rel=1e-9)  # exact for linear g
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        delta_method(MLEResult([0.5], [[0.01]], -10.0, 100), lambda t: 2 * t[0])


def test_zero_variance_by_rounding_is_not_refused():
    """g constant along a singular cov (g = a1 t0 - a0 t1, cov = a a'): J cov J' is 0 exactly but rounds to
    about -1e-17 in a quarter of the cases; that is 0 (within the rounding bound), not a negative variance."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = rng.normal(size=2)
        res = MLEResult([1.0, 2.0], np.outer(a, a), -1.0)
        d = delta_method(res, lambda t: [a[1] * t[0] - a[0] * t[1], t[0]], jac=[[a[1], -a[0]], [1.0, 0.0]])
        assert d.bse[0] <= 1e-7 * np.abs(a).max() ** 2
        assert d.bse[1] == pytest.approx(abs(a[0]), rel=1e-12)

"""Regression fitters: statsmodels and NIST agreement, bad input, separation, non-convergence, properties."""

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from mlelib import (
    DataError,
    LinearRegressionResult,
    MLEResult,
    NoFiniteMLEError,
    SeparationError,
    fit_linear,
    fit_logistic,
    fit_poisson,
    log1pexp,
    sigmoid,
)

RNG_SEED = 20261125
# statsmodels and mlelib solve the same equations with different algorithms (pinv / Newton on the
# raw design vs QR / Newton on the equilibrated information); at convergence both are exact to
# well below 1e-9 relative on these well-conditioned problems. The contract is 1e-6.
RTOL = 1e-8


def _simulated_design(rng, n, k):
    """An intercept plus k - 1 correlated Gaussian regressors on different scales."""
    Z = rng.normal(size=(n, k - 1))
    Z[:, 1:] += 0.5 * Z[:, :1]
    Z *= np.geomspace(0.1, 10.0, k - 1)
    return np.column_stack([np.ones(n), Z])


def _central_hessian(f, x, rel=1e-4):
    """Second differences of f at x with steps proportional to |x_j|: an independent reference."""
    x = np.asarray(x, dtype=float)
    h = rel * np.maximum(np.abs(x), 1e-2)
    k = x.size
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return (H + H.T) / 2


def _central_gradient(f, x, rel=1e-6):
    x = np.asarray(x, dtype=float)
    h = rel * np.maximum(np.abs(x), 1e-2)
    return np.array([(f(x + hi) - f(x - hi)) / (2 * hi[j]) for j, hi in enumerate(np.diag(h))])


# ----------------------------------------------------------------------------------------------
# linear regression


def test_linear_longley_matches_nist_certified_values():
    """NIST StRD Longley (condition number ~5e9): certified coefficients, SEs and residual SD."""
    data = sm.datasets.longley.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    res = fit_linear(X, y)
    n, k = X.shape
    cert_b = [-3482258.63459582, 15.0618722713733, -0.0358191792925910, -2.02022980381683,
              -1.03322686717359, -0.0511041056535807, 1829.15146461355]
    cert_se = [890420.383607373, 84.9149257747669, 0.0334910077722432, 0.488399681651699,
               0.214274163161675, 0.226073200069370, 455.478499142212]
    cert_sd = 304.854073561965  # sqrt(RSS / (n - k))
    # four columns (e.g. the year, mean 1954.5, SD 4.8) and y are centred internally: the condition
    # number of the column-normalised design drops from 4.3e4 to 1.2e2; 1e-13 measured (statsmodels 1.2e-11)
    assert_allclose(res.params, cert_b, rtol=1e-11)
    # bse uses the MLE RSS/n; NIST (like statsmodels) uses RSS/(n - k)
    assert_allclose(res.bse * np.sqrt(n / (n - k)), cert_se, rtol=1e-9)
    assert_allclose(np.sqrt(res.sigma2 * n / (n - k)), cert_sd, rtol=1e-13)
    assert res.param_names == tuple(X.columns)


def test_linear_longley_matches_statsmodels_ols():
    """OLS llf, params, and the covariance with scale RSS/n agree with statsmodels."""
    data = sm.datasets.longley.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    res = fit_linear(X, y)
    ols = sm.OLS(y, X).fit()
    assert_allclose(res.params, ols.params, rtol=1e-9)
    assert_allclose(res.loglik, ols.llf, rtol=1e-12)
    # statsmodels' residual SD is itself 6.6e-13 off NIST's certified value (1.3e-12 in sigma2), ours
    # 4e-15 (test above): the two can differ by that much
    assert_allclose(res.sigma2, ols.ssr / ols.nobs, rtol=3e-12)
    assert_allclose(res.cov, ols.cov_params(scale=ols.ssr / ols.nobs), rtol=1e-8)
    assert_allclose(res.bse * np.sqrt(ols.nobs / ols.df_resid), ols.bse, rtol=1e-8)
    assert_allclose([res.aic, res.bic], [ols.aic, ols.bic], rtol=1e-12)


def test_linear_simulated_matches_statsmodels():
    """Seeded simulated data, n = 5000, k = 6: params, bse (matching scale) and llf."""
    rng = np.random.default_rng(RNG_SEED)
    X = _simulated_design(rng, 5000, 6)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 0.03, -0.01]) + rng.normal(scale=1.5, size=5000)
    res = fit_linear(X, y)
    ols = sm.OLS(y, X).fit()
    assert_allclose(res.params, ols.params, rtol=RTOL)
    assert_allclose(res.bse, np.sqrt(np.diag(ols.cov_params(scale=ols.ssr / ols.nobs))), rtol=RTOL)
    assert_allclose(res.loglik, ols.llf, rtol=1e-12)
    assert isinstance(res, LinearRegressionResult) and isinstance(res, MLEResult)
    assert res.converged and res.niter is None and res.nobs == 5000


def test_linear_profile_negloglik_and_its_curvature():
    """negloglik(beta_hat) = -loglik; its gradient vanishes and its Hessian is X'X / sigma2_hat = cov^-1."""
    rng = np.random.default_rng(RNG_SEED + 1)
    X = _simulated_design(rng, 200, 3)
    y = X @ np.array([0.5, 1.0, -0.2]) + rng.normal(size=200)
    res = fit_linear(X, y)
    assert_allclose(res.negloglik(res.params), -res.loglik, rtol=1e-13)
    assert_allclose(_central_gradient(res.negloglik, res.params), 0.0, atol=1e-4)
    assert_allclose(_central_hessian(res.negloglik, res.params), np.linalg.inv(res.cov), rtol=1e-4)


def test_linear_hand_worked_example():
    """y = 1 + 2x exactly plus residuals (+1, -1, -1, +1)/10: beta = (1, 2), RSS = 0.04, sigma2 = 0.01."""
    x = np.array([0.0, 1.0, 2.0, 3.0])
    X = np.column_stack([np.ones(4), x])
    e = np.array([1.0, -1.0, -1.0, 1.0]) / 10  # orthogonal to both columns
    res = fit_linear(X, 1 + 2 * x + e)
    assert_allclose(res.params, [1.0, 2.0], rtol=1e-14)
    assert_allclose(res.sigma2, 0.01, rtol=1e-12)
    assert_allclose(res.loglik, -2 * (np.log(2 * np.pi * 0.01) + 1), rtol=1e-13)


def test_linear_perfect_fit_has_no_finite_mle():
    """y exactly in the column space (or n = k): sigma2_hat = 0 and the likelihood is unbounded."""
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    with pytest.raises(NoFiniteMLEError, match="y lies in the column space of X"):
        fit_linear(X, 3 - 0.5 * np.arange(5.0))
    with pytest.raises(NoFiniteMLEError, match="n = k = 2"):
        fit_linear(X[:2], [1.0, 5.0])


# ----------------------------------------------------------------------------------------------
# logistic regression


def test_logistic_spector_matches_statsmodels_logit():
    """statsmodels' bundled Spector & Mazzeo data: Logit params, bse, llf, aic, bic."""
    data = sm.datasets.spector.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    res = fit_logistic(X, y)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=1e-12)
    assert_allclose([res.aic, res.bic], [ref.aic, ref.bic], rtol=1e-12)
    assert res.converged and res.niter < 20


def test_logistic_simulated_matches_statsmodels_logit():
    """Seeded simulated data, n = 20000, k = 5, labels drawn from Bernoulli(sigmoid(X beta))."""
    rng = np.random.default_rng(RNG_SEED)
    X = _simulated_design(rng, 20000, 5)
    beta = np.array([-0.5, 1.0, -0.3, 0.05, 0.02])
    y = rng.binomial(1, sigmoid(X @ beta))
    res = fit_logistic(X, y)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=1e-12)


def test_logistic_score_zero_and_information_at_the_mle():
    """At the MLE the numerical gradient of negloglik is 0 and its Hessian is cov^-1 (negative-definite loglik)."""
    rng = np.random.default_rng(RNG_SEED + 2)
    X = _simulated_design(rng, 300, 3)
    y = rng.binomial(1, sigmoid(X @ np.array([0.3, -1.0, 0.2])))
    res = fit_logistic(X, y)
    assert_allclose(res.negloglik(res.params), -res.loglik, rtol=1e-13)
    assert_allclose(_central_gradient(res.negloglik, res.params), 0.0, atol=1e-5)
    H = _central_hessian(res.negloglik, res.params)
    assert_allclose(H, np.linalg.inv(res.cov), rtol=1e-4)
    assert np.all(np.linalg.eigvalsh(H) > 0)


def test_logistic_extreme_linear_predictor_is_stable():
    """A strong but non-separating predictor (|X beta| up to ~40): no overflow warning, finite loglik."""
    rng = np.random.default_rng(RNG_SEED + 3)
    x = rng.normal(scale=10.0, size=4000)
    X = np.column_stack([np.ones_like(x), x])
    y = rng.binomial(1, sigmoid(1.0 * x))
    res = fit_logistic(X, y)
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    # negloglik far out along the coefficients stays finite (log1p(exp) form, no exp overflow)
    assert np.isfinite(res.negloglik(1e3 * res.params))


def test_sigmoid_and_log1pexp_extremes():
    """sigmoid and log(1 + e^z) are exact at the extremes where naive formulas overflow or round to 0."""
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    assert_allclose(sigmoid(z), [0.0, np.exp(-40.0), 0.5, 1.0, 1.0], rtol=1e-15, atol=0)
    assert_allclose(log1pexp(z), [0.0, np.exp(-40.0), np.log(2.0), 40.0, 1000.0], rtol=1e-15, atol=0)


def test_logistic_complete_separation_raises():
    """The source's example y = (X @ w > 0) is linearly separable: no finite MLE exists."""
    rng = np.random.default_rng(RNG_SEED)
    X = rng.normal(size=(200, 5))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) > 0).astype(float)
    with pytest.raises(SeparationError, match="complete separation") as info:
        fit_logistic(X, y)
    assert "quasi" not in str(info.value)
    assert isinstance(info.value, NoFiniteMLEError) and isinstance(info.value, ValueError)


def test_logistic_quasi_complete_separation_raises():
    """x > 0 => y = 1 and x < 0 => y = 0, with both labels at x = 0: quasi-complete separation."""
    rng = np.random.default_rng(RNG_SEED)
    x = np.r_[rng.normal(size=40), np.zeros(10)]
    y = np.r_[(x[:40] > 0).astype(float), np.tile([0.0, 1.0], 5)]
    X = np.column_stack([np.ones(50), x, rng.normal(size=50)])
    with pytest.raises(SeparationError, match="quasi-complete separation.*10 of 50 observations on the boundary"):
        fit_logistic(X, y)


def test_logistic_one_category_of_a_dummy_all_ones_is_quasi_separation():
    """A dummy whose 'on' group has only y = 1 (a common real-data case) is quasi-complete separation."""
    rng = np.random.default_rng(RNG_SEED + 4)
    d = (rng.random(300) < 0.2).astype(float)
    y = np.where(d == 1, 1.0, rng.binomial(1, 0.4, size=300))
    X = np.column_stack([np.ones(300), d, rng.normal(size=300)])
    with pytest.raises(SeparationError, match="quasi-complete"):
        fit_logistic(X, y)


def test_logistic_all_labels_equal_raises():
    """All y = 1 with an intercept: the intercept runs to +inf."""
    X = np.column_stack([np.ones(6), np.arange(6.0)])
    with pytest.raises(SeparationError, match=r"all 6 labels are 1.*constant column x0 tends to \+inf"):
        fit_logistic(X, np.ones(6))


def test_logistic_all_labels_equal_without_intercept_can_have_an_mle():
    """All y = 1 but a single regressor of both signs and no intercept: l(b) -> -inf both ways, finite MLE."""
    x = np.array([-1.0, -0.5, 0.5, 1.0, 2.0])
    res = fit_logistic(x[:, None], np.ones(5))
    assert res.converged
    # score equation sum_i x_i (1 - sigmoid(x_i b)) = 0
    assert abs(np.sum(x * sigmoid(-x * res.params[0]))) < 1e-10


def test_logistic_nonconvergence_warns():
    """maxiter=1 cannot meet the tolerance: converged=False and a RuntimeWarning, never silence."""
    data = sm.datasets.spector.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    with pytest.warns(RuntimeWarning, match="fit_logistic did not converge: reached maxiter=1"):
        res = fit_logistic(X, y, maxiter=1)
    assert not res.converged and res.niter == 1


# ----------------------------------------------------------------------------------------------
# Poisson regression


def test_poisson_randhie_matches_statsmodels_poisson():
    """statsmodels' bundled RAND health insurance data (n = 20190, k = 10): Poisson params, bse, llf."""
    data = sm.datasets.randhie.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    res = fit_poisson(X, y)
    ref = sm.Poisson(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=1e-12)
    assert_allclose([res.aic, res.bic], [ref.aic, ref.bic], rtol=1e-12)


def test_poisson_simulated_matches_statsmodels_poisson():
    """Seeded simulated counts, n = 5000, k = 4, with large means (up to ~e^6)."""
    rng = np.random.default_rng(RNG_SEED)
    X = _simulated_design(rng, 5000, 4)
    y = rng.poisson(np.exp(X @ np.array([3.0, 0.5, -0.2, 0.01])))
    res = fit_poisson(X, y)
    ref = sm.Poisson(y, X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=1e-12)


def test_poisson_score_zero_and_information_at_the_mle():
    """Numerical gradient of negloglik is 0 at the MLE and its Hessian is cov^-1."""
    rng = np.random.default_rng(RNG_SEED + 5)
    X = _simulated_design(rng, 300, 3)
    y = rng.poisson(np.exp(X @ np.array([0.5, 0.3, -0.1])))
    res = fit_poisson(X, y)
    assert_allclose(res.negloglik(res.params), -res.loglik, rtol=1e-13)
    assert_allclose(_central_gradient(res.negloglik, res.params), 0.0, atol=1e-5)
    assert_allclose(_central_hessian(res.negloglik, res.params), np.linalg.inv(res.cov), rtol=1e-4)


def test_poisson_intercept_only_is_log_mean():
    """With only an intercept the MLE is log(ybar) and its standard error 1/sqrt(n ybar)."""
    y = np.array([0, 3, 1, 4, 2, 2])
    res = fit_poisson(np.ones((6, 1)), y)
    assert_allclose(res.params, [np.log(2.0)], rtol=1e-12)
    assert_allclose(res.bse, [1 / np.sqrt(12.0)], rtol=1e-10)


def test_poisson_all_zero_counts_have_no_finite_mle():
    """All counts 0 with an intercept: the intercept runs to -inf."""
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    with pytest.raises(NoFiniteMLEError, match="all 5 counts are zero.*constant column x0 tends to -inf"):
        fit_poisson(X, np.zeros(5))


def test_poisson_dummy_only_on_zero_counts_has_no_finite_mle():
    """A dummy that is 1 only where y = 0: its coefficient runs to -inf (certified by the LP)."""
    rng = np.random.default_rng(RNG_SEED + 6)
    d = (rng.random(200) < 0.1).astype(float)
    y = np.where(d == 1, 0, rng.poisson(2.0, size=200))
    X = np.column_stack([np.ones(200), d, rng.normal(size=200)])
    with pytest.raises(NoFiniteMLEError, match=r"no finite MLE: along the direction b = \[x1=-1\]"):
        fit_poisson(X, y)


def test_poisson_all_zero_counts_without_intercept_can_have_an_mle():
    """All counts 0, one regressor of both signs, no intercept: -sum exp(x_i b) has a finite maximiser."""
    x = np.array([-1.0, -0.5, 1.0, 2.0])
    res = fit_poisson(x[:, None], np.zeros(4))
    assert res.converged
    assert abs(np.sum(x * np.exp(x * res.params[0]))) < 1e-10


def test_poisson_nonconvergence_warns():
    """maxiter=1: converged=False and a RuntimeWarning."""
    data = sm.datasets.randhie.load_pandas()
    X, y = sm.add_constant(data.exog), data.endog
    with pytest.warns(RuntimeWarning, match="fit_poisson did not converge: reached maxiter=1"):
        res = fit_poisson(X, y, maxiter=1)
    assert not res.converged


# ----------------------------------------------------------------------------------------------
# bad input, every fitter


FITTERS = [fit_linear, fit_logistic, fit_poisson]
X_OK = np.column_stack([np.ones(6), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]])
Y_OK = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
X_NAN = X_OK.copy()
X_NAN[3, 0] = np.nan
X_INF = X_OK.copy()
X_INF[4, 1] = -np.inf


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.arange(6.0), Y_OK, r"X must be a 2-D design matrix .* got 1-D with shape \(6,\)"),
        (np.ones((6, 2, 1)), Y_OK, "X must be a 2-D design matrix"),
        (np.empty((0, 2)), np.empty(0), r"X is empty \(shape \(0, 2\)\)"),
        (np.empty((6, 0)), Y_OK, r"X is empty \(shape \(6, 0\)\)"),
        (X_OK, np.empty(0), "y is empty"),
        (X_OK, Y_OK[:5], "X has 6 rows but y has 5 entries"),
        (X_OK, Y_OK[:, None], "y must be 1-D"),
        (X_NAN, Y_OK, r"X contains 1 non-finite value.*first nan at row 3, column 0"),
        (X_INF, Y_OK, r"X contains 1 non-finite value.*first -inf at row 4, column 1"),
        (X_OK, np.r_[Y_OK[:5], np.nan], r"y contains 1 non-finite value.*position\(s\) \[5\]"),
        ([["a", "b"]] * 6, Y_OK, "X must be numeric"),
        (np.column_stack([X_OK, 2 * X_OK[:, 1]]), Y_OK, r"rank-deficient: numerical matrix rank 2 < 3 columns.*x1, x2"),
        (np.column_stack([X_OK, np.zeros(6)]), Y_OK, "rank-deficient: column.* x2 are all zeros"),
        (np.ones((2, 3)), Y_OK[:2], r"fewer rows \(2\) than columns \(3\)"),
    ],
)
def test_bad_input_is_rejected_with_a_message(fitter, X, y, message):
    """Every fitter rejects malformed input with a DataError that names the problem."""
    with pytest.raises(DataError, match=message):
        fitter(X, y)


@pytest.mark.parametrize("labels", [[0, 1, 2, 0, 1, 0], [0, 1, 0.5, 0, 1, 0], [0, 1, -1, 0, 1, 0]])
def test_logistic_rejects_labels_other_than_0_1(labels):
    """Labels must be 0/1: the message shows the first bad value and its position."""
    bad = [v for v in labels if v not in (0, 1)][0]
    with pytest.raises(DataError, match=rf"labels 0 or 1.*first {bad:g} at position 2"):
        fit_logistic(X_OK, labels)


def test_logistic_accepts_booleans():
    """Boolean labels are 0/1 labels."""
    y = np.array([False, True, False, True, True, False, True, False])
    X = np.column_stack([np.ones(8), np.arange(8.0)])
    assert_allclose(fit_logistic(X, y).params, fit_logistic(X, y.astype(float)).params, rtol=0)


@pytest.mark.parametrize(("counts", "bad"), [([0, 1, 2.5, 3, 1, 0], "2.5"), ([0, 1, -1, 3, 1, 0], "-1")])
def test_poisson_rejects_negative_and_non_integer_counts(counts, bad):
    """2.5 is an error (never truncated), as is -1."""
    with pytest.raises(DataError, match=rf"non-negative integer counts.*first {bad} at position 2"):
        fit_poisson(X_OK, counts)


@pytest.mark.parametrize("fitter", [fit_logistic, fit_poisson])
def test_bad_options_are_rejected(fitter):
    """tol must be positive, maxiter a positive integer."""
    with pytest.raises(ValueError, match="tol must be a positive finite number"):
        fitter(X_OK, Y_OK, tol=0.0)
    with pytest.raises(ValueError, match="maxiter must be a positive integer"):
        fitter(X_OK, Y_OK, maxiter=0)


def test_param_names_from_argument_and_dataframe():
    """Names come from param_names, else a DataFrame's columns, else x0..x{k-1}; a wrong count is an error."""
    frame = pd.DataFrame(X_OK, columns=["const", "dose"])
    assert fit_poisson(frame, [1, 0, 2, 3, 5, 4]).param_names == ("const", "dose")
    assert fit_poisson(X_OK, [1, 0, 2, 3, 5, 4], param_names=["a", "b"]).param_names == ("a", "b")
    assert fit_poisson(X_OK, [1, 0, 2, 3, 5, 4]).param_names == ("x0", "x1")
    with pytest.raises(DataError, match=r"param_names has 3 entries \['a', 'b', 'c'\] but X has 2 columns"):
        fit_linear(X_OK, Y_OK, param_names=["a", "b", "c"])


# ----------------------------------------------------------------------------------------------
# memory: never an n x n matrix


@pytest.mark.parametrize("fitter", FITTERS)
def test_memory_is_linear_in_n(fitter):
    """Peak extra memory for n = 20000, k = 5 stays below 10 copies of X (an n x n float matrix would be 3.2 GB)."""
    rng = np.random.default_rng(RNG_SEED)
    n, k = 20000, 5
    X = _simulated_design(rng, n, k)
    eta = X @ np.array([0.2, 0.3, -0.2, 0.05, 0.01])
    y = {fit_linear: eta + rng.normal(size=n), fit_logistic: rng.binomial(1, sigmoid(eta)),
         fit_poisson: rng.poisson(np.exp(eta))}[fitter]
    tracemalloc.start()
    try:
        fitter(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * X.nbytes


# ----------------------------------------------------------------------------------------------
# properties


def _data_for(fitter, seed, n=120):
    rng = np.random.default_rng(seed)
    X = _simulated_design(rng, n, 3)
    eta = X @ np.array([0.3, 0.8, -0.1])
    if fitter is fit_linear:
        return X, eta + rng.normal(size=n)
    if fitter is fit_logistic:
        return X, rng.binomial(1, sigmoid(eta)).astype(float)
    return X, rng.poisson(np.exp(eta)).astype(float)


@pytest.mark.parametrize("fitter", FITTERS)
@settings(max_examples=15)
@given(seed=st.integers(0, 10_000))
def test_permuting_rows_leaves_the_fit_unchanged(fitter, seed):
    """The likelihood is a sum over observations, so row order cannot matter."""
    X, y = _data_for(fitter, seed)
    try:
        base = fitter(X, y)
    except NoFiniteMLEError:  # a rare separated draw: permuting cannot change that either
        perm = np.random.default_rng(seed).permutation(y.size)
        with pytest.raises(NoFiniteMLEError):
            fitter(X[perm], y[perm])
        return
    perm = np.random.default_rng(seed).permutation(y.size)
    other = fitter(X[perm], y[perm])
    assert_allclose(other.params, base.params, rtol=1e-9, atol=1e-12)
    assert_allclose(other.bse, base.bse, rtol=1e-9)
    assert_allclose(other.loglik, base.loglik, rtol=1e-12)


@pytest.mark.parametrize("fitter", FITTERS)
@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), column=st.integers(1, 2), log10c=st.floats(-3, 3))
def test_scaling_a_column_by_c_scales_its_coefficient_by_1_over_c(fitter, seed, column, log10c):
    """X beta is unchanged when column j is multiplied by c and beta_j divided by c (same for its SE)."""
    X, y = _data_for(fitter, seed)
    c = 10.0**log10c
    Xc = X.copy()
    Xc[:, column] *= c
    try:
        base = fitter(X, y)
    except NoFiniteMLEError:
        return
    scaled = fitter(Xc, y)
    factor = np.ones(3)
    factor[column] = 1 / c
    assert_allclose(scaled.params, base.params * factor, rtol=1e-8, atol=1e-12)
    assert_allclose(scaled.bse, base.bse * factor, rtol=1e-8)
    assert_allclose(scaled.loglik, base.loglik, rtol=1e-12)


def test_no_warnings_on_well_posed_problems():
    """A clean fit emits nothing on stderr (pytest turns warnings into errors; this makes it explicit)."""
    X, y = _data_for(fit_poisson, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fitter in FITTERS:
            fitter(*_data_for(fitter, 1))


# ----------------------------------------------------------------------------------------------
# the fast paths of the GLM fitters (see benchmarks/README.md): same answers as the plain ones


def test_chunked_weighted_gram_equals_the_plain_product():
    """From two blocks of rows on, X'WX is summed as syrk blocks; it must equal X.T @ (X * w)."""
    from mlelib.regression import _GRAM_BLOCK, _weighted_gram

    rng = np.random.default_rng(RNG_SEED)
    n = 2 * _GRAM_BLOCK + 123  # a ragged last block
    X = rng.normal(size=(n, 4)) * [1.0, 10.0, 0.1, 1e3]
    w = rng.random(n)
    w[::7] = 0.0  # observations with zero weight (fitted p of 0 or 1) are allowed
    H = _weighted_gram(X, w)
    assert_allclose(H, X.T @ (X * w[:, None]), rtol=1e-12)
    assert np.array_equal(H, H.T)


@pytest.mark.parametrize("log10_cond", [0, 3, 6, 8, 10, 12, 14, 17])
def test_rank_verdict_of_the_gram_fast_path_matches_the_qr_verdict(log10_cond):
    """The Gram-matrix shortcut never changes the QR rank verdict, and returns R with R'R = X'X."""
    from mlelib.regression import _check_rank, _full_rank_factor

    rng = np.random.default_rng(log10_cond)
    n = 500
    X = _simulated_design(rng, n, 4)
    # the last column = the second + a perturbation of relative size 10**-log10_cond
    X[:, 3] = X[:, 1] + 10.0**-log10_cond * np.linalg.norm(X[:, 1]) / np.sqrt(n) * rng.normal(size=n)
    names = ("a", "b", "c", "d")
    try:
        _check_rank(np.linalg.qr(X, mode="r"), n, names)
        qr_says_full_rank = True
    except DataError:
        qr_says_full_rank = False
    if qr_says_full_rank:
        R, G = _full_rank_factor(X, names)
        assert_allclose(R.T @ R, X.T @ X, rtol=1e-10, atol=1e-10 * np.abs(G).max())
        assert np.allclose(R, np.triu(R))
    else:
        with pytest.raises(DataError, match="rank-deficient"):
            _full_rank_factor(X, names)

"""Tests for mlelib.robust: sandwich (HC0) covariance and jackknife / bootstrap bias corrections."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from hypothesis import given
from hypothesis import strategies as st

from mlelib import (
    DataError,
    bootstrap_bias,
    fit_linear,
    fit_logistic,
    fit_poisson,
    glm_sandwich_cov,
    jackknife_bias,
    sandwich_cov,
)


def _design(rng, n=400):
    return np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, size=n)])


# ---------------------------------------------------------------------------------------------
# sandwich covariance vs statsmodels HC0


def test_poisson_sandwich_matches_statsmodels_hc0():
    """Poisson regression on overdispersed (negative binomial) counts: HC0 equals statsmodels' to 1e-6."""
    rng = np.random.default_rng(1)
    X = _design(rng)
    mu = np.exp(X @ np.array([0.5, 0.3, -0.4]))
    y = rng.negative_binomial(2, 2 / (2 + mu)).astype(float)
    res = fit_poisson(X, y)
    ref = sm.Poisson(y, X).fit(disp=0, cov_type="HC0", tol=1e-12)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-7)
    np.testing.assert_allclose(glm_sandwich_cov(X, y, res, family="poisson"), ref.cov_params(), rtol=1e-6)


def test_logistic_sandwich_matches_statsmodels_hc0():
    """Logistic regression: HC0 equals statsmodels' Logit(...).fit(cov_type='HC0') to 1e-6."""
    rng = np.random.default_rng(2)
    X = _design(rng)
    y = (rng.uniform(size=X.shape[0]) < 1 / (1 + np.exp(-X @ np.array([-0.2, 1.0, 0.5])))).astype(float)
    res = fit_logistic(X, y)
    ref = sm.Logit(y, X).fit(disp=0, cov_type="HC0", tol=1e-12)
    np.testing.assert_allclose(glm_sandwich_cov(X, y, res.params, family="logistic"), ref.cov_params(), rtol=1e-6)


def test_linear_sandwich_matches_statsmodels_ols_hc0():
    """Heteroscedastic linear model: HC0 equals statsmodels' OLS(...).fit(cov_type='HC0') to 1e-6."""
    rng = np.random.default_rng(3)
    X = _design(rng)
    y = X @ np.array([1.0, 2.0, -1.0]) + rng.normal(size=X.shape[0]) * (0.2 + np.abs(X[:, 1]))
    res = fit_linear(X, y)
    ref = sm.OLS(y, X).fit(cov_type="HC0")
    np.testing.assert_allclose(glm_sandwich_cov(X, y, res, family="linear"), ref.cov_params(), rtol=1e-6)


def test_sandwich_reduces_to_inverse_information_when_meat_equals_bread():
    """If sum_i s_i s_i^T equals the Hessian J, the sandwich is exactly J^{-1}."""
    rng = np.random.default_rng(4)
    S = rng.normal(size=(50, 3))
    J = S.T @ S
    np.testing.assert_allclose(sandwich_cov(S, J), np.linalg.inv(J), rtol=1e-10)


def test_sandwich_one_parameter_closed_form():
    """Poisson mean: sandwich variance is sum (y_i - ybar)^2 / n^2; a 1-D score and scalar Hessian work."""
    y = np.array([0.0, 3.0, 1.0, 7.0, 2.0, 0.0])
    lam = y.mean()
    got = sandwich_cov(y / lam - 1.0, y.size / lam)
    np.testing.assert_allclose(got, [[np.sum((y - lam) ** 2) / y.size**2]], rtol=1e-12)


@given(st.integers(min_value=2, max_value=40), st.integers(min_value=1, max_value=4), st.integers(0, 10**6))
def test_sandwich_is_symmetric_psd(n, k, seed):
    """For any scores and any SPD Hessian the sandwich is symmetric positive semi-definite."""
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(n, k))
    A = rng.normal(size=(k, k))
    H = A @ A.T + k * np.eye(k)
    C = sandwich_cov(S, H)
    np.testing.assert_array_equal(C, C.T)
    assert np.linalg.eigvalsh(C).min() >= -1e-12 * np.abs(C).max()


@pytest.mark.parametrize(
    "scores, hessian, message",
    [
        (np.ones((4, 2)), np.eye(3), r"hessian must have shape \(2, 2\) to match scores with 2 columns"),
        (np.ones((4, 2, 1)), np.eye(2), r"scores must be a 2-D array of shape \(n, k\)"),
        (np.ones((4, 2)), np.array([[1.0, 0.5], [0.0, 1.0]]), "hessian must be symmetric"),
        (np.ones((4, 2)), np.array([[1.0, 0.0], [0.0, -2.0]]), "positive definite.*smallest eigenvalue is -2"),
        (np.array([[1.0, np.nan]]), np.eye(2), "scores contains non-finite values"),
        (np.ones((4, 2)), [["a", "b"], ["c", "d"]], "hessian must be numeric"),
    ],
)
def test_sandwich_bad_input(scores, hessian, message):
    """Bad shapes, asymmetric or indefinite Hessians and NaNs raise DataError saying what is wrong."""
    with pytest.raises(DataError, match=message):
        sandwich_cov(scores, hessian)


@pytest.mark.parametrize(
    "X, y, params, family, message",
    [
        (np.ones((3, 2)), np.ones(3), np.zeros(2), "gamma", "family must be one of"),
        (np.ones(3), np.ones(3), np.zeros(1), "poisson", r"X must be a 2-D design matrix"),
        (np.ones((3, 2)), np.ones(4), np.zeros(2), "poisson", r"X has 3 rows but y has 4 entries"),
        (np.ones((3, 2)), np.ones(3), np.zeros(3), "logistic", r"params must have shape \(2,\)"),
    ],
)
def test_glm_sandwich_bad_input(X, y, params, family, message):
    """Unknown family and mismatched shapes raise DataError naming the expected shape."""
    with pytest.raises(DataError, match=message):
        glm_sandwich_cov(X, y, params, family=family)


# ---------------------------------------------------------------------------------------------
# jackknife and bootstrap


@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30))
def test_jackknife_of_variance_mle_is_unbiased_variance(values):
    """The jackknife correction of sigma2_hat = mean (x - xbar)^2 is exactly the n-1 divisor."""
    x = np.array(values)
    jk = jackknife_bias(np.var, x)
    np.testing.assert_allclose(jk.corrected, np.var(x, ddof=1), rtol=1e-9, atol=1e-9 * (1 + np.var(x)))


def test_jackknife_vectorized_equals_loop_and_se_of_mean():
    """Vectorized and looped jackknife agree; for the mean, bias is 0 and se is s / sqrt(n)."""
    x = np.random.default_rng(5).exponential(size=25)
    loop = jackknife_bias(np.mean, x)
    vec = jackknife_bias(lambda s: s.mean(axis=-1), x, vectorized=True)
    np.testing.assert_allclose(vec.replicates, loop.replicates, rtol=1e-14)
    assert abs(loop.bias) < 1e-13
    np.testing.assert_allclose(loop.se, x.std(ddof=1) / np.sqrt(x.size), rtol=1e-12)


def test_jackknife_vector_valued_estimator():
    """An estimator returning (mean, variance) gets a bias per component: 0 for the mean, -s^2/n for the variance."""
    x = np.array([2.0, 3.0, 5.0, 11.0, 13.0])
    jk = jackknife_bias(lambda s: np.array([s.mean(), s.var()]), x)
    np.testing.assert_allclose(jk.bias, [0.0, -np.var(x, ddof=1) / x.size], atol=1e-12)


def test_bootstrap_reproducible_with_seed_and_close_to_exact_bias():
    """Same seed -> identical result; the bootstrap bias of sigma2_hat is near its plug-in value -sigma2_hat/n."""
    x = np.random.default_rng(6).normal(size=20)
    a = bootstrap_bias(np.var, x, np.random.default_rng(7), n_boot=4000)
    b = bootstrap_bias(lambda s: s.var(axis=-1), x, np.random.default_rng(7), n_boot=4000, vectorized=True)
    assert a.corrected == b.corrected
    np.testing.assert_array_equal(a.replicates, b.replicates)
    # exact bootstrap expectation of the resampled variance is (1 - 1/n) var(x); MC error ~ se / sqrt(B)
    exact = -np.var(x) / x.size
    assert abs(a.bias - exact) < 4 * a.se / np.sqrt(4000)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: jackknife_bias(np.var, [1.0]), DataError, "at least 2 observations"),
        (lambda: jackknife_bias(np.var, [[1.0, 2.0]]), DataError, "must be 1-D"),
        (lambda: jackknife_bias(np.var, [1.0, 2.0, 3.0], vectorized=True), DataError, "one value per row"),
        (lambda: bootstrap_bias(np.var, [1.0, 2.0], 42), TypeError, "rng must be a numpy.random.Generator"),
        (lambda: bootstrap_bias(np.var, [1.0, 2.0], np.random.default_rng(0), n_boot=1), ValueError, "n_boot"),
        (lambda: bootstrap_bias(np.var, [1.0, np.inf], np.random.default_rng(0)), DataError, "non-finite"),
    ],
)
def test_bias_correction_bad_input(call, error, message):
    """Too few observations, a non-Generator rng, a bad n_boot or a non-vectorized estimator are rejected."""
    with pytest.raises(error, match=message):
        call()


def test_jackknife_memory_is_linear_in_n():
    """n = 20 000: the default path's peak extra memory (tracemalloc) stays below 5 MB, where the
    (n, n-1) leave-one-out matrix would take 3.2 GB; the result equals the closed form of the jackknife
    of the mean (bias 0, se = s / sqrt(n)) to rtol 1e-9."""
    import tracemalloc

    x = np.random.default_rng(5).normal(size=20_000)
    tracemalloc.start()
    try:
        jk = jackknife_bias(np.mean, x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5e6 < 8 * x.size * (x.size - 1)
    assert abs(jk.bias) < 1e-9 * np.abs(x).max()
    assert_allclose(jk.se, x.std(ddof=1) / np.sqrt(x.size), rtol=1e-9)


def test_jackknife_estimator_may_modify_its_input():
    """An estimator that sorts in place gets a fresh copy each time: same answer as a pure one."""

    def median_in_place(s):
        s.sort()
        return s[s.size // 2] if s.size % 2 else 0.5 * (s[s.size // 2 - 1] + s[s.size // 2])

    x = np.array([3.0, 1.0, 4.0, 1.5, 9.0, 2.6])
    a = jackknife_bias(median_in_place, x.copy())
    b = jackknife_bias(np.median, x)
    assert_allclose(a.replicates, b.replicates, rtol=0)
    assert_allclose([a.bias, a.se], [b.bias, b.se], rtol=1e-14)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: jackknife_bias("mean", [1.0, 2.0]), TypeError, "estimator must be a callable.*got 'mean'"),
        (lambda: bootstrap_bias(None, [1.0, 2.0], np.random.default_rng(0)), TypeError, "estimator must be a callable"),
        (lambda: jackknife_bias(np.mean, [1.0 + 1j, 2.0]), DataError, "x must be real"),
        (lambda: sandwich_cov(np.ones((3, 1), dtype=complex), [[1.0]]), DataError, "scores must be real"),
        (lambda: glm_sandwich_cov(np.ones((3, 1)), [1, 0, 1], [0.0], family=None), DataError, "family must be one of"),
    ],
)
def test_bad_inputs_are_clear(call, error, message):
    with pytest.raises(error, match=message):
        call()


# issue #15: flags must be bools; ragged estimator outputs are refused by name


@pytest.mark.parametrize("fn", ["jackknife", "bootstrap"])
@pytest.mark.parametrize("flag", ["no", 1, None])
def test_vectorized_must_be_bool(fn, flag):
    """vectorized='no' used to be truthy and take the vectorized path; now a TypeError naming it."""
    x = np.arange(5.0)
    with pytest.raises(TypeError, match=r"vectorized must be True or False.*" + repr(flag).replace("'", "'")):
        if fn == "jackknife":
            jackknife_bias(np.mean, x, vectorized=flag)
        else:
            bootstrap_bias(np.mean, x, np.random.default_rng(0), n_boot=10, vectorized=flag)


def test_ragged_estimator_output_is_refused_with_its_shapes():
    """np.unique returns a different length per leave-one-out sample: no componentwise bias exists."""
    x = np.array([1.0, 1.0, 2.0, 3.0])
    with pytest.raises(DataError, match=r"same shape for every sample.*\(3,\).*\(2,\) on leave-one-out sample 2"):
        jackknife_bias(np.unique, x)
    with pytest.raises(DataError, match=r"same shape for every sample.*bootstrap resample"):
        bootstrap_bias(np.unique, x, np.random.default_rng(0), n_boot=50)
    with pytest.raises(DataError, match=r"shape it returns on the full sample \(\)"):
        jackknife_bias(lambda s: s.sum() if s.ndim == 1 else s[:, :2], x, vectorized=True)

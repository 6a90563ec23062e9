"""glm_lr_test refuses fits to different data or dispersions, and uses chi2 for a known scale (issue 15)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from mlelib import DataError, fit_glm, glm_lr_test

RNG = np.random.default_rng(15)
N = 60
X = np.column_stack([np.ones(N), RNG.normal(size=N), RNG.normal(size=N)])
Y_POIS = RNG.poisson(np.exp(0.3 + 0.4 * X[:, 1]))
Y_GAUSS = 1.0 + 0.5 * X[:, 1] + RNG.normal(size=N)


def test_refuses_fits_to_different_y():
    other = Y_POIS.copy()
    other[0] += 1
    with pytest.raises(DataError, match="different y"):
        glm_lr_test(fit_glm(X[:, :2], other, "poisson"), fit_glm(X, Y_POIS, "poisson"))


def test_refuses_fits_with_different_offsets():
    off = np.full(N, 0.1)
    with pytest.raises(DataError, match="different offset"):
        glm_lr_test(fit_glm(X[:, :2], Y_POIS, "poisson", offset=off), fit_glm(X, Y_POIS, "poisson"))


def test_refuses_fits_with_different_trials():
    trials = np.full(N, 5)
    k = np.minimum(Y_POIS, 5)
    with pytest.raises(DataError, match="different trials"):
        glm_lr_test(
            fit_glm(X[:, :2], k, "binomial", trials=trials),
            fit_glm(X, k, "binomial", trials=trials + np.r_[1, np.zeros(N - 1, int)]),
        )


def test_refuses_mixing_pearson_and_unit_scale():
    with pytest.raises(DataError, match="different dispersions"):
        glm_lr_test(fit_glm(X[:, :2], Y_POIS, "poisson", scale="pearson"), fit_glm(X, Y_POIS, "poisson"))


def test_gaussian_known_scale_is_a_chi2_test_of_the_rss_drop():
    sigma2 = 0.7
    r = fit_glm(X[:, :2], Y_GAUSS, "gaussian", scale=sigma2)
    f = fit_glm(X, Y_GAUSS, "gaussian", scale=sigma2)
    # oracle: residual sums of squares by least squares (numpy), statistic (RSS_r - RSS_f)/sigma^2 ~ chi2_1
    rss = [np.sum((Y_GAUSS - A @ np.linalg.lstsq(A, Y_GAUSS, rcond=None)[0]) ** 2) for A in (X[:, :2], X)]
    stat = (rss[0] - rss[1]) / sigma2
    test = glm_lr_test(r, f)
    assert test.distribution == "chi2" and test.df == 1
    assert_allclose(test.statistic, stat, rtol=1e-10)
    assert_allclose(test.pvalue, stats.chi2.sf(stat, 1), rtol=1e-10)


def test_poisson_fixed_numeric_scale_is_chi2_of_the_scaled_deviance_drop():
    phi = 2.5
    r0, f0 = fit_glm(X[:, :2], Y_POIS, "poisson"), fit_glm(X, Y_POIS, "poisson")
    test = glm_lr_test(fit_glm(X[:, :2], Y_POIS, "poisson", scale=phi), fit_glm(X, Y_POIS, "poisson", scale=phi))
    # oracle: the unit-scale LR statistic (= deviance drop, tested against statsmodels elsewhere) divided by phi
    stat = glm_lr_test(r0, f0).statistic / phi
    assert test.distribution == "chi2"
    assert_allclose(test.statistic, stat, rtol=1e-10)
    assert_allclose(test.pvalue, stats.chi2.sf(stat, 1), rtol=1e-10)

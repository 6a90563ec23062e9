"""Second adversarial round on the GLM core: far starts, extreme means, exact fits, large counts, Firth profiles."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import optimize, stats

import mlelib as ml
from mlelib import DataError, NoFiniteMLEError, SeparationError, fit_glm


def _xy(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return rng, x, np.column_stack([np.ones(n), x])


@pytest.mark.parametrize("start", [[-25.0, 0.0], [-30.0, 0.0], [-50.0, 0.0], [1.0, -8.0]])
def test_gamma_far_start_reaches_the_mle(start):
    """phi0 comes from the start; a far start no longer loosens the convergence test (statsmodels oracle)."""
    rng, x, X = _xy(100, 1)
    y = rng.gamma(2.0, np.exp(1 + 0.5 * x) / 2.0)
    ref = sm.GLM(y, X, family=sm.families.Gamma(sm.families.links.Log())).fit(tol=1e-14)
    res = fit_glm(X, y, "gamma", "log", start=start)
    assert res.converged
    assert_allclose(res.params, ref.params, rtol=1e-8)
    assert res.deviance == pytest.approx(ref.deviance, rel=1e-10)


def test_gaussian_large_mean_converges_and_matches_ols():
    """y = 1e10 + noise: the decrement's rounding floor is accounted for; estimates as OLS."""
    rng, x, X = _xy(10_000, 2)
    y = 1e10 + 0.5 * x + rng.normal(size=x.size)
    res = fit_glm(X, y, "gaussian")
    ols = sm.OLS(y, X).fit()
    assert res.converged
    assert_allclose(res.params[1], ols.params[1], rtol=1e-6)
    assert_allclose(res.bse[1], ols.bse[1], rtol=1e-6)


def test_gaussian_noise_of_many_ulps_is_not_an_exact_fit():
    rng, x, X = _xy(100, 2)
    y = 1e12 + 0.01 * (0.5 * x + rng.normal(size=100))  # residuals ~45 ulps of 1e12
    res = fit_glm(X, y, "gaussian")
    assert_allclose(res.params[1], ml.fit_linear(X, y).params[1], rtol=1e-3)


def test_exact_fits_name_the_dispersion_and_a_known_scale_is_fine():
    _, x, X = _xy(40, 1)
    with pytest.raises(NoFiniteMLEError, match="Gamma model fits y exactly"):
        fit_glm(X, np.full(40, 3.0), "gamma")
    with pytest.raises(NoFiniteMLEError, match="Gamma model fits y exactly"):
        fit_glm(X, np.full(40, 3.0), "gamma", "log")
    with pytest.raises(NoFiniteMLEError, match="y lies in the column space"):
        fit_glm(X, 1 + 2 * x, "gaussian")
    res = fit_glm(X, 1 + 2 * x, "gaussian", scale=1.0)  # a known dispersion: cov = (X'X)^-1
    assert_allclose(res.params, [1.0, 2.0], rtol=1e-12)
    assert_allclose(res.cov, np.linalg.inv(X.T @ X), rtol=1e-10)
    assert res.loglik == pytest.approx(np.sum(stats.norm.logpdf(1 + 2 * x, 1 + 2 * x, 1.0)), rel=1e-12)


@pytest.mark.parametrize(
    "link, method, start",
    [("logit", "newton", [800.0, 0.0]), ("cloglog", "fisher", [10.0, 0.0]), ("probit", "fisher", [-38.0, 0.0])],
)
def test_far_start_gets_an_error_or_warning_that_names_the_start(link, method, start):
    rng, x, X = _xy(50, 9)
    y = (rng.random(50) < 0.5).astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit_glm(X, y, "binomial", link, method=method, start=start)
        except DataError as exc:
            assert "start" in str(exc)
            return
    ref = fit_glm(X, y, "binomial", link, method=method)
    if res.converged:
        assert_allclose(res.params, ref.params, rtol=1e-7)
    else:
        assert any("start" in str(w.message) for w in caught)


@pytest.mark.parametrize("method", ["newton", "fisher"])
def test_cloglog_on_separated_data_is_a_separation_error(method):
    _, x, X = _xy(200, 0)
    with pytest.raises(SeparationError, match="complete separation"):
        fit_glm(X, (x > 0).astype(float), "binomial", "cloglog", method=method)


@pytest.mark.parametrize("mu0, seed", [(1e7, 2), (1e9, 1)])
def test_negative_binomial_with_large_counts_estimates_a_tiny_alpha(mu0, seed):
    """alpha_hat ~ 1e-9..1e-11 for counts 1e7..1e9: found (the score at alpha = 0+ is positive), not refused."""
    rng, x, X = _xy(500, seed)
    y = rng.poisson(mu0 * np.exp(0.1 * x)).astype(float)
    mu = fit_glm(X, y, "poisson").mu
    assert np.sum((y - mu) ** 2 - y) > 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit_glm(X, y, "negbin")
    except DataError as exc:  # alpha so small that its derivatives cancel: said, not a bare LinAlg error
        assert "numerically the Poisson model" in str(exc)
        return
    assert 0 < res.alpha < 1e-6
    # the profile in alpha at the fitted means: a 1-D oracle by bounded Brent on log alpha
    from mlelib.families import _nb_loglik_obs

    eta = np.log(res.mu)
    f = lambda la: -np.sum(_nb_loglik_obs(y, res.mu, eta, np.exp(la)))  # noqa: E731
    la = optimize.minimize_scalar(f, bounds=(np.log(res.alpha) - 3, np.log(res.alpha) + 3), method="bounded",
                                  options={"xatol": 1e-10}).x
    assert res.alpha == pytest.approx(np.exp(la), rel=1e-4)


@pytest.mark.parametrize("shift", [0.0, 1e4, 1e5])
def test_firth_profile_interval_is_invariant_under_a_shift_of_the_covariate(shift):
    rng = np.random.default_rng(3)
    x = rng.normal(size=30)
    y = (x > 0).astype(float)
    ref = fit_glm(np.column_stack([np.ones(30), x]), y, "binomial", penalty="firth")
    res = fit_glm(np.column_stack([np.ones(30), x + shift]), y, "binomial", penalty="firth")
    assert_allclose(res.conf_int(method="profile")[1], ref.conf_int(method="profile")[1], rtol=1e-6)


def test_glm_sandwich_cov_refuses_a_fit_of_another_model():
    rng, x, X = _xy(300, 4)
    expo = rng.uniform(1, 100, 300)
    y = rng.poisson(expo * np.exp(-2 + 0.4 * x)).astype(float)
    r = fit_glm(X, y, "poisson", offset=np.log(expo))
    with pytest.raises(DataError, match="an offset.*cov_type='HC0'"):
        ml.glm_sandwich_cov(X, y, r, "poisson")
    yb = (rng.random(300) < 0.5).astype(float)
    with pytest.raises(DataError, match="probit link"):
        ml.glm_sandwich_cov(X, yb, fit_glm(X, yb, "binomial", "probit"), "logistic")
    plain = fit_glm(X, y, "poisson")
    assert_allclose(ml.glm_sandwich_cov(X, y, plain, "poisson"), fit_glm(X, y, "poisson", cov_type="HC0").cov,
                    rtol=1e-8)


# ----------------------------------------------------------------------------------------------
# round 3


@pytest.mark.parametrize("method", ["newton", "fisher"])
@pytest.mark.parametrize("seed", range(3))
def test_probit_on_separated_data_is_a_separation_error(method, seed):
    _, x, X = _xy(200, seed)
    with pytest.raises(SeparationError):
        fit_glm(X, (x > 0).astype(float), "binomial", "probit", method=method)


@pytest.mark.parametrize("link, sm_link", [("probit", sm.families.links.Probit()), ("cloglog", sm.families.links.CLogLog())])
@pytest.mark.parametrize("seed", range(6))
def test_steep_noncanonical_fits_reach_statsmodels_maximum(link, sm_link, seed):
    """Steep, not separated data: probit/cloglog log-likelihoods are concave; converged means at the maximum."""
    rng, x, X = _xy(100, seed)
    y = (rng.random(100) < stats.norm.cdf(4.5 * x)).astype(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fit_glm(X, y, "binomial", link)
    except SeparationError:
        return
    ref = sm.GLM(y, X, family=sm.families.Binomial(sm_link)).fit(method="newton", tol=1e-14, maxiter=200)
    if res.converged:
        assert res.loglik >= ref.llf - 1e-8
        assert_allclose(res.params, ref.params, rtol=1e-6)


def test_firth_fits_are_refused_by_the_lr_test_and_hc0_by_the_profile():
    rng, x, X = _xy(40, 5)
    y = (rng.random(40) < 0.5).astype(float)
    small = fit_glm(X[:, :1], y, "binomial", penalty="firth")
    big = fit_glm(X, y, "binomial", penalty="firth")
    with pytest.raises(DataError, match="not a likelihood-ratio statistic"):
        ml.glm_lr_test(small, big)
    counts = rng.poisson(np.exp(0.5 + 0.3 * x)).astype(float)
    with pytest.raises(DataError, match="sandwich"):
        fit_glm(X, counts, "poisson", cov_type="HC0").conf_int(method="profile")


def test_pandas_inputs_with_another_index_are_refused():
    import pandas as pd

    rng, x, X = _xy(30, 6)
    df = pd.DataFrame(X, columns=["const", "x"])
    y = pd.Series((rng.random(30) < 0.5).astype(float))
    for f in (lambda yy: fit_glm(df, yy, "binomial"), lambda yy: ml.fit_logistic(df, yy),
              lambda yy: ml.fit_linear(df, yy)):
        with pytest.raises(DataError, match="index differs from X's"):
            f(y.sort_values())
        f(y)  # aligned: fine
    with pytest.raises(DataError, match="offset is a pandas object"):
        fit_glm(df, y, "poisson", offset=pd.Series(np.zeros(30), index=np.arange(30)[::-1]))


@pytest.mark.parametrize("alpha", [1e-10, 1e-3, 1.0])
@pytest.mark.parametrize("mu", [1e6, 1e9, 1e12])
def test_nb2_log_likelihood_is_accurate_at_large_counts(alpha, mu):
    """log p = saturated - d/2, both cancellation-free: against 40-digit mpmath at counts up to 1e12."""
    mp = pytest.importorskip("mpmath")
    from mlelib.families import _nb_loglik_obs

    mp.mp.dps = 40
    y = np.round(mu * np.array([0.9, 0.999, 1.0, 1.02, 1.5]))
    got = _nb_loglik_obs(y, np.full(y.size, mu), np.full(y.size, np.log(mu)), alpha)
    r, M = 1 / mp.mpf(alpha), mp.mpf(mu)
    for yi, gi in zip(y, got):
        Y = mp.mpf(yi)
        exact = mp.loggamma(Y + r) - mp.loggamma(r) - mp.loggamma(Y + 1) + r * mp.log(r / (r + M)) + Y * mp.log(M / (r + M))
        assert abs(gi - float(exact)) <= 1e-9 * max(1.0, abs(float(exact)))

"""Observed information and confidence intervals (Wald, profile likelihood, score) against independent references."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from mlelib import (
    DataError,
    MLEResult,
    bernoulli_loglik,
    bernoulli_lr_interval,
    exponential_loglik,
    fit_logistic,
    gaussian_loglik,
    observed_information,
    poisson_loglik,
    poisson_lr_interval,
    poisson_score_interval,
    profile_likelihood_interval,
    profile_negloglik,
    wilson_interval,
)

CUT95 = stats.chi2.ppf(0.95, 1)


def _logistic_data(seed=3, n=120):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, size=n)])
    y = rng.binomial(1, 1 / (1 + np.exp(-(X @ [-0.3, 1.1, -0.8]))))
    return X, y


def _exponential_result(x):
    x = np.asarray(x, dtype=float)
    rate = x.size / x.sum()
    return MLEResult(
        [rate], [[rate**2 / x.size]], exponential_loglik(x, rate), x.size, negloglik=lambda t: -exponential_loglik(x, t[0])
    )


# --------------------------------------------------------------------------- score intervals


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_wilson_matches_statsmodels(alpha):
    """Wilson's interval equals statsmodels' proportion_confint(method='wilson') for every k = 0..n."""
    for n in (1, 7, 30, 250):
        k = np.arange(n + 1)
        lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
        assert_allclose(wilson_interval(k, n, alpha), np.column_stack([lo, hi]), rtol=1e-12, atol=1e-15)


def test_wilson_published_values():
    """Newcombe (1998), Table II, 'score' method: 81/263, 15/148, 0/20, 1/29 to the 4 decimals printed."""
    published = [[0.2553, 0.3662], [0.0624, 0.1605], [0.0, 0.1611], [0.0061, 0.1718]]
    got = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    assert_allclose(got, published, atol=5e-5)


def test_wilson_limits_are_score_test_boundaries():
    """At each interior limit p the score statistic (p_hat - p)^2 / (p(1-p)/n) equals z^2."""
    k, n = np.array([3, 11, 40]), np.array([20, 25, 41])
    ci = wilson_interval(k, n, alpha=0.1)
    z2 = stats.norm.ppf(0.95) ** 2
    for side in (0, 1):
        p = ci[:, side]
        assert_allclose((k / n - p) ** 2 / (p * (1 - p) / n), z2, rtol=1e-10)


def test_poisson_score_matches_statsmodels():
    """poisson_score_interval equals statsmodels' confint_poisson(method='score') with exposure n."""
    total = np.array([0, 1, 3, 12, 100])
    n = np.array([10, 10, 5, 30, 40])
    for alpha in (0.05, 0.01):
        lo, hi = confint_poisson(total, n, method="score", alpha=alpha)
        assert_allclose(poisson_score_interval(total, n, alpha), np.column_stack([lo, hi]), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- LR intervals (closed-form families)


def _brentq_lr(loglik, mle, lower_edge, upper_edge, cut=CUT95):
    """Independent LR interval: brentq on 2(l(mle) - l(theta)) - cut between the MLE and each edge."""
    g = lambda t: 2 * (loglik(mle) - loglik(t)) - cut  # noqa: E731
    lo = lower_edge if g(lower_edge) <= 0 else optimize.brentq(g, lower_edge, mle, xtol=1e-14)
    hi = upper_edge if g(upper_edge) <= 0 else optimize.brentq(g, mle, upper_edge, xtol=1e-14)
    return lo, hi


def test_bernoulli_lr_interval_matches_brentq():
    """bernoulli_lr_interval equals brentq on the binomial log-likelihood (scipy.stats.binom), k = 0..n."""
    n = 17
    got = bernoulli_lr_interval(np.arange(n + 1), n)
    for k in range(n + 1):
        ll = lambda p, k=k: stats.binom.logpmf(k, n, p)  # noqa: E731
        edge_lo, edge_hi = (0.0 if k == 0 else 1e-300), (1.0 if k == n else 1 - 1e-16)
        expected = _brentq_lr(ll, k / n, edge_lo, edge_hi)
        assert_allclose(got[k], expected, rtol=1e-9, atol=1e-12)


def test_poisson_lr_interval_matches_brentq():
    """poisson_lr_interval equals brentq on sum_i log Poisson(x_i; lambda); total 0 gives [0, cut/(2n)]."""
    for total, n in [(1, 10), (4, 10), (37, 30), (250, 100)]:
        ll = lambda lam, total=total, n=n: stats.poisson.logpmf(total, n * lam)  # noqa: E731
        expected = _brentq_lr(ll, total / n, 1e-300, 100.0)
        assert_allclose(poisson_lr_interval(total, n), expected, rtol=1e-9)
    assert_allclose(poisson_lr_interval(0, 20), [0.0, CUT95 / 40], rtol=1e-12)


# --------------------------------------------------------------------------- profile likelihood (generic)


def test_profile_exponential_matches_brentq():
    """conf_int(method='profile') for an exponential rate equals brentq on n log(rate) - rate sum(x)."""
    x = np.random.default_rng(1).exponential(scale=2.0, size=15)
    res = _exponential_result(x)
    expected = _brentq_lr(lambda r: x.size * np.log(r) - r * x.sum(), res.params[0], 1e-12, 50.0)
    assert_allclose(res.conf_int(method="profile")[0], expected, rtol=1e-8)
    for alpha in (0.1, 0.01):
        cut = stats.chi2.ppf(1 - alpha, 1)
        expected = _brentq_lr(lambda r: x.size * np.log(r) - r * x.sum(), res.params[0], 1e-12, 50.0, cut)
        assert_allclose(res.conf_int(alpha, method="profile")[0], expected, rtol=1e-8)


def test_profile_poisson_matches_vectorised_lr():
    """The generic root finder on -poisson_loglik agrees with poisson_lr_interval."""
    x = np.array([0, 2, 1, 0, 0, 3, 1, 0])
    lam = x.mean()
    ci = profile_likelihood_interval(lambda t: -poisson_loglik(x, t[0]), [lam], cov=[[lam / x.size]])
    assert_allclose(ci[0], poisson_lr_interval(x.sum(), x.size), rtol=1e-8)


def test_profile_gaussian_two_parameters_closed_form():
    """Gaussian (mu, sigma2), nuisance maximised out: mu in xbar -/+ s sqrt(e^{c/n} - 1); sigma2 = s / r, n(r-1-log r) = c."""
    x = np.random.default_rng(2).normal(1.0, 2.0, size=12)
    n, xbar, s = x.size, x.mean(), x.var()
    res = MLEResult(
        [xbar, s], np.diag([s / n, 2 * s**2 / n]), gaussian_loglik(x, xbar, s), n,
        negloglik=lambda t: -gaussian_loglik(x, t[0], t[1]),
    )
    ci = res.conf_int(method="profile")
    half = np.sqrt(s * np.expm1(CUT95 / n))
    assert_allclose(ci[0], [xbar - half, xbar + half], rtol=1e-7)
    h = lambda r: n * (r - 1 - np.log(r)) - CUT95  # noqa: E731
    r_lo, r_hi = optimize.brentq(h, 1e-6, 1.0, xtol=1e-14), optimize.brentq(h, 1.0, 50.0, xtol=1e-14)
    assert_allclose(ci[1], [s / r_hi, s / r_lo], rtol=1e-7)


def test_profile_negloglik_gaussian_mean_closed_form():
    """-l_p(mu) - (-l_p(xbar)) = (n/2) log(1 + (xbar - mu)^2 / s)."""
    x = np.array([0.3, -1.2, 2.2, 0.8, 1.9])
    n, xbar, s = x.size, x.mean(), x.var()
    mus = np.array([-1.0, 0.0, xbar, 1.5, 3.0])
    prof = profile_negloglik(lambda t: -gaussian_loglik(x, t[0], t[1]), [xbar, s], 0, mus, cov=np.diag([s / n, 2 * s**2 / n]))
    assert_allclose(prof - prof[2], n / 2 * np.log1p((xbar - mus) ** 2 / s), rtol=1e-7, atol=1e-9)


def test_profile_logistic_limits_are_statsmodels_deviance_cut():
    """At each profile limit, statsmodels' GLM with that coefficient fixed (as an offset) has deviance increase chi2_1(0.95)."""
    X, y = _logistic_data()
    res = fit_logistic(X, y)
    ci = res.conf_int(method="profile")
    llf = sm.GLM(y, X, family=sm.families.Binomial()).fit().llf
    for j in range(X.shape[1]):
        others = np.delete(X, j, axis=1)
        for psi in ci[j]:
            fixed = sm.GLM(y, others, family=sm.families.Binomial(), offset=psi * X[:, j]).fit(tol=1e-12)
            assert_allclose(2 * (llf - fixed.llf), CUT95, rtol=1e-6)
        assert ci[j, 0] < res.params[j] < ci[j, 1]


def test_profile_at_edge_of_parameter_space():
    """All zeros from Bernoulli: the likelihood is maximal at p = 0, the lower limit is the edge 0, the upper 1 - e^{-c/(2n)}."""
    x = np.zeros(10)
    ci = profile_likelihood_interval(lambda t: -bernoulli_loglik(x, t[0]), [0.0])
    assert_allclose(ci[0], [0.0, -np.expm1(-CUT95 / 20)], rtol=1e-9, atol=1e-10)
    assert_allclose(ci[0], bernoulli_lr_interval(0, 10), rtol=1e-9, atol=1e-10)


def test_profile_unbounded_warns_and_returns_inf():
    """A likelihood that never drops by the cut gives an infinite limit, with a RuntimeWarning."""
    with pytest.warns(RuntimeWarning, match="did not drop by the cut"):
        ci = profile_likelihood_interval(lambda t: np.exp(t[0]), [0.0], cov=[[1.0]])
    assert ci[0, 0] == -np.inf and np.isfinite(ci[0, 1])


# --------------------------------------------------------------------------- Wald and observed information


def test_wald_conf_int_matches_statsmodels_logit():
    """fit_logistic(...).conf_int() (default Wald) equals statsmodels Logit(...).fit().conf_int()."""
    X, y = _logistic_data()
    expected = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12).conf_int()
    assert_allclose(fit_logistic(X, y).conf_int(), expected, rtol=1e-7)
    assert_allclose(fit_logistic(X, y).conf_int(method="wald"), expected, rtol=1e-7)


def test_observed_information_matches_analytic():
    """J at the MLE: Poisson sum(x)/lam^2; Gaussian diag(n/s, n/(2 s^2)); logistic X'WX = inverse of fit_logistic's cov."""
    x = np.array([2, 4, 3, 3, 0, 1])
    lam = x.mean()
    assert_allclose(observed_information(lambda t: -poisson_loglik(x, t[0]), [lam]), [[x.sum() / lam**2]], rtol=1e-6)
    z = np.random.default_rng(5).normal(2.0, 1.5, size=25)
    n, s = z.size, z.var()
    J = observed_information(lambda t: -gaussian_loglik(z, t[0], t[1]), [z.mean(), s])
    assert_allclose(J, np.diag([n / s, n / (2 * s**2)]), rtol=1e-6, atol=1e-6 * n / s)
    X, y = _logistic_data()
    res = fit_logistic(X, y)
    p = 1 / (1 + np.exp(-(X @ res.params)))
    xtwx = X.T @ (X * (p * (1 - p))[:, None])
    J = observed_information(res.negloglik, res.params)
    assert_allclose(J, xtwx, rtol=1e-6, atol=1e-6 * np.abs(xtwx).max())
    assert_allclose(np.linalg.inv(J), res.cov, rtol=1e-5)
    assert_allclose(J, J.T, rtol=0, atol=0)


# --------------------------------------------------------------------------- properties


@given(n=st.integers(1, 400), data=st.data(), alpha=st.sampled_from([0.2, 0.05, 0.01]))
def test_intervals_contain_mle_and_nest_in_alpha(n, data, alpha):
    """Wilson and LR intervals contain k/n, lie in [0, 1], and widen as alpha decreases."""
    k = data.draw(st.integers(0, n))
    for func in (wilson_interval, bernoulli_lr_interval):
        lo, hi = func(k, n, alpha)
        assert 0 <= lo <= k / n <= hi <= 1
        lo2, hi2 = func(k, n, alpha / 2)
        assert lo2 <= lo + 1e-15 and hi2 >= hi - 1e-15


# --------------------------------------------------------------------------- errors


def test_profile_needs_negloglik():
    """A result built without negloglik cannot give profile intervals; the message says what to do."""
    res = MLEResult([1.0], [[0.1]], -3.0, 10)
    with pytest.raises(ValueError, match="needs the negative log-likelihood.*method='wald'"):
        res.conf_int(method="profile")


def test_unknown_method():
    """Only 'wald' and 'profile' are methods."""
    with pytest.raises(ValueError, match="method must be 'wald' or 'profile', got 'score'"):
        _exponential_result([1.0, 2.0]).conf_int(method="score")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(5, 3), "k must be between 0 and n; got k = 5 successes in n = 3"),
        (lambda: wilson_interval(-1, 3), "k must be a non-negative integer count; got -1"),
        (lambda: wilson_interval(1.5, 3), "k must be a non-negative integer count; got 1.5"),
        (lambda: wilson_interval(0, 0), "n must be at least 1"),
        (lambda: bernoulli_lr_interval([1, 4], 3), "got k = 4 successes in n = 3"),
        (lambda: poisson_score_interval(np.nan, 3), "total must be a non-negative integer count; got nan"),
        (lambda: poisson_lr_interval(2, 2.5), "n must be a non-negative integer count; got 2.5"),
    ],
)
def test_bad_counts(call, message):
    """Counts must be non-negative integers with k <= n and n >= 1."""
    with pytest.raises(DataError, match=message):
        call()


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.5, 1.5])
def test_bad_alpha_everywhere(alpha):
    """alpha must lie strictly between 0 and 1 for every interval."""
    for call in (
        lambda: wilson_interval(1, 3, alpha),
        lambda: poisson_score_interval(1, 3, alpha),
        lambda: bernoulli_lr_interval(1, 3, alpha),
        lambda: poisson_lr_interval(1, 3, alpha),
        lambda: _exponential_result([1.0, 2.0]).conf_int(alpha, method="profile"),
    ):
        with pytest.raises(ValueError, match="alpha must be in"):
            call()


def test_bad_params_for_profile_and_information():
    """params where negloglik is not finite, and non-finite theta, are refused with the value shown."""
    with pytest.raises(ValueError, match=r"negloglik is not finite at params = \[-1.0\]"):
        profile_likelihood_interval(lambda t: -poisson_loglik([1, 2], t[0]), [-1.0])
    with pytest.raises(ValueError, match=r"theta must be finite, got theta = \[nan, 1.0\]"):
        observed_information(lambda t: float(t @ t), [np.nan, 1.0])
    with pytest.raises(IndexError, match=r"index entry 2 is out of range: the model has 2 parameter\(s\)"):
        profile_negloglik(lambda t: float(t @ t), [0.0, 0.0], 2, [1.0])


def test_observed_information_of_a_fitted_result():
    """Passing an MLEResult uses its negloglik at its params: X'WX for logistic regression."""
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(200), rng.normal(size=200)])
    y = rng.binomial(1, 1 / (1 + np.exp(-(0.3 + 0.8 * X[:, 1]))))
    res = fit_logistic(X, y)
    p = 1 / (1 + np.exp(-X @ res.params))
    expected = X.T @ (X * (p * (1 - p))[:, None])
    assert_allclose(observed_information(res), expected, rtol=1e-6)
    # an explicit theta overrides the result's params
    assert_allclose(observed_information(res, res.params), expected, rtol=1e-6)


def test_observed_information_needs_theta_or_a_result():
    with pytest.raises(TypeError, match="theta is required"):
        observed_information(lambda t: float(t @ t))
    bare = MLEResult(params=[1.0], cov=[[1.0]], loglik=0.0, nobs=3)
    with pytest.raises(ValueError, match="carries no negloglik"):
        observed_information(bare)


def _rate_nll():
    x = np.array([0.5, 1.5, 1.0, 3.0, 2.0])
    return lambda t: -exponential_loglik(x, t[0])


@pytest.mark.parametrize(
    "which, error, message",
    [
        ([-1], IndexError, r"which entry -1 is out of range: the model has 1 parameter\(s\), valid positions 0..0 "
                           r"\(negative positions are not accepted\)"),
        ([5], IndexError, "which entry 5 is out of range"),
        ([0.5], DataError, r"which must contain integer parameter positions 0..0; got 0.5"),
        ([0, 0], DataError, "which lists parameter 0 twice"),
        ([], DataError, "which is empty"),
        ("0", DataError, "which must contain integer parameter positions"),
    ],
)
def test_which_is_checked(which, error, message):
    """Negative (no wrap-around: which=[-1] gave a negative lower limit for a rate), out-of-range,
    non-integer, duplicate and empty positions are refused with the position and the valid range."""
    with pytest.raises(error, match=message):
        profile_likelihood_interval(_rate_nll(), [0.625], which=which)


def test_which_and_index_accept_numpy_integers_and_integral_floats():
    """np.int64(0), 0.0 and a bare int are valid positions and give the same interval (an oracle-free
    consistency check; the interval itself is checked against the closed form elsewhere)."""
    ref = profile_likelihood_interval(_rate_nll(), [0.625], which=[0])
    for which in ([np.int64(0)], [0.0], 0):
        assert_allclose(profile_likelihood_interval(_rate_nll(), [0.625], which=which), ref, rtol=1e-12)
    with pytest.raises(IndexError, match="index entry -1 is out of range"):
        profile_negloglik(_rate_nll(), [0.625], -1, [0.5])
    with pytest.raises(DataError, match="index must be a single parameter position"):
        profile_negloglik(_rate_nll(), [0.625], [0], [0.5])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: wilson_interval(1, 3, None), ValueError, r"alpha must be a number in \(0, 1\) .*got None"),
        (lambda: wilson_interval(1, 3, "0.05"), ValueError, r"alpha must be a number .*got '0.05'"),
        (lambda: poisson_lr_interval(1, 3, [0.05]), ValueError, r"alpha must be a number .*got \[0.05\]"),
        (lambda: wilson_interval(1 + 0j, 3), DataError, "k must be real"),
        (lambda: poisson_score_interval(2, 3 + 1j), DataError, "n must be real"),
        (lambda: observed_information("nll", [1.0]), TypeError, "negloglik must be a callable"),
        (lambda: observed_information(lambda t: float(t @ t), [1 + 1j]), DataError, "theta must be real"),
        (lambda: profile_likelihood_interval(_rate_nll(), [0.625], cov=np.eye(2)), DataError,
         r"cov must have shape \(1, 1\)"),
        (lambda: profile_likelihood_interval(_rate_nll(), [0.625], xtol=None), ValueError, "xtol must be a number"),
        (lambda: profile_negloglik(_rate_nll(), [0.625], 0, ["a"]), DataError, "values must be numeric"),
    ],
)
def test_unclear_errors_are_now_clear(call, error, message):
    """alpha=None, strings, complex counts, a string for a callable, mismatched cov: named, shown, explained."""
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("total, n", [(1e12, 1), (1e20, 1), (3e15, 7)])
def test_poisson_lr_interval_for_huge_totals(total, n):
    """The deviance is computed as total * (u - log1p u), without cancellation: for large totals the LR
    limits are xbar -+ z sqrt(xbar/n) to 1e-5 of that half-width (before, total = 1e20 gave limits off by
    far more than the half-width: the difference of log-likelihoods ~6e27 was rounding noise)."""
    xbar = total / n
    half = stats.norm.ppf(0.975) * np.sqrt(xbar / n)
    lo, hi = poisson_lr_interval(total, n)
    assert_allclose([(xbar - lo) / half, (hi - xbar) / half], [1.0, 1.0], rtol=1e-5)


def test_bernoulli_lr_interval_for_huge_n():
    """n = 1e16, k = 1e15: limits 0.1 -+ z sqrt(0.09/n) to 1e-5 of the half-width; the boundary cases keep
    their closed forms (k = 0: upper limit 1 - exp(-cut/(2n)))."""
    lo, hi = bernoulli_lr_interval(1e15, 1e16)
    half = stats.norm.ppf(0.975) * np.sqrt(0.09 / 1e16)
    assert_allclose([(0.1 - lo) / half, (hi - 0.1) / half], [1.0, 1.0], rtol=1e-5)
    assert_allclose(bernoulli_lr_interval(0, 10)[1], -np.expm1(-CUT95 / 20), rtol=1e-12)

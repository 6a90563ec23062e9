"""Defects found by the adversarial reader of branch brk (FINDINGS A1-B6), each against an independent oracle."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from mlelib import (
    fit,
    gaussian_loglik,
    gaussian_mle,
    profile_likelihood_interval,
    profile_negloglik,
)

CUT = stats.chi2.isf(0.05, 1)


# ----------------------------------------------------------------------------- A1: profile with a large-scale nuisance


def _gaussian_mean_profile_half_width(x, q=CUT):
    """Closed form of the profile-LR interval for a Gaussian mean, variance profiled out.

    -l(mu, s2) = n/2 log(2 pi s2) + sum (x - mu)^2 / (2 s2). For fixed mu the maximiser is
    s2(mu) = s2_ml + (xbar - mu)^2, so -l_p(mu) = n/2 log s2(mu) + const and the deviance is
    n log(1 + (mu - xbar)^2 / s2_ml). Setting it to q: |mu - xbar| = sqrt(s2_ml (exp(q/n) - 1)).
    """
    n = x.size
    s2_ml = np.mean((x - x.mean()) ** 2)
    return np.sqrt(s2_ml * np.expm1(q / n))


BASE = np.random.default_rng(0).normal(size=20)


@pytest.mark.parametrize("unit", [1e-4, 1.0, 1e3, 1e4, 1e6, 1e8])
@pytest.mark.parametrize("with_cov", [False, True])
def test_profile_interval_gaussian_mean_closed_form_any_units(unit, with_cov):
    """The variance (in unit^2) is profiled out at every scale: limits = xbar +- closed-form half-width."""
    x = unit * BASE
    mu, s2 = gaussian_mle(x)
    n = x.size
    cov = np.diag([s2 / n, 2 * s2**2 / n]) if with_cov else None
    ci = profile_likelihood_interval(lambda t: -gaussian_loglik(x, t[0], t[1]), [mu, s2], cov=cov, which=[0])[0]
    half = _gaussian_mean_profile_half_width(x)
    # tolerance: the limits' own xtol (1e-10 of the scale) plus the inner optimum (~1e-9 of an SE)
    assert_allclose((ci - mu) / half, [-1.0, 1.0], rtol=0, atol=1e-8)


@pytest.mark.parametrize("with_cov", [False, True])
def test_profile_interval_is_equivariant_gaussian_two_parameters(with_cov):
    """Data x and x * 1e4 give limits that differ by exactly the factor 1e4 (mean) and 1e8 (variance)."""
    out = []
    for unit in (1.0, 1e4):
        x = unit * BASE
        mu, s2 = gaussian_mle(x)
        cov = np.diag([s2 / x.size, 2 * s2**2 / x.size]) if with_cov else None
        out.append(profile_likelihood_interval(lambda t, x=x: -gaussian_loglik(x, t[0], t[1]), [mu, s2], cov=cov))
    assert_allclose(out[1], out[0] * np.array([[1e4], [1e8]]), rtol=1e-8)


def test_profile_negloglik_at_exact_limit_is_the_cut():
    """At the closed-form limit the profile deviance equals the chi2 cut (variance in dollars^2)."""
    x = 1000.0 * BASE
    mu, s2 = gaussian_mle(x)
    nll = lambda t: -gaussian_loglik(x, t[0], t[1])  # noqa: E731
    half = _gaussian_mean_profile_half_width(x)
    prof = profile_negloglik(nll, [mu, s2], 0, [mu - half, mu + half])
    assert_allclose(2 * (prof - nll([mu, s2])), [CUT, CUT], rtol=1e-9)


@pytest.mark.parametrize("unit", [1.0, 1e4, 1e6])
def test_fit_conf_int_profile_incomes_in_dollars(unit):
    """fit(...).conf_int(method='profile') (which passes cov) for incomes: the exact profile interval."""
    rng = np.random.default_rng(1)
    x = unit * (5 + rng.normal(size=40))
    res = fit(lambda t: -gaussian_loglik(x, t[0], t[1]), [4.0 * unit, unit**2], transform=[None, "log"], nobs=40)
    mu, _ = gaussian_mle(x)
    ci = res.conf_int(method="profile")[0]
    assert_allclose((ci - mu) / _gaussian_mean_profile_half_width(x), [-1.0, 1.0], rtol=0, atol=1e-7)


# ----------------------------------------------------------------------------- A3: Poisson score interval, huge n


@pytest.mark.parametrize(("total", "n"), [(5, 1e200), (0, 1e200), (1, 1e160), (3, 10), (0, 10), (7, 1e300), (10**6, 1e155)])
def test_poisson_score_interval_huge_n_matches_mpmath(total, n):
    """The docstring's closed form evaluated in 60-digit mpmath (no overflow of n**2 there)."""
    import mpmath

    from mlelib import poisson_score_interval

    mpmath.mp.dps = 60
    z = mpmath.mpf(stats.norm.isf(0.025))
    N, T = mpmath.mpf(n), mpmath.mpf(total)
    xbar = T / N
    centre = xbar + z**2 / (2 * N)
    half = z * mpmath.sqrt(xbar / N + z**2 / (4 * N**2))
    expected = [float(max(centre - half, 0)), float(centre + half)]
    got = poisson_score_interval(total, n)
    # a few ulps of float arithmetic; the lower limit of total = 0 is exactly 0
    assert_allclose(got, expected, rtol=1e-13, atol=0)
    if total == 0:
        assert got[0] == 0.0


# ----------------------------------------------------------------------------- A4: mc_standard_error, columns apart


@pytest.mark.parametrize("statistic", ["mean", "variance", "sd"])
@pytest.mark.parametrize("scales", [(1.0, 1e80), (1e-100, 1e100), (1e150, 1e-150), (1.0, 1.0)])
def test_mc_standard_error_columns_are_separate(statistic, scales):
    """Each column's SE equals the 1-D SE of that column, whatever the other column's scale.

    Oracle: the formulas of the docstring in plain numpy on the column multiplied back to order 1 by
    an exact power of 2 (SE of the mean scales like the values, of the variance like their square).
    """
    from mlelib import mc_standard_error

    v = np.random.default_rng(0).normal(size=(1000, 2))
    R = v.shape[0]
    got = mc_standard_error(v * np.array(scales), statistic)
    for col in range(2):
        e = int(np.floor(np.log2(scales[col])))
        u = v[:, col] * (scales[col] / 2.0**e)  # order 1, exact
        s2 = u.var(ddof=1)
        m4 = np.mean((u - u.mean()) ** 4)
        se_var = np.sqrt((m4 - (R - 3) / (R - 1) * s2**2) / R)
        ref = {"mean": (np.sqrt(s2 / R), 1), "variance": (se_var, 2), "sd": (se_var / (2 * np.sqrt(s2)), 1)}[statistic]
        expected = np.ldexp(ref[0], ref[1] * e)
        assert expected > 0
        assert_allclose(got[col], expected, rtol=1e-12)


# ----------------------------------------------------------------------------- B2: Fisher information near float limits


@pytest.mark.parametrize(
    ("func", "args", "name"),
    [
        ("fisher_info_gaussian", (0.0, 1e-200), "sigma2 = 1e-200"),
        ("fisher_info_gaussian", (0.0, 1e200), "sigma2 = 1e\\+200"),
        ("fisher_info_gaussian_variance", (1e-160,), "sigma2 = 1e-160"),
        ("fisher_info_gaussian_variance", (1e200,), "sigma2 = 1e\\+200"),
        ("fisher_info_gaussian_variance", ([1.0, 1e155],), "sigma2 = 1e\\+155"),  # 5e-311 is subnormal
        ("fisher_info_gaussian_mean", (1e-310,), "sigma2 = 1e-310"),
        ("fisher_info_exponential", (1e200,), "rate = 1e\\+200"),
        ("fisher_info_exponential", (1e-200,), "rate = 1e-200"),
        ("fisher_info_poisson", (1e-310,), "lam = 1e-310"),
        ("fisher_info_bernoulli", (1e-310,), "p = 1e-310"),
    ],
)
def test_fisher_info_not_representable_is_a_clear_error(func, args, name):
    """No bare ZeroDivisionError / OverflowError and no silent inf / 0.0: a DataError naming the argument."""
    import mlelib
    from mlelib import DataError

    with pytest.raises(DataError, match=f"Fisher information .* at {name}.* cannot be represented"):
        getattr(mlelib, func)(*args)


def test_fisher_info_near_limits_still_exact_when_representable():
    """Close to the limits, representable values are computed to full precision (closed forms in mpmath)."""
    import mpmath

    from mlelib import fisher_info_bernoulli, fisher_info_exponential, fisher_info_gaussian, fisher_info_gaussian_variance

    mpmath.mp.dps = 40
    for s2 in [1e-154, 3e-100, 1e150]:
        expected = float(1 / (2 * mpmath.mpf(s2) ** 2))
        assert_allclose(fisher_info_gaussian_variance(s2), expected, rtol=4e-16)
        assert_allclose(fisher_info_gaussian(0.0, s2), [[1 / s2, 0.0], [0.0, expected]], rtol=4e-16)
    for r in [1e-154, 1e150]:
        assert_allclose(fisher_info_exponential(r), float(1 / mpmath.mpf(r) ** 2), rtol=4e-16)
    assert_allclose(fisher_info_bernoulli(1e-300), float(1 / (mpmath.mpf(1e-300) * (1 - mpmath.mpf(1e-300)))), rtol=4e-16)


# ----------------------------------------------------------------------------- B3: interval functions, mismatched shapes


@pytest.mark.parametrize(
    ("func", "first"),
    [("wilson_interval", "k"), ("bernoulli_lr_interval", "k"), ("poisson_lr_interval", "total"), ("poisson_score_interval", "total")],
)
def test_interval_mismatched_shapes_name_the_arguments(func, first):
    import mlelib
    from mlelib import DataError

    with pytest.raises(DataError, match=rf"{first} and n must .* broadcast.*{first} of shape \(3,\) and n of shape \(2,\)"):
        getattr(mlelib, func)([1, 2, 3], [10, 20])
    # broadcasting shapes still work, row by row equal to the scalar calls
    got = getattr(mlelib, func)([[1], [2]], [10, 20, 30])
    assert got.shape == (2, 3, 2)
    # (vectorised bisection stops when all entries have converged: the last bits may differ)
    assert_allclose(got[1, 2], getattr(mlelib, func)(2, 30), rtol=1e-14)


# ----------------------------------------------------------------------------- B4: derivatives at |x| < 1e-19


@pytest.mark.parametrize("x0", [1e-20, 1e-25, 1e-100, 1e-300])
def test_numerical_gradient_tiny_parameter_matches_analytic(x0):
    """d log(t)/dt = 1/t at t = x0: f is smooth there (x0 is far from 0 on its own scale)."""
    from mlelib import numerical_gradient

    g = numerical_gradient(lambda t: np.log(t[0]), [x0])
    # Richardson-extrapolated central differences: ~eps^(4/5) ~ 3e-13 relative; 1e-10 leaves a margin
    assert_allclose(g, [1 / x0], rtol=1e-10)
    # with a second coordinate of order 1: f = log(a) + a / x0 * b^2, gradient (1/a + b^2 / x0, 2 a b / x0)
    a, b = x0, 3.0
    g2 = numerical_gradient(lambda t: np.log(t[0]) + t[0] / x0 * t[1] ** 2, [a, b])
    assert_allclose(g2, [1 / a + b**2 / x0, 2 * a * b / x0], rtol=1e-9)


@pytest.mark.parametrize("x0", [1e-20, 1e-25, 1e-100])
def test_numerical_hessian_tiny_parameter_matches_analytic(x0):
    """d^2 log(t)/dt^2 = -1/t^2 (representable for t >= 1e-154); Hessian relative accuracy ~eps^(2/3) ~ 4e-11."""
    from mlelib import numerical_hessian

    assert_allclose(numerical_hessian(lambda t: np.log(t[0]), [x0]), [[-1 / x0**2]], rtol=1e-8)


# ----------------------------------------------------------------------------- B5: labels as a column


def test_categorical_nll_labels_column_says_ravel():
    pytest.importorskip("torch")
    from mlelib import DataError, categorical_nll

    L = np.zeros((20, 4))
    lab = np.arange(20) % 4
    with pytest.raises(DataError, match=r"y has shape \(20, 1\), a column; integer labels must have shape \(20,\) \(pass y.ravel\(\)\)"):
        categorical_nll(L, lab[:, None])
    # the flat labels work: every class has probability 1/4 (oracle: 20 log 4)
    assert_allclose(categorical_nll(L, lab).item(), 20 * np.log(4), rtol=1e-12)


# ----------------------------------------------------------------------------- B6: fit_linear with y * 1e-300


def test_fit_linear_tiny_y_message_names_y():
    from mlelib import DataError, fit_linear

    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    X = np.column_stack([np.ones(50), x])
    with pytest.raises(DataError, match=r"below the smallest normal.*or y is extremely small.*multiply y by 1e100"):
        fit_linear(X, (1 + 2 * x + rng.normal(size=50)) * 1e-300)

"""Regression tests for the round-2 findings on fit and the closed forms (/work/notes/FINDINGS2.md).

Every expected value comes from an independent oracle: scipy.stats fits, closed forms, exact
integer arithmetic, or a centred refit mapped back by an exact reparametrisation.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

import mlelib as ml
from mlelib import fit


def _quiet(f, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = f(*args, **kwargs)
    return res, [str(w.message) for w in caught]


def _t_nll(x):
    return lambda t: -np.sum(stats.t.logpdf(x, t[2], t[0], t[1]))


# B6: the kink check decides on the trend over the resolvable steps, not on the largest step


def test_student_t_with_estimated_df_is_not_called_a_kink():
    """FINDINGS2 B6 reproducer: an interior maximum (df 45.8) that scipy.stats.t.fit also finds.
    Before: converged=False, 'not smooth at the estimate' (ratio 4.99 at 1/8 SE)."""
    x = np.random.default_rng(67).standard_t(3, size=25)
    res, caught = _quiet(fit, _t_nll(x), [0.0, 1.0, 5.0], transform=[None, "log", "log"])
    df, loc, scale = stats.t.fit(x)
    assert res.converged and not caught
    # scipy's optimiser stops within ~1e-5 relative on the weakly determined df
    np.testing.assert_allclose(res.params, [loc, scale, df], rtol=1e-4)
    assert np.all(np.isfinite(res.bse))


def test_student_t_sweep_interior_maxima_all_converge():
    """50 seeded samples (df 3, n 25): every sample whose maximum is interior (scipy's df below 1e3)
    converges with the parameters of scipy.stats.t.fit; the others run off to df -> infinity and must be
    flagged for that reason (never as a kink)."""
    interior = 0
    for seed in range(50):
        x = np.random.default_rng(seed).standard_t(3, size=25)
        res, caught = _quiet(fit, _t_nll(x), [0.0, 1.0, 5.0], transform=[None, "log", "log"])
        assert not any("not smooth" in c or "could not be verified" in c for c in caught), (seed, caught)
        df, loc, scale = stats.t.fit(x)
        if df < 1e3:
            interior += 1
            assert res.converged, (seed, caught)
            np.testing.assert_allclose(res.params, [loc, scale, df], rtol=1e-3, err_msg=str(seed))
    assert interior >= 30  # the sweep does test interior maxima


def test_cauchy_two_points_flat_quartic_top_converges():
    """sum log(1 + (x_i - t)^2) for x = +-0.99 is analytic with maximum at 0 (by symmetry; its second
    derivative there is 4(1 - 0.99^2)/(1 + 0.99^2)^2 > 0)."""
    x = np.array([-0.99, 0.99])
    res, caught = _quiet(fit, lambda t: np.sum(np.log1p((x - t[0]) ** 2)), [0.1])
    assert res.converged and not caught
    assert abs(res.params[0]) < 1e-6
    curv = 4 * (1 - 0.99**2) / (1 + 0.99**2) ** 2
    assert res.bse[0] == pytest.approx(1 / np.sqrt(curv), rel=1e-4)


@pytest.mark.parametrize("loc", [0.0, 1e6, 1e10])
def test_laplace_location_kink_still_caught(loc):
    x = loc + np.random.default_rng(0).laplace(size=10001)
    with pytest.warns(RuntimeWarning, match="not smooth at the estimate"):
        res = fit(lambda t: np.sum(np.abs(x - t[0])), [loc + 0.3])
    assert not res.converged and np.all(np.isnan(res.bse))


# A3: a check that cannot be evaluated does not count as passed


@pytest.mark.parametrize("loc, sc", [(1e12, 1.0), (1e9, 1e-3), (1e6, 1e-6)])
def test_laplace_kink_at_huge_location_is_not_converged(loc, sc):
    """FINDINGS2 A3: every kink-check step below the rounding of eta (loc/sc = 1e12). Before:
    converged=True with an SE of 649 sc (the median's asymptotic SE is about sc/sqrt(n) = 0.01 sc)."""
    x = loc + sc * np.random.default_rng(0).laplace(size=10001)
    with pytest.warns(RuntimeWarning, match="could not be verified|not smooth"):
        res = fit(lambda t: np.sum(np.abs(x - t[0])) / sc, [loc + 0.3 * sc])
    assert not res.converged and np.all(np.isnan(res.bse))


def test_unverifiable_smoothness_is_reported_as_such():
    """The A3 reproducer at loc/sc = 1e12: F's own rounding (1e-4 per term) swamps every step, so the
    check cannot be made; the warning must say so (not pass, and not invent a verdict)."""
    x = 1e12 + np.random.default_rng(0).laplace(size=10001)
    with pytest.warns(RuntimeWarning, match="smoothness of the negative log-likelihood at the estimate could not be verified"):
        res = fit(lambda t: np.sum(np.abs(x - t[0])), [1e12 + 0.3])
    assert not res.converged


# A5: a worse local maximum is not returned as converged when a failed start found a better one


def test_multistart_does_not_hide_a_better_failed_maximum():
    """F(t) = min((t - 10)^2 / 2, 2|t| - 5): a smooth local minimum F = 0 at t = 10 and the global
    minimum F = -5 at the kink t = 0 (closed form). Before: t = 10 returned with converged=True and no
    warning. Now the better point is returned, converged=False, and the warning names both values."""
    nll = lambda t: min((t[0] - 10.0) ** 2 / 2, 2 * abs(t[0]) - 5.0)  # noqa: E731
    with pytest.warns(RuntimeWarning) as rec:
        res = fit(nll, [0.3], starts=[[9.0]])
    assert not res.converged
    assert abs(res.params[0]) < 1e-4 and res.loglik == pytest.approx(5.0, abs=1e-3)
    text = " ".join(str(w.message) for w in rec)
    assert "local maximum that is not the MLE" in text and "highest log-likelihood found (5)" in text
    assert "(at [10.])" in text
    # the passing start alone is still a clean local fit (no false alarm from the new rule)
    res, caught = _quiet(fit, nll, [9.0])
    assert res.converged and not caught and res.params[0] == pytest.approx(10.0, abs=1e-6)


def test_multistart_cauchy_reproducer_returns_global_maximum():
    """FINDINGS2 A5 reproducer: Cauchy location, x = (+-0.99, +-40). Oracle: a grid over [-43, 43] puts
    the global maximum at 0 (by symmetry) with log-likelihood -16.123; 39.94 is a local maximum."""
    x = np.array([-0.99, 0.99, -40.0, 40.0])
    nll = lambda t: np.sum(np.log1p((x - t[0]) ** 2))  # noqa: E731
    grid = np.linspace(-43, 43, 86001)
    vals = np.sum(np.log1p((x[:, None] - grid) ** 2), axis=0)
    res, caught = _quiet(fit, nll, [0.1], starts=[[40.0]])
    assert res.converged and not caught
    assert abs(res.params[0] - grid[np.argmin(vals)]) < 1e-3
    assert res.loglik == pytest.approx(-vals.min(), abs=1e-6)


# B4: a weak eigenvalue made slightly negative by rounding is measured, not called a saddle


def test_logistic_covariate_offset_1e5_is_not_a_saddle():
    """FINDINGS2 B4 reproducer (raw-scale logistic, covariate 1e5 + N(0, 1)). Before: 'not positive
    definite ... a saddle point or a ridge', converged=False, bse NaN. Oracle: statsmodels Logit on the
    centred covariate, mapped back exactly by b0 = a0 - 1e5 a1, b1 = a1 (covariance J C J')."""
    sm = pytest.importorskip("statsmodels.api")
    off = 1e5
    rng = np.random.default_rng(4)
    n = 500
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * x)))).astype(float)
    X = np.column_stack([np.ones(n), x + off])
    res, caught = _quiet(fit, lambda b: np.sum(np.logaddexp(0, X @ b) - y * (X @ b)), [0.0, 0.0])
    ref = sm.Logit(y, np.column_stack([np.ones(n), x])).fit(disp=0, method="newton", tol=1e-12)
    J = np.array([[1.0, -off], [0.0, 1.0]])
    b_ref, cov_ref = J @ ref.params, J @ ref.cov_params() @ J.T
    se_ref = np.sqrt(np.diag(cov_ref))
    assert res.converged and not caught
    # the raw-scale likelihood rounds at ~1e-10 (b0 ~ -8e4 cancels b1 x ~ 8e4): 1e-3 SE is ample
    assert np.all(np.abs(res.params - b_ref) < 1e-3 * se_ref)
    np.testing.assert_allclose(res.bse, se_ref, rtol=1e-3)


def test_flat_ridge_is_still_refused():
    """An unidentified pair (only a + b enters): a ridge, whatever the rounding of the Hessian's weak
    eigenvalue; it must stay converged=False."""
    x = np.random.default_rng(1).normal(size=50)
    with pytest.warns(RuntimeWarning, match="not positive definite|ridge|not identified"):
        res = fit(lambda t: 0.5 * np.sum((x - t[0] - t[1]) ** 2), [0.1, 0.2])
    assert not res.converged


# A6: int64 data above 2**53 are not rounded silently


def test_gaussian_mle_int64_timestamps_refused_with_offset_advice():
    """FINDINGS2 A6: ns time stamps (int64, ~1.7e18). Before: sigma2 = 180224 (the exact MLE is
    112500, from the integer differences). Now a DataError suggesting x - x.min(), which then gives the
    exact answer (oracle: integer arithmetic, var of 0, 300, 600, 900 = 112500)."""
    t0 = 1_700_000_000_000_000_000
    x = np.array([t0, t0 + 300, t0 + 600, t0 + 900], dtype=np.int64)
    with pytest.raises(ml.DataError, match=r"2\*\*53.*x - x\.min\(\)"):
        ml.gaussian_mle(x)
    with pytest.raises(ml.DataError, match=r"2\*\*53"):
        ml.gaussian_loglik(x, 0.0, 1.0)
    d = x - x.min()
    mu, s2 = ml.gaussian_mle(d)
    assert mu == 450.0 and s2 == 112500.0  # exact: sum((d - 450)^2) / 4 = (450^2 + 150^2) / 2


def test_distinct_int64_values_not_called_all_equal():
    """2**62, 2**62 + 2, 2**62 + 4 are distinct; float64 rounds them all to 2**62 (spacing 1024)."""
    with pytest.raises(ml.DataError, match="cannot represent exactly"):
        ml.gaussian_mle(np.array([2**62, 2**62 + 2, 2**62 + 4], dtype=np.int64))


def test_exactly_representable_large_integers_still_accepted():
    """Integers beyond 2**53 that float64 holds exactly (powers of 2, -2**63) convert without loss."""
    mu, s2 = ml.gaussian_mle(np.array([2**60, 2**61], dtype=np.int64))
    assert mu == 1.5 * 2.0**60 and s2 == 0.25 * 2.0**120
    assert ml.gaussian_mle(np.array([-(2**63), 0]))[0] == -(2.0**62)


# C3: option values of the wrong type get a clear error naming the option


@pytest.mark.parametrize(
    "options, match",
    [
        ({"maxiter": "10"}, r"options\['maxiter'\].*positive integer.*'10'"),
        ({"maxiter": 2.5}, r"options\['maxiter'\].*positive integer"),
        ({"gtol": -1e-8}, r"options\['gtol'\].*positive number"),
        ({"gtol": "1e-8"}, r"options\['gtol'\].*positive number"),
        ({"disp": "yes"}, r"options\['disp'\].*True or False"),
        ({"workers": 2}, r"options\['workers'\].*not supported"),
    ],
)
def test_fit_option_values_are_validated(options, match):
    """FINDINGS2 C3: before, bare scipy TypeError ('<' not supported ...) or an AttributeError
    (cannot pickle local object) from deep inside scipy."""
    with pytest.raises(ValueError, match=match):
        fit(lambda t: (t[0] - 1.0) ** 2, [0.0], options=options)


def test_valid_option_values_still_work():
    res = fit(lambda t: 0.5 * (t[0] - 1.0) ** 2, [0.0], options={"maxiter": 200, "gtol": 1e-9, "disp": False})
    assert res.converged and res.params[0] == pytest.approx(1.0, abs=1e-6)
    res = fit(lambda t: 0.5 * (t[0] - 1.0) ** 2, [0.0], method="Nelder-Mead", options={"xatol": 1e-10, "maxfev": np.int64(5000)})
    assert res.converged


# C1 (round-1 A3 residue): score intervals for n near the float64 limit


def _mp_score_limits(k, n, alpha, kind):
    """The closed forms in 60-digit arithmetic (mpmath): Poisson xbar + z^2/(2n) +- z sqrt(xbar/n +
    z^2/(4n^2)); Wilson (p + z^2/(2n) +- z sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    z = mpmath.mpf(stats.norm.isf(alpha / 2))  # the same z as the library (float64 quantile)
    k, n = mpmath.mpf(k), mpmath.mpf(n)
    if kind == "poisson":
        xbar = k / n
        c, h = xbar + z**2 / (2 * n), z * mpmath.sqrt(xbar / n + z**2 / (4 * n**2))
        return float(c - h), float(c + h)
    p = k / n
    d = 1 + z**2 / n
    c, h = (p + z**2 / (2 * n)) / d, z / d * mpmath.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return float(c - h), float(c + h)


@pytest.mark.parametrize("k", [0, 3, 1000])
@pytest.mark.parametrize("n", [1e308, 1.7e308, 1e300, 5000.0])
def test_score_intervals_near_float64_max_match_mpmath(k, n):
    """FINDINGS2 C1: poisson_score_interval(0, 1e308) gave [nan, 0] (2 n overflowed); (3, 1e308) and
    wilson_interval(3, 1e308) were 30 % off. Limits of ~1e-308 are subnormal-adjacent, hence atol 1e-322."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        pois = ml.poisson_score_interval(k, n)
        wil = ml.wilson_interval(k, n)
    for got, kind in ((pois, "poisson"), (wil, "wilson")):
        lo, hi = _mp_score_limits(k, n, 0.05, kind)
        if k == 0:
            lo = 0.0  # exactly, by the closed form (c = h when k = 0)
        np.testing.assert_allclose(got, [lo, hi], rtol=1e-13, atol=1e-322, err_msg=kind)


@pytest.mark.parametrize("loc", [1e9, 1e11, 1e12])
def test_smooth_gaussian_at_large_location_still_converges(loc):
    """The kink check must not call a smooth maximum unverifiable because eta is large: the rounding of
    eta +- t u is accounted for. Oracle: the closed-form MLE (mean, var) and SEs sqrt(var/n) and
    var sqrt(2/n) (log scale: sqrt(2/n))."""
    n = 100
    x = np.random.default_rng(5).normal(loc, 1.0, size=n)
    nll = lambda t: 0.5 * np.sum((x - t[0]) ** 2 / t[1]) + 0.5 * n * np.log(t[1])  # noqa: E731
    res, caught = _quiet(fit, nll, [loc + 0.5, 2.0], transform=[None, "log"])
    d = x - x.mean()
    var = np.mean(d**2)
    assert res.converged and not caught
    assert abs(res.params[0] - x.mean()) < 0.01 * np.sqrt(var / n)
    np.testing.assert_allclose(res.bse, [np.sqrt(var / n), var * np.sqrt(2 / n)], rtol=1e-3)


@pytest.mark.parametrize("scale", [1.0, 1e-10, 1e-15, 1e-20])
def test_numerical_hessian_cross_term_at_tiny_parameters(scale):
    """f = a b 1e40 + log a + 1e40 b^2: the cross term 1e40 was 0 at (1e-20, 3e-20) (diagonal step of b too large)."""
    import mlelib as ml

    f = lambda t: t[0] * t[1] * 1e40 + np.log(t[0]) + 1e40 * t[1] ** 2  # noqa: E731
    H = ml.numerical_hessian(f, [1.0 * scale, 3.0 * scale])
    assert H[0, 1] == pytest.approx(1e40, rel=1e-4)
    assert H[1, 1] == pytest.approx(2e40, rel=1e-6)


def test_python_integers_beyond_2_53_whose_rounding_eats_their_spread_are_refused():
    """A list of Python ints near 2**64 (object dtype, no int64 check) would be called 'all equal'."""
    import mlelib as ml

    with pytest.raises(ml.DataError, match="visible part of the spread"):
        ml.gaussian_mle([2**64 + 1, 2**64 + 301, 2**64 + 601])
    assert ml.poisson_mle([10**300, 10**300]) == 1e300  # identical: nothing is lost
    mu, s2 = ml.gaussian_mle([2**63 + 1, 5, 2**63 + 300])  # rounding (1) negligible against the spread (2**63)
    assert np.isfinite(mu) and s2 > 0

"""mlelib.simulation: simulated sampling distributions against known ones, Monte Carlo errors against closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from mlelib import DataError, mc_se_proportion, mc_standard_error, simulate_estimator


def _normal(rng, size):
    return rng.normal(2.0, 3.0, size=size)


def _mean(x):
    return x.mean(axis=1)


def test_mean_of_normals_has_variance_sigma2_over_n():
    """Var(x̄) = σ²/n and E[x̄] = μ, both within 4 Monte Carlo standard errors (R = 20,000)."""
    n, reps = 10, 20_000
    est = simulate_estimator(_mean, _normal, n, reps, np.random.default_rng(1))
    assert est.shape == (reps,)
    assert abs(est.mean() - 2.0) < 4 * mc_standard_error(est)
    assert abs(est.var(ddof=1) - 9.0 / n) < 4 * mc_standard_error(est, "variance")


def test_variance_mle_has_scaled_chi2_distribution():
    """n σ̂²/σ² ~ χ²_{n-1}: a Kolmogorov–Smirnov test at R = 5,000 does not reject (p > 0.001)."""
    n = 6
    est = simulate_estimator(lambda x: x.var(axis=1), _normal, n, 5_000, np.random.default_rng(2))
    assert stats.kstest(n * est / 9.0, stats.chi2(df=n - 1).cdf).pvalue > 1e-3


def test_poisson_mean_is_exactly_unbiased_with_variance_lambda_over_n():
    """For Poisson(λ), x̄ has mean λ and variance λ/n (the Cramér–Rao bound), within 4 MC standard errors."""
    n, reps, lam = 20, 40_000, 3.0
    est = simulate_estimator(_mean, lambda rng, size: rng.poisson(lam, size=size), n, reps, np.random.default_rng(3))
    assert abs(est.mean() - lam) < 4 * mc_standard_error(est)
    assert abs(est.var(ddof=1) - lam / n) < 4 * mc_standard_error(est, "variance")


def test_same_seed_same_estimates_and_different_seed_differs():
    """The whole simulation is a function of the generator state: equal seeds give bit-identical output."""
    a = simulate_estimator(_mean, _normal, 7, 50, np.random.default_rng(11))
    b = simulate_estimator(_mean, _normal, 7, 50, np.random.default_rng(11))
    c = simulate_estimator(_mean, _normal, 7, 50, np.random.default_rng(12))
    assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_rows_are_the_replications():
    """Row r of the draw gives estimate r: the same numbers as drawing the (reps, n) array by hand."""
    x = np.random.default_rng(5).normal(2.0, 3.0, size=(4, 9))
    est = simulate_estimator(_mean, _normal, 9, 4, np.random.default_rng(5))
    assert_allclose(est, [row.mean() for row in x], rtol=1e-15)


def test_vector_estimator_returns_one_row_per_replication():
    """An estimator of (μ, σ²) returns shape (reps, 2); both columns have the known means μ and (n-1)σ²/n."""
    n, reps = 5, 20_000

    def mu_sigma2(x):
        return np.column_stack([x.mean(axis=1), x.var(axis=1)])

    est = simulate_estimator(mu_sigma2, _normal, n, reps, np.random.default_rng(4))
    assert est.shape == (reps, 2)
    se = mc_standard_error(est)
    assert se.shape == (2,)
    assert np.all(np.abs(est.mean(axis=0) - [2.0, 9.0 * (n - 1) / n]) < 4 * se)


def test_errors_inside_the_sampler_propagate_unchanged():
    """An exception raised by the user's own sampler is not rewrapped, so its traceback points at the bug."""

    def broken(rng, size):
        raise KeyError("missing parameter")

    with pytest.raises(KeyError, match="missing parameter"):
        simulate_estimator(_mean, broken, 3, 2, np.random.default_rng(0))


def test_integer_draws_are_returned_as_floats():
    """Counts from rng.poisson come back as float estimates."""
    est = simulate_estimator(lambda x: x.sum(axis=1), lambda rng, size: rng.poisson(1.0, size=size), 3, 5,
                             np.random.default_rng(0))
    assert est.dtype == np.float64


def test_mc_standard_error_mean_formula():
    """se(mean) = s/√R, computed by hand on tiny data."""
    v = np.array([1.0, 2.0, 3.0, 4.0])
    assert mc_standard_error(v) == pytest.approx(np.sqrt(np.var(v, ddof=1) / 4))


def test_mc_standard_error_variance_matches_normal_theory_and_repeated_simulation():
    """se(s²) ≈ σ²√(2/(R-1)) for normal values, and equals the spread of s² over 400 repeated simulations."""
    rng = np.random.default_rng(8)
    v = rng.normal(size=(400, 2_000))  # 400 independent simulations of R = 2,000 values
    ses = np.array([mc_standard_error(row, "variance") for row in v[:20]])
    # each estimate scatters by about 6% (it uses a sample fourth moment); their mean by 6%/sqrt(20) = 1.3%
    assert_allclose(ses.mean(), np.sqrt(2 / 1999), rtol=0.06)
    assert_allclose(ses, np.sqrt(2 / 1999), rtol=0.25)
    spread = np.std(v.var(axis=1, ddof=1), ddof=1)  # its own relative MC error is about 1/sqrt(2*399) = 3.5%
    assert_allclose(spread, np.sqrt(2 / 1999), rtol=0.15)


def test_mc_standard_error_sd_is_delta_method():
    """se(s) = se(s²)/(2s); for normal values close to σ/√(2(R-1))."""
    v = np.random.default_rng(9).normal(0.0, 2.0, size=50_000)
    se_sd = mc_standard_error(v, "sd")
    assert se_sd == pytest.approx(mc_standard_error(v, "variance") / (2 * v.std(ddof=1)))
    assert_allclose(se_sd, 2.0 / np.sqrt(2 * 49_999), rtol=0.05)


def test_mc_standard_error_constant_values_give_zero():
    """A constant column has zero spread, so every standard error is 0 (no division by zero)."""
    assert_array_equal(mc_standard_error(np.ones((5, 2)), "sd"), [0.0, 0.0])


@given(p=st.floats(0.0, 1.0), reps=st.integers(1, 10**6))
def test_mc_se_proportion_is_binomial_sd(p, reps):
    """se(k/R) = sd(Binomial(R, p))/R = √(p(1-p)/R), against scipy."""
    assert mc_se_proportion(p, reps) == pytest.approx(stats.binom(reps, p).std() / reps, rel=1e-9, abs=1e-15)


def test_mc_se_proportion_vectorised():
    """An array of proportions gives an array of standard errors."""
    assert_allclose(mc_se_proportion([0.5, 0.95], 100), [0.05, np.sqrt(0.95 * 0.05 / 100)])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, DataError, r"n must be an integer >= 1; got 0"),
        ({"n": 2.5}, DataError, r"n must be an integer >= 1; got 2.5"),
        ({"n": True}, DataError, r"n must be an integer"),
        ({"reps": -3}, DataError, r"reps must be an integer >= 1; got -3"),
        ({"rng": 42}, TypeError, r"rng must be a numpy.random.Generator .* got int"),
        ({"estimator": "mean"}, TypeError, r"estimator must be callable"),
        ({"sampler": None}, TypeError, r"sampler must be callable"),
        ({"sampler": lambda rng, size: rng.normal(size=size[::-1])}, DataError,
         r"shape \(reps, n\) = \(3, 4\); got shape \(4, 3\)"),
        ({"sampler": lambda rng, size: [["a"] * size[1]] * size[0]}, DataError, r"must return a numeric array"),
        ({"estimator": lambda x: x.mean(axis=0)}, DataError, r"shape \(3,\) or \(3, k\); got shape \(4,\) .*axis 0"),
        ({"estimator": lambda x: x.mean()}, DataError, r"one estimate per replication.*got shape \(\)"),
        ({"estimator": lambda x: ["a"] * x.shape[0]}, DataError, r"estimator\(x\) must return a numeric array"),
    ],
)
def test_simulate_estimator_bad_inputs(kwargs, error, message):
    """Each bad argument is refused with a message naming the argument, the bad value and what is valid."""
    args = {"estimator": _mean, "sampler": _normal, "n": 4, "reps": 3, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        simulate_estimator(**args)


@pytest.mark.parametrize(
    ("values", "statistic", "message"),
    [
        ([1.0], "mean", r"at least 2 replications to estimate a standard error; got 1"),
        ([1.0, np.nan, 2.0], "mean", r"1 non-finite .* first at index \(1,\)"),
        (np.ones((2, 2, 2)), "mean", r"1-D \(reps,\) or 2-D \(reps, k\); got shape \(2, 2, 2\)"),
        (["x", "y"], "mean", r"values must be numeric"),
        ([1.0, 2.0], "median", r"statistic must be one of mean, variance, sd; got 'median'"),
    ],
)
def test_mc_standard_error_bad_inputs(values, statistic, message):
    """Too few, non-finite, wrongly shaped or non-numeric values, and unknown statistics, are refused."""
    with pytest.raises(DataError, match=message):
        mc_standard_error(values, statistic)


@pytest.mark.parametrize(
    ("p", "reps", "message"),
    [(1.5, 10, r"p must be a proportion in \[0, 1\]; got 1.5"), (np.nan, 10, r"got nan"),
     (0.5, 0, r"reps must be an integer >= 1; got 0")],
)
def test_mc_se_proportion_bad_inputs(p, reps, message):
    """A proportion outside [0, 1] or a non-positive number of replications is refused."""
    with pytest.raises(DataError, match=message):
        mc_se_proportion(p, reps)


def test_mc_standard_error_of_huge_values():
    """Values ~1e200: the moments are taken on scaled values (exact power of 2); the se of the mean is
    s/sqrt(R) to 1e-14, and the se of the variance (about 1e400) is refused, not inf."""
    v = np.array([1e200, -1e200, 3e200])
    assert mc_standard_error(v) == pytest.approx(np.std(v / 1e200, ddof=1) / np.sqrt(3) * 1e200, rel=1e-14)
    with pytest.raises(DataError, match="standard error of the variance of these values overflows"):
        mc_standard_error(v, "variance")

"""Closed-form estimators: hand-worked values, scipy's numeric fits, bad input, and properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from mlelib import (
    DataError,
    NoFiniteMLEError,
    bernoulli_loglik,
    bernoulli_mle,
    exponential_loglik,
    exponential_mle,
    gaussian_loglik,
    gaussian_mle,
    poisson_loglik,
    poisson_mle,
)

RNG_SEED = 20261125


def test_hand_worked_values():
    """Tiny samples whose MLEs are worked out by hand."""
    assert gaussian_mle([1.0, 2.0, 3.0]) == (2.0, pytest.approx(2 / 3, rel=1e-15))
    assert bernoulli_mle([1, 0, 1, 1]) == 0.75
    assert poisson_mle([0, 2, 1, 3]) == 1.5
    assert exponential_mle([0.5, 1.5]) == 1.0


def test_return_types_are_python_floats():
    """The contract returns plain floats, so f-strings and comparisons behave the same everywhere."""
    values = [*gaussian_mle([1.0, 2.0]), bernoulli_mle([0, 1]), poisson_mle([1, 2]), exponential_mle([1.0])]
    assert all(type(v) is float for v in values)


def test_gaussian_matches_scipy_norm_fit():
    """scipy.stats.norm.fit maximises the same likelihood numerically; both divide by n."""
    x = np.random.default_rng(RNG_SEED).normal(5.0, 2.0, size=500)
    mu, sigma2 = gaussian_mle(x)
    loc, scale = stats.norm.fit(x)
    assert_allclose([mu, sigma2], [loc, scale**2], rtol=1e-12)


def test_exponential_matches_scipy_expon_fit():
    """scipy's expon.fit with loc fixed at 0 gives scale = mean, i.e. rate = 1/mean."""
    x = np.random.default_rng(RNG_SEED).exponential(scale=2.0, size=500)
    _, scale = stats.expon.fit(x, floc=0)
    assert_allclose(exponential_mle(x), 1 / scale, rtol=1e-12)


def test_bernoulli_matches_scipy_numeric_maximiser():
    """Maximising the Bernoulli log-likelihood numerically lands on k/n."""
    from scipy.optimize import minimize_scalar

    x = np.random.default_rng(RNG_SEED).binomial(1, 0.3, size=400)
    res = minimize_scalar(lambda p: -stats.bernoulli.logpmf(x, p).sum(), bounds=(1e-9, 1 - 1e-9), method="bounded",
                          options={"xatol": 1e-12})
    assert_allclose(bernoulli_mle(x), res.x, atol=1e-8)


def test_poisson_matches_scipy_fit():
    """scipy.stats.fit (the generic numeric MLE for discrete families) agrees with the sample mean."""
    x = np.random.default_rng(RNG_SEED).poisson(3.2, size=400)
    fit = stats.fit(stats.poisson, x, bounds={"mu": (0, 20), "loc": (0, 0)})
    assert_allclose(poisson_mle(x), fit.params.mu, rtol=1e-6)


def test_logliks_match_scipy_logpdf_sums():
    """Each log-likelihood equals the sum of scipy's log-densities at the same parameter."""
    rng = np.random.default_rng(RNG_SEED)
    xn, xb, xp, xe = rng.normal(1, 2, 50), rng.binomial(1, 0.4, 50), rng.poisson(2.5, 50), rng.exponential(0.7, 50)
    assert_allclose(gaussian_loglik(xn, 0.7, 3.1), stats.norm.logpdf(xn, 0.7, np.sqrt(3.1)).sum(), rtol=1e-13)
    assert_allclose(bernoulli_loglik(xb, 0.35), stats.bernoulli.logpmf(xb, 0.35).sum(), rtol=1e-13)
    assert_allclose(poisson_loglik(xp, 2.2), stats.poisson.logpmf(xp, 2.2).sum(), rtol=1e-13)
    assert_allclose(exponential_loglik(xe, 1.3), stats.expon.logpdf(xe, scale=1 / 1.3).sum(), rtol=1e-13)


def test_loglik_is_vectorised_over_parameters():
    """An array of parameter values gives the log-likelihood at each one."""
    x = [0.2, 1.4, -0.3]
    grid = np.array([-1.0, 0.0, 2.0])
    assert_allclose(gaussian_loglik(x, grid, 1.5), [gaussian_loglik(x, m, 1.5) for m in grid], rtol=1e-14)
    assert_allclose(bernoulli_loglik([1, 0, 1], grid[1:] / 4 + 0.25), [bernoulli_loglik([1, 0, 1], p) for p in (0.25, 0.75)])


def test_loglik_does_not_underflow_for_large_n():
    """A product of 2000 densities underflows to 0.0; the sum of logs stays finite and exact."""
    x = np.random.default_rng(RNG_SEED).normal(size=2000)
    assert np.prod(stats.norm.pdf(x)) == 0.0
    ll = gaussian_loglik(x, 0.0, 1.0)
    assert np.isfinite(ll)
    assert_allclose(ll, -0.5 * x.size * np.log(2 * np.pi) - 0.5 * np.sum(x**2), rtol=1e-13)


def test_boundary_conventions():
    """0 log 0 = 0: all-zero Bernoulli/Poisson data have log-likelihood 0 at the boundary MLE."""
    assert bernoulli_mle([0, 0, 0]) == 0.0
    assert bernoulli_loglik([0, 0, 0], 0.0) == 0.0
    assert bernoulli_loglik([1, 0], 0.0) == -np.inf
    assert poisson_mle([0, 0]) == 0.0
    assert poisson_loglik([0, 0], 0.0) == 0.0


ALL_ESTIMATORS = [gaussian_mle, bernoulli_mle, poisson_mle, exponential_mle]


@pytest.mark.parametrize("estimator", ALL_ESTIMATORS)
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "empty"),
        ([0.0, np.nan, 1.0], "non-finite"),
        ([1.0, np.inf], "non-finite"),
        ([[0.0, 1.0], [1.0, 0.0]], "must be 1-D"),
        (1.0, "must be 1-D"),
        (["a", "b"], "must be numeric"),
    ],
)
def test_generic_bad_input(estimator, bad, message):
    """Empty, non-finite, non-1-D and non-numeric input is refused by every estimator, with a message naming it."""
    with pytest.raises(DataError, match=message):
        estimator(bad)


@pytest.mark.parametrize(
    ("estimator", "bad", "message"),
    [
        (bernoulli_mle, [0, 1, 2], "Bernoulli data must be 0 or 1.*first 2 at position 2"),
        (bernoulli_mle, [0.5, 1], "Bernoulli data must be 0 or 1"),
        (bernoulli_mle, [-1, 0], "Bernoulli data must be 0 or 1"),
        (poisson_mle, [1, 2.5], "non-negative integers.*first 2.5 at position 1"),
        (poisson_mle, [2.7], "non-negative integers"),
        (poisson_mle, [3, -1], "non-negative integers.*first -1"),
        (exponential_mle, [1.0, -0.1], "Exponential data must be >= 0"),
    ],
)
def test_values_outside_support(estimator, bad, message):
    """Values the model cannot produce raise DataError; 2.5 is never truncated to 2."""
    with pytest.raises(DataError, match=message):
        estimator(bad)


@pytest.mark.parametrize(
    ("estimator", "bad", "message"),
    [
        (exponential_mle, [0.0, 0.0, 0.0], "no finite MLE"),
        (gaussian_mle, [3.0], "no MLE with sigma2 > 0"),
        (gaussian_mle, [0.1, 0.1, 0.1], "all 3 observation"),
    ],
)
def test_no_finite_mle(estimator, bad, message):
    """Valid data whose likelihood has no interior maximum raise NoFiniteMLEError (a ValueError)."""
    with pytest.raises(NoFiniteMLEError, match=message):
        estimator(bad)
    assert issubclass(NoFiniteMLEError, ValueError)


@pytest.mark.parametrize(
    ("loglik", "x", "bad_param", "message"),
    [
        (gaussian_loglik, [0.0, 1.0], dict(mu=0.0, sigma2=0.0), "sigma2 must be > 0"),
        (bernoulli_loglik, [0, 1], dict(p=1.5), r"p must be in \[0, 1\]"),
        (poisson_loglik, [0, 1], dict(lam=-1.0), "lam must be >= 0"),
        (exponential_loglik, [0.0, 1.0], dict(rate=np.nan), "rate must be > 0"),
    ],
)
def test_loglik_rejects_invalid_parameters(loglik, x, bad_param, message):
    """A parameter outside its domain is an error, not a NaN."""
    with pytest.raises(DataError, match=message):
        loglik(x, **bad_param)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=50).filter(lambda v: max(v) - min(v) > 1e-3), finite)
def test_gaussian_mle_is_shift_equivariant(x, shift):
    """Shifting the data by c shifts mu-hat by c and leaves sigma2-hat unchanged."""
    x = np.asarray(x)
    mu, s2 = gaussian_mle(x)
    mu_s, s2_s = gaussian_mle(x + shift)
    scale = np.max(np.abs(x)) + abs(shift)
    assert_allclose(mu_s, mu + shift, atol=1e-9 * scale)
    assert_allclose(s2_s, s2, rtol=1e-6, atol=1e-9 * scale**2)


@given(st.lists(st.integers(0, 1), min_size=1, max_size=200))
def test_bernoulli_mle_is_the_mean(x):
    """For 0/1 data the MLE is exactly the fraction of ones."""
    assert bernoulli_mle(x) == sum(x) / len(x)


@given(
    st.lists(st.floats(min_value=-100, max_value=100), min_size=2, max_size=40).filter(lambda v: max(v) - min(v) > 1e-2),
    st.floats(min_value=-5, max_value=5),
    st.floats(min_value=0.1, max_value=10),
)
def test_gaussian_loglik_is_maximal_at_the_mle(x, dmu, factor):
    """No other (mu, sigma2) has a higher log-likelihood than the MLE."""
    mu, s2 = gaussian_mle(x)
    assert gaussian_loglik(x, mu + dmu, s2 * factor) <= gaussian_loglik(x, mu, s2) + 1e-9 * abs(gaussian_loglik(x, mu, s2))


@given(st.lists(st.integers(0, 30), min_size=1, max_size=40).filter(any), st.floats(min_value=0.01, max_value=50))
def test_poisson_loglik_is_maximal_at_the_mle(x, lam):
    """The Poisson log-likelihood at any rate is at most its value at the sample mean."""
    assert poisson_loglik(x, lam) <= poisson_loglik(x, poisson_mle(x)) + 1e-9


@given(st.lists(st.floats(min_value=0, max_value=1e3), min_size=1, max_size=40).filter(lambda v: sum(v) > 1e-3),
       st.floats(min_value=1e-3, max_value=1e3))
def test_exponential_loglik_is_maximal_at_the_mle(x, rate):
    """The exponential log-likelihood at any rate is at most its value at 1/mean."""
    best = exponential_loglik(x, exponential_mle(x))
    assert exponential_loglik(x, rate) <= best + 1e-9 * max(1.0, abs(best))


@given(st.lists(st.integers(0, 1), min_size=1, max_size=60), st.floats(min_value=0, max_value=1))
def test_bernoulli_loglik_is_maximal_at_the_mle(x, p):
    """The Bernoulli log-likelihood at any p is at most its value at k/n."""
    assert bernoulli_loglik(x, p) <= bernoulli_loglik(x, bernoulli_mle(x)) + 1e-12


@pytest.mark.parametrize(
    "x, rate",
    [([1e308, 1.5e308], 1 / 1.25e308), ([1.7e308] * 4, 1 / 1.7e308), ([3e-300, 1e-300], 5e299)],
)
def test_exponential_mle_at_the_float_limits(x, rate):
    """The mean is taken on data scaled by a power of 2: no overflow of the sum (before: a rate of 0.0)."""
    assert exponential_mle(x) == pytest.approx(rate, rel=1e-15)


def test_float_limits_refused_or_right():
    """Near the float64 limits every answer is right or a clear DataError, never inf/0 silently."""
    assert gaussian_mle([1e154, 3e154]) == pytest.approx((2e154, 1e308), rel=1e-15)
    assert gaussian_mle([1e-150, 3e-150]) == pytest.approx((2e-150, 1e-300), rel=1e-15)
    assert poisson_mle([1e308, 1e308]) == 1e308
    with pytest.raises(DataError, match=r"sample variance \(about 1e400\) is outside the float64 range"):
        gaussian_mle([1e200, -1e200, 0.0])
    with pytest.raises(DataError, match="rate 1/mean overflows float64"):
        exponential_mle([1e-320])
    with pytest.raises(DataError, match="log-likelihood is finite but below -1.8e308"):
        exponential_loglik([1e308], 1e10)
    assert exponential_loglik([1e308, 1.5e308], 1e-308) == pytest.approx(
        stats.expon.logpdf([1e308, 1.5e308], scale=1e308).sum(), rel=1e-14
    )
    assert gaussian_loglik([1e154, 3e154], 2e154, 1e308) == pytest.approx(
        stats.norm.logpdf([1e154, 3e154], 2e154, 1e154).sum(), rel=1e-14
    )


@pytest.mark.parametrize(
    "fn", [gaussian_mle, bernoulli_mle, poisson_mle, exponential_mle, lambda x: gaussian_loglik(x, 0.0, 1.0)]
)
def test_complex_input_is_refused(fn):
    """Complex data were silently made real (with a ComplexWarning at most); now a DataError."""
    with pytest.raises(DataError, match="x must be real"):
        fn(np.array([1.0, 0.0, 1.0], dtype=complex))


# issue #15: unclear errors replaced by DataErrors naming the argument and the value


def test_integer_beyond_float64_is_a_data_error():
    """poisson_mle([10**400]) used to raise a bare OverflowError from the int -> float conversion."""
    from mlelib import DataError, poisson_mle

    with pytest.raises(DataError, match=r"x contains an integer with 401 digits, beyond the float64 range"):
        poisson_mle([10**400])
    with pytest.raises(DataError, match=r"x contains an integer with 310 digits"):
        poisson_mle([1, -(10**309)])
    assert poisson_mle([10**300, 10**300]) == 1e300  # large but representable: fine


def test_huge_categorical_label_is_refused_not_allocated():
    """categorical_mle([1e12]) used to try to allocate a 7 TiB count vector (MemoryError)."""
    from mlelib import DataError, categorical_loglik, categorical_mle

    with pytest.raises(DataError, match=r"label 1e\+12, so k = max\(x\) \+ 1 would be 1e\+12 classes.*np.unique"):
        categorical_mle([1e12])
    with pytest.raises(DataError, match=r"k = 100000000000 classes is too many"):
        categorical_mle([0, 1], k=10**11)
    with pytest.raises(DataError, match=r"labels in 0..0 \(k = 1\).*first 1e\+12"):  # k from the probabilities
        categorical_loglik([1e12], [1.0])
    assert categorical_mle([0, 3]).tolist() == [0.5, 0.0, 0.0, 0.5]


def test_gaussian_loglik_subnormal_variance_against_scipy():
    """sigma2 = 1e-320 (subnormal): 1/sigma2 overflows, and all-equal data gave 0 * inf = NaN, reported as
    'below -1.8e308' although the log-likelihood is +735. Oracle: scipy.stats.norm.logpdf summed."""
    from mlelib import DataError, gaussian_loglik

    cases = [([1.0, 1.0], 1.0, 1e-320), ([0.0, 1e-160], 5e-161, 1e-320), ([1e308, -1e308], 0.0, 1e308),
             ([1e200, 1.1e200], -1e200, 1e300), ([3.0, -1.0, 2.0], 0.5, 5e-324)]
    for x, mu, s2 in cases[:4]:
        oracle = stats.norm.logpdf(x, mu, np.sqrt(s2)).sum()
        assert gaussian_loglik(x, mu, s2) == pytest.approx(oracle, rel=1e-13)
    assert gaussian_loglik([7.0], 7.0, 5e-324) == pytest.approx(-0.5 * (np.log(2 * np.pi) + np.log(5e-324)), rel=1e-14)
    # a log-likelihood that really is below -1.8e308 is still refused with that reason
    with pytest.raises(DataError, match=r"below -1.8e308"):
        gaussian_loglik([1.0, 2.0], 1.5, 1e-320)

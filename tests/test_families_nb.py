"""NB2 log-probabilities of mlelib.families for every dispersion alpha: mpmath, scipy and the Poisson limit.

Issue #15: at alpha = 1e-12 the log-gamma difference lgamma(y + 1/alpha) - lgamma(1/alpha) cancelled
catastrophically and the log-likelihood was 0.3 off (0.0 after the Stirling form).
"""

import mpmath
import numpy as np
import pytest
from scipy import stats

from mlelib.families import NegativeBinomial, _nb_loglik_obs

ALPHAS = [1e-15, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 1.0, 10.0, 1e3]
MUS = [1e-3, 0.5, 3.0, 100.0, 1e4, 1e6]


def _exact(y, mu, a):
    """log NB2(y; mu, alpha) in 60-digit arithmetic (mpmath), from the definition."""
    with mpmath.workdps(60):
        y, mu, a = mpmath.mpf(y), mpmath.mpf(mu), mpmath.mpf(a)
        r = 1 / a
        value = (mpmath.loggamma(y + r) - mpmath.loggamma(r) - mpmath.loggamma(y + 1)
                 + r * mpmath.log(r / (r + mu)) + y * mpmath.log(mu / (r + mu)))
        return float(value)


def _ys(mu):
    return sorted({0.0, 1.0, 3.0, float(np.floor(mu)), float(np.floor(1.1 * mu) + 2), 1e7})


@pytest.mark.parametrize("a", ALPHAS)
def test_nb_logpmf_matches_60_digit_arithmetic(a):
    """Error at most a few roundings of the log-likelihood's terms |y log mu| + mu + log y!."""
    for mu in MUS:
        y = np.array(_ys(mu))
        got = NegativeBinomial(alpha=a).loglik_obs(y, np.full(y.shape, mu), np.full(y.shape, np.log(mu)), 1.0, 1.0)
        for yi, gi in zip(y, got):
            exact = _exact(yi, mu, a)
            scale = abs(yi * np.log(mu)) + mu + float(mpmath.loggamma(yi + 1)) + 1.0
            assert abs(gi - exact) <= 8 * np.finfo(float).eps * scale, (a, mu, yi, gi, exact)


@pytest.mark.parametrize("a", [1e-3, 0.1, 1.0, 10.0, 1e3])
def test_nb_logpmf_matches_scipy_where_scipy_is_accurate(a):
    """scipy.stats.nbinom(n=1/alpha, p=1/(1 + alpha mu)); its lgamma differences are accurate for n <= 1e3."""
    for mu in MUS:
        y = np.array(_ys(mu))
        got = _nb_loglik_obs(y, np.full(y.shape, mu), np.full(y.shape, np.log(mu)), a)
        want = stats.nbinom.logpmf(y, 1 / a, 1 / (1 + a * mu))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("a", [1e-15, 1e-12, 1e-250, 5e-324])
def test_nb_tends_to_poisson(a):
    """log NB2 - log Poisson = O(alpha (y - mu)^2 + alpha y): for tiny alpha within that bound of Poisson."""
    for mu in MUS:
        y = np.array(_ys(mu))
        got = _nb_loglik_obs(y, np.full(y.shape, mu), np.full(y.shape, np.log(mu)), a)
        pois = stats.poisson.logpmf(y, mu)
        bound = a * ((y - mu) ** 2 + y + mu) + 8 * np.finfo(float).eps * (np.abs(pois) + mu + 1)
        assert np.all(np.abs(got - pois) <= bound), (a, mu, got - pois, bound)


def test_alpha_1e12_was_off_by_0_3():
    """The reported case: mu = 3, y = 2, alpha = 1e-12 equals the Poisson value to 1e-12."""
    got = _nb_loglik_obs(np.array([2.0]), np.array([3.0]), np.log(np.array([3.0])), 1e-12)[0]
    assert got == pytest.approx(stats.poisson.logpmf(2, 3.0), abs=1e-12)

"""Per-observation Fisher information: against sympy's -E[d2 log f] and the simulated variance of the score."""

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose

from mlelib import (
    DataError,
    fisher_info_bernoulli,
    fisher_info_exponential,
    fisher_info_gaussian,
    fisher_info_gaussian_mean,
    fisher_info_gaussian_variance,
    fisher_info_poisson,
)


def test_symbolic_minus_expected_second_derivative():
    """I_1 = -E[d^2/dθ^2 log f(X; θ)], computed by sympy with the expectation taken analytically."""
    x, p, lam, s2, mu = sp.symbols("x p lambda sigma2 mu", positive=True)
    # Bernoulli: the second derivative is linear in x, so E replaces x by p.
    d2 = sp.diff(x * sp.log(p) + (1 - x) * sp.log(1 - p), p, 2)
    assert sp.simplify(-d2.subs(x, p) - 1 / (p * (1 - p))) == 0
    # Poisson: log f = x log λ - λ - log x!; E[X] = λ.
    d2 = sp.diff(x * sp.log(lam) - lam, lam, 2)
    assert sp.simplify(-d2.subs(x, lam) - 1 / lam) == 0
    # Exponential: log f = log λ - λ x, second derivative free of x.
    assert sp.simplify(-sp.diff(sp.log(lam) - lam * x, lam, 2) - 1 / lam**2) == 0
    # Gaussian (mu, sigma2): integrate against the density.
    xr = sp.symbols("x", real=True)
    logf = -sp.log(2 * sp.pi * s2) / 2 - (xr - mu) ** 2 / (2 * s2)
    dens = sp.exp(logf)
    info = sp.zeros(2, 2)
    for i, a in enumerate((mu, s2)):
        for j, b in enumerate((mu, s2)):
            info[i, j] = -sp.integrate(sp.diff(logf, a, b) * dens, (xr, -sp.oo, sp.oo))
    assert sp.simplify(info - sp.Matrix([[1 / s2, 0], [0, 1 / (2 * s2**2)]])) == sp.zeros(2, 2)


def test_numeric_values_match_formulas():
    """Spot values worked by hand."""
    assert fisher_info_bernoulli(0.2) == pytest.approx(1 / 0.16)
    assert fisher_info_poisson(2.5) == pytest.approx(0.4)
    assert fisher_info_exponential(0.5) == pytest.approx(4.0)
    assert fisher_info_gaussian_mean(2.0) == pytest.approx(0.5)
    assert fisher_info_gaussian_variance(2.0) == pytest.approx(0.125)
    assert_allclose(fisher_info_gaussian(1.0, 2.0), [[0.5, 0], [0, 0.125]])
    assert_allclose(fisher_info_bernoulli([0.5, 0.1]), [4.0, 1 / 0.09])


def test_variance_of_score_by_simulation():
    """Var(score) = I_1 by simulation.

    The relative Monte Carlo error of a sample variance is about sqrt((kurtosis - 1) / N): with
    N = 400,000 draws at most 0.6 % here (kurtosis 15 for the variance score of the Gaussian), so
    2 % is more than three standard errors.
    """
    rng = np.random.default_rng(7)
    n = 400_000
    x = rng.binomial(1, 0.3, n)
    assert_allclose(np.var(x / 0.3 - (1 - x) / 0.7), fisher_info_bernoulli(0.3), rtol=0.02)
    x = rng.poisson(3.0, n)
    assert_allclose(np.var(x / 3.0 - 1), fisher_info_poisson(3.0), rtol=0.02)
    x = rng.exponential(1 / 2.0, n)
    assert_allclose(np.var(1 / 2.0 - x), fisher_info_exponential(2.0), rtol=0.02)
    x = rng.normal(1.0, np.sqrt(2.0), n)
    score = np.column_stack([(x - 1.0) / 2.0, -1 / (2 * 2.0) + (x - 1.0) ** 2 / (2 * 2.0**2)])
    # standardise by the diagonal of I_1 (1/2 and 1/8), so the 2 % is relative for both entries
    scale = 1 / np.sqrt(np.diag(fisher_info_gaussian(1.0, 2.0)))
    standardised = np.cov(score.T) * np.outer(scale, scale)
    assert_allclose(standardised, np.eye(2), atol=0.02)


@pytest.mark.parametrize(
    ("func", "bad", "message"),
    [
        (fisher_info_bernoulli, 0.0, r"p must be \(0.0, 1.0\)"),
        (fisher_info_bernoulli, 1.2, r"p must be"),
        (fisher_info_poisson, -1.0, "lam must be > 0"),
        (fisher_info_exponential, np.nan, "rate must be > 0"),
        (fisher_info_gaussian_mean, 0.0, "sigma2 must be > 0"),
        (fisher_info_gaussian_variance, -2.0, "sigma2 must be > 0"),
    ],
)
def test_invalid_parameters(func, bad, message):
    """Parameters outside the open parameter space are refused, not turned into inf or NaN."""
    with pytest.raises(DataError, match=message):
        func(bad)


def test_gaussian_matrix_validates_both():
    """Both arguments of the matrix form are validated."""
    with pytest.raises(DataError, match="mu must be a finite scalar"):
        fisher_info_gaussian(np.inf, 1.0)
    with pytest.raises(DataError, match="sigma2 must be > 0"):
        fisher_info_gaussian(0.0, 0.0)

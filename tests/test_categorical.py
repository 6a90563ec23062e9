"""Categorical/Multinomial MLE and log-likelihood: hand-worked values, scipy, a numeric maximiser, bad input, properties."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, stats
from scipy.special import gammaln, log_softmax

from mlelib import (
    DataError,
    bernoulli_loglik,
    bernoulli_mle,
    categorical_loglik,
    categorical_mle,
)

RNG_SEED = 20261125


def test_hand_worked_values():
    """Counts (1, 1, 2) of n = 4 give (1/4, 1/4, 1/2); at p-hat the log-likelihood is 2 log(1/4) + 2 log(1/2) = -6 log 2."""
    assert categorical_mle([0, 2, 2, 1]).tolist() == [0.25, 0.25, 0.5]
    assert categorical_mle([2.0, 0.0]).tolist() == [0.5, 0.0, 0.5]
    assert_allclose(categorical_loglik([0, 2, 2, 1], [0.25, 0.25, 0.5]), 2 * np.log(0.25) + 2 * np.log(0.5), rtol=1e-15)
    assert_allclose(categorical_loglik([0, 2, 2, 1], [0.25, 0.25, 0.5]), -6 * np.log(2), rtol=1e-15)


def test_return_types():
    """The MLE is a float ndarray of length k; the log-likelihood at one vector is a plain float."""
    probs = categorical_mle([0, 1, 1])
    assert isinstance(probs, np.ndarray) and probs.dtype == float and probs.shape == (2,)
    assert type(categorical_loglik([0, 1, 1], [0.5, 0.5])) is float


def test_explicit_k_gives_absent_classes_zero_probability():
    """A class that never occurs gets p-hat = 0 (the maximum on the boundary of the simplex)."""
    assert categorical_mle([0, 1, 1, 1], k=3).tolist() == [0.25, 0.75, 0.0]
    assert categorical_mle([1], k=np.int64(4)).tolist() == [0.0, 1.0, 0.0, 0.0]
    assert categorical_mle([0, 0]).tolist() == [1.0]


def test_two_classes_reduce_to_bernoulli():
    """With k = 2, p-hat = (1 - k/n, k/n) and the log-likelihood is the Bernoulli one."""
    x = np.random.default_rng(RNG_SEED).binomial(1, 0.3, size=200)
    assert_allclose(categorical_mle(x, k=2), [1 - bernoulli_mle(x), bernoulli_mle(x)], rtol=1e-15)
    for p in (0.0, 0.2, 0.9):
        assert_allclose(categorical_loglik(x, [1 - p, p]), bernoulli_loglik(x, p), rtol=1e-13)


def test_loglik_matches_scipy_multinomial():
    """scipy's multinomial log-pmf of the counts = categorical log-likelihood + log(n! / prod n_j!)."""
    rng = np.random.default_rng(RNG_SEED)
    p_true = np.array([0.1, 0.2, 0.3, 0.4])
    x = rng.choice(4, size=300, p=p_true)
    counts = np.bincount(x, minlength=4)
    log_coef = gammaln(x.size + 1) - gammaln(counts + 1).sum()
    for p in (p_true, categorical_mle(x), np.full(4, 0.25)):
        assert_allclose(categorical_loglik(x, p) + log_coef, stats.multinomial.logpmf(counts, x.size, p), rtol=1e-12)


def test_loglik_matches_sum_of_log_probabilities():
    """The log-likelihood is the sum over observations of log p_{x_i}."""
    rng = np.random.default_rng(RNG_SEED)
    p = rng.dirichlet(np.ones(5))
    x = rng.choice(5, size=100, p=p)
    assert_allclose(categorical_loglik(x, p), np.log(p[x]).sum(), rtol=1e-13)


def test_mle_matches_numeric_maximiser():
    """Maximising the log-likelihood numerically over the simplex (softmax parameters) lands on n_j / n."""
    rng = np.random.default_rng(RNG_SEED)
    x = rng.choice(4, size=500, p=[0.15, 0.25, 0.35, 0.25])

    counts = np.bincount(x, minlength=4)

    def negloglik(eta):
        return -categorical_loglik(x, np.exp(log_softmax(np.r_[0.0, eta])))

    def gradient(eta):  # d(-l)/d eta_j = n p_j - n_j for the free classes j = 1..3
        return (x.size * np.exp(log_softmax(np.r_[0.0, eta])) - counts)[1:]

    res = optimize.minimize(negloglik, np.zeros(3), jac=gradient, method="BFGS", options={"gtol": 1e-8})
    assert res.success
    assert_allclose(np.exp(log_softmax(np.r_[0.0, res.x])), categorical_mle(x), atol=1e-8)


def test_mle_matches_scipy_fit_of_each_class_indicator():
    """Each p-hat_j is the Bernoulli MLE of the indicator 1{x = j}, which scipy.stats.fit finds numerically."""
    x = np.random.default_rng(RNG_SEED).choice(3, size=200, p=[0.5, 0.3, 0.2])
    p_hat = categorical_mle(x)
    for j in range(3):
        fit = stats.fit(stats.bernoulli, (x == j).astype(int), bounds={"p": (0, 1), "loc": (0, 0)})
        assert_allclose(p_hat[j], fit.params.p, atol=1e-6)


def test_hessian_on_constraint_surface_is_negative_definite():
    """In the free coordinates (p_1..p_{k-1}), the Hessian -diag(n_j/p_j^2) - n_k/p_k^2 11^T is negative definite at p-hat."""
    counts = np.array([3, 5, 2, 10])
    x = np.repeat(np.arange(4), counts)
    p = categorical_mle(x)
    hess = -np.diag(counts[:-1] / p[:-1] ** 2) - counts[-1] / p[-1] ** 2
    assert np.all(np.linalg.eigvalsh(hess) < 0)


def test_loglik_is_vectorised_over_probability_vectors():
    """A stack of probability vectors (shape (m, k)) gives the log-likelihood at each one."""
    x = [0, 1, 1, 2]
    stack = np.array([[0.2, 0.5, 0.3], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.5, 0.25]])
    assert_allclose(categorical_loglik(x, stack), [categorical_loglik(x, row) for row in stack], rtol=1e-15)
    assert categorical_loglik(x, stack[None]).shape == (1, 3)


def test_boundary_conventions():
    """0 log 0 = 0 for an absent class with probability 0; -inf for an observed class with probability 0."""
    assert categorical_loglik([0, 0], [1.0, 0.0]) == 0.0
    assert categorical_loglik([0, 1], [1.0, 0.0]) == -np.inf
    assert categorical_loglik([1, 1, 1], [0.0, 1.0, 0.0]) == 0.0


@pytest.mark.parametrize("function", [categorical_mle, lambda x: categorical_loglik(x, [0.5, 0.5])])
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "empty"),
        ([0, np.nan], "non-finite"),
        ([[0, 1], [1, 0]], "must be 1-D"),
        (1, "must be 1-D"),
        (["a"], "must be numeric"),
        ([0, -1], "non-negative integers.*first -1 at position 1"),
        ([0, 1.5], "non-negative integers.*first 1.5 at position 1"),
    ],
)
def test_bad_labels(function, bad, message):
    """Empty, non-finite, non-1-D, non-numeric, negative and non-integer labels raise DataError naming the problem."""
    with pytest.raises(DataError, match=message):
        function(bad)


def test_label_out_of_range():
    """A label >= k is refused, with k stated; for the log-likelihood k is the length of probs."""
    with pytest.raises(DataError, match=r"0\.\.2 \(k = 3\).*first 3 at position 2"):
        categorical_mle([0, 1, 3], k=3)
    with pytest.raises(DataError, match=r"0\.\.1 \(k = 2\).*first 2"):
        categorical_loglik([0, 2], [0.5, 0.5])


@pytest.mark.parametrize("k", [0, -2, 2.0, 2.5, True, "3", [3]])
def test_bad_k(k):
    """k must be a positive integer (not a float, bool or string)."""
    with pytest.raises(DataError, match="k .* must be a positive integer"):
        categorical_mle([0, 1], k=k)


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        (0.5, "vector of k >= 1"),
        ([], "vector of k >= 1"),
        ([0.5, np.nan], "finite and >= 0; got nan"),
        ([1.2, -0.2], "finite and >= 0; got -0.2"),
        ([0.5, 0.6], "sum to 1.*got a sum of 1.1"),
        ([[0.5, 0.5], [0.3, 0.3]], "sum to 1.*got a sum of 0.6"),
        ([0.5, np.inf], "finite"),
    ],
)
def test_bad_probs(probs, message):
    """Probabilities that are not a probability vector raise DataError showing the offending value."""
    with pytest.raises(DataError, match=message):
        categorical_loglik([0, 1], probs)


labels = st.lists(st.integers(0, 5), min_size=1, max_size=60)


@given(labels)
def test_mle_is_a_probability_vector_of_frequencies(x):
    """p-hat is non-negative, sums to 1, has length max(x) + 1 and equals the relative frequencies."""
    p = categorical_mle(x)
    assert p.shape == (max(x) + 1,)
    assert np.all(p >= 0)
    assert_allclose(p.sum(), 1.0, rtol=1e-14)
    assert_allclose(p * len(x), np.bincount(x), rtol=1e-12)


@given(labels, st.randoms(use_true_random=False))
def test_mle_is_permutation_invariant(x, random):
    """Reordering the observations does not change p-hat (the counts are sufficient)."""
    y = list(x)
    random.shuffle(y)
    assert_allclose(categorical_mle(y), categorical_mle(x), rtol=1e-15)


@given(labels, st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=6, max_size=6))
def test_mle_beats_any_other_probability_vector(x, weights):
    """Gibbs' inequality: l(p-hat) >= l(q) for every probability vector q (equality only at q = p-hat)."""
    q = np.asarray(weights) / np.sum(weights)
    p_hat = categorical_mle(x, k=6)
    assert categorical_loglik(x, p_hat) >= categorical_loglik(x, q) - 1e-9 * len(x)


@given(labels, st.permutations(list(range(6))))
def test_relabelling_permutes_the_estimate(x, perm):
    """Renaming class j as perm[j] moves p-hat_j to position perm[j]."""
    perm = np.asarray(perm)
    p = categorical_mle(x, k=6)
    p_renamed = categorical_mle(perm[np.asarray(x)], k=6)
    assert_allclose(p_renamed[perm], p, rtol=1e-15)

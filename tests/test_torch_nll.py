"""Torch negative log-likelihoods: against scipy log-densities, mlelib's log-likelihoods and torch's own losses.

Everything is float64; an identity between two exact formulas for the same number is checked
to rtol 1e-12 (a sum of at most a few hundred terms, each correct to a few ulps).
"""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import special, stats

from mlelib import (
    DataError,
    bernoulli_loglik,
    bernoulli_nll_logits,
    categorical_nll,
    gaussian_loglik,
    gaussian_nll,
    laplace_nll,
    logistic_nll,
    poisson_loglik,
    poisson_nll,
)

RTOL = 1e-12


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


def _logistic_data(rng, n=200, k=3):
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    w = np.array([0.3, -1.0, 0.7])[:k]
    y = rng.binomial(1, special.expit(X @ w)).astype(float)
    return X, y, w


def test_mlelib_does_not_import_torch():
    """Importing mlelib leaves torch unimported (it is slow to import); the first call imports it."""
    code = "import sys, mlelib; assert 'torch' not in sys.modules; mlelib.gaussian_nll([0.0], [0.0], 1.0); assert 'torch' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bernoulli_matches_scipy_and_torch(rng):
    """-sum log Bernoulli(y; expit(eta)) from scipy = our NLL = torch's BCE-with-logits (sum and mean)."""
    X, y, w = _logistic_data(rng)
    eta = X @ w
    reference = -stats.bernoulli.logpmf(y, special.expit(eta)).sum()
    ours = bernoulli_nll_logits(eta, y).item()
    assert_allclose(ours, reference, rtol=RTOL)
    eta_t, y_t = torch.tensor(eta), torch.tensor(y)
    assert_allclose(F.binary_cross_entropy_with_logits(eta_t, y_t, reduction="sum").item(), ours, rtol=RTOL)
    assert_allclose(F.binary_cross_entropy_with_logits(eta_t, y_t).item(), ours / y.size, rtol=RTOL)
    assert_allclose(bernoulli_nll_logits(eta, y, reduction="mean").item(), ours / y.size, rtol=RTOL)
    assert_allclose(logistic_nll(X, y, w).item(), ours, rtol=RTOL)


def test_bernoulli_constant_probability_matches_mlelib(rng):
    """With an intercept-only design, -logistic_nll(w) = bernoulli_loglik(y, expit(w0))."""
    y = rng.binomial(1, 0.3, size=150)
    X = np.ones((150, 1))
    for w0 in (-2.0, 0.0, 0.4):
        assert_allclose(-logistic_nll(X, y, [w0]).item(), bernoulli_loglik(y, special.expit(w0)), rtol=RTOL)


def test_bernoulli_extreme_logits_are_exact():
    """Logits of +-800: log(1+e^800) - 800 y is 0 or 800 exactly, where log(sigmoid(.)) gives -inf."""
    eta = torch.tensor([800.0, -800.0, 800.0, -800.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    terms = bernoulli_nll_logits(eta, y, reduction="none")
    assert terms.tolist() == [0.0, 0.0, 800.0, 800.0]
    naive = -(y * torch.log(torch.sigmoid(eta)) + (1 - y) * torch.log(1 - torch.sigmoid(eta)))
    assert not torch.isfinite(naive).all()
    assert_allclose(F.binary_cross_entropy_with_logits(eta, y, reduction="none").numpy(), terms.numpy(), rtol=RTOL)


def test_logistic_gradient_is_minus_score(rng):
    """Autograd of -l(w) equals X^T (expit(Xw) - y), the negative score of logistic regression."""
    X, y, w = _logistic_data(rng)
    wt = torch.tensor(w, requires_grad=True)
    logistic_nll(X, y, wt).backward()
    assert_allclose(wt.grad.numpy(), X.T @ (special.expit(X @ w) - y), rtol=1e-10, atol=1e-12)


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20), st.integers(0, 2**20))
def test_bernoulli_label_flip_symmetry(etas, seed):
    """Swapping the labels and negating the logits leaves every term unchanged: f(y; eta) = f(1-y; -eta)."""
    y = np.random.default_rng(seed).binomial(1, 0.5, size=len(etas))
    eta = np.array(etas)
    a = bernoulli_nll_logits(eta, y, reduction="none").numpy()
    b = bernoulli_nll_logits(-eta, 1 - y, reduction="none").numpy()
    assert_allclose(a, b, rtol=RTOL, atol=0)


def test_categorical_labels_match_scipy_and_torch(rng):
    """-sum log softmax(eta)[y] = scipy's log_softmax at the labels = torch's cross_entropy (sum and mean)."""
    eta = rng.normal(scale=2.0, size=(60, 4))
    y = rng.integers(0, 4, size=60)
    reference = -special.log_softmax(eta, axis=1)[np.arange(60), y].sum()
    ours = categorical_nll(eta, y).item()
    assert_allclose(ours, reference, rtol=RTOL)
    eta_t, y_t = torch.tensor(eta), torch.tensor(y)
    assert_allclose(F.cross_entropy(eta_t, y_t, reduction="sum").item(), ours, rtol=RTOL)
    assert_allclose(F.cross_entropy(eta_t, y_t).item(), ours / 60, rtol=RTOL)
    assert_allclose(categorical_nll(eta_t, y_t, reduction="mean").item(), ours / 60, rtol=RTOL)


def test_categorical_matches_multinomial_logpmf(rng):
    """One observation is a multinomial with one trial: scipy's multinomial logpmf at the one-hot vector."""
    eta = rng.normal(size=(10, 3))
    y = rng.integers(0, 3, size=10)
    p = special.softmax(eta, axis=1)
    reference = -sum(stats.multinomial.logpmf(np.eye(3)[c], 1, pi) for c, pi in zip(y, p))
    assert_allclose(categorical_nll(eta, y).item(), reference, rtol=RTOL)


def test_categorical_probability_targets(rng):
    """One-hot targets reproduce the label form; soft targets match torch's probability-target cross_entropy."""
    eta = rng.normal(size=(30, 5))
    y = rng.integers(0, 5, size=30)
    assert_allclose(categorical_nll(eta, np.eye(5)[y]).item(), categorical_nll(eta, y).item(), rtol=RTOL)
    q = rng.dirichlet(np.ones(5), size=30)
    expected = F.cross_entropy(torch.tensor(eta), torch.tensor(q), reduction="sum").item()
    assert_allclose(categorical_nll(eta, q).item(), expected, rtol=RTOL)


@given(st.floats(-100, 100), st.integers(0, 2**20))
def test_categorical_shift_invariance(shift, seed):
    """Adding the same constant to every logit of a row leaves the softmax, hence the NLL, unchanged."""
    gen = np.random.default_rng(seed)
    eta = gen.normal(size=(5, 3))
    y = gen.integers(0, 3, size=5)
    assert_allclose(categorical_nll(eta + shift, y).item(), categorical_nll(eta, y).item(), rtol=1e-10)


def test_categorical_extreme_logits_are_finite():
    """Logits of +-800 do not overflow: the NLL of the right class is 0 and of the wrong one 1600."""
    eta = torch.tensor([[800.0, -800.0], [800.0, -800.0]], dtype=torch.float64)
    assert categorical_nll(eta, [0, 1], reduction="none").tolist() == [0.0, 1600.0]


def test_gaussian_matches_scipy_mlelib_and_torch(rng):
    """-sum log N(y; mu, s2) from scipy = ours = -gaussian_loglik (constant mean) = GaussianNLLLoss(full=True)."""
    y = rng.normal(1.0, 2.0, size=100)
    mu = rng.normal(size=100)
    s2 = rng.uniform(0.5, 3.0, size=100)
    reference = -stats.norm.logpdf(y, mu, np.sqrt(s2)).sum()
    assert_allclose(gaussian_nll(mu, y, s2).item(), reference, rtol=RTOL)
    assert_allclose(gaussian_nll(np.full(100, 0.7), y, 1.9).item(), -gaussian_loglik(y, 0.7, 1.9), rtol=RTOL)
    loss = torch.nn.GaussianNLLLoss(full=True, reduction="sum")
    assert_allclose(loss(torch.tensor(mu), torch.tensor(y), torch.tensor(s2)).item(), reference, rtol=RTOL)
    loss_mean = torch.nn.GaussianNLLLoss(full=True)
    expected = loss_mean(torch.tensor(mu), torch.tensor(y), torch.tensor(s2)).item()
    assert_allclose(gaussian_nll(mu, y, s2, reduction="mean").item(), expected, rtol=RTOL)


def test_gaussian_fixed_variance_is_scaled_mse_plus_constant(rng):
    """For constant s2: NLL = n/(2 s2) * MSE + n/2 log(2 pi s2), the MSE of torch's mse_loss."""
    y, mu = rng.normal(size=50), rng.normal(size=50)
    mse = F.mse_loss(torch.tensor(mu), torch.tensor(y)).item()
    expected = 50 / (2 * 0.8) * mse + 25 * np.log(2 * np.pi * 0.8)
    assert_allclose(gaussian_nll(mu, y, 0.8).item(), expected, rtol=RTOL)


def test_laplace_matches_scipy_and_l1(rng):
    """-sum log Laplace(y; m, b) from scipy = ours = n log(2b) + n * L1Loss / b."""
    y, m = rng.laplace(size=80), rng.normal(size=80)
    reference = -stats.laplace.logpdf(y, m, 1.5).sum()
    assert_allclose(laplace_nll(m, y, 1.5).item(), reference, rtol=RTOL)
    l1 = F.l1_loss(torch.tensor(m), torch.tensor(y)).item()
    assert_allclose(laplace_nll(m, y, 1.5).item(), 80 * np.log(3.0) + 80 * l1 / 1.5, rtol=RTOL)


def test_poisson_matches_scipy_mlelib_and_torch(rng):
    """-sum log Poisson(y; e^eta) from scipy = ours = -poisson_loglik (constant rate) = PoissonNLLLoss + sum log y!."""
    eta = rng.normal(0.5, 1.0, size=120)
    y = rng.poisson(np.exp(eta)).astype(float)
    reference = -stats.poisson.logpmf(y, np.exp(eta)).sum()
    assert_allclose(poisson_nll(eta, y).item(), reference, rtol=RTOL)
    assert_allclose(poisson_nll(np.full(120, np.log(2.5)), y).item(), -poisson_loglik(y, 2.5), rtol=RTOL)
    torch_loss = F.poisson_nll_loss(torch.tensor(eta), torch.tensor(y), log_input=True, full=False, reduction="sum")
    assert_allclose(torch_loss.item() + special.gammaln(y + 1).sum(), reference, rtol=RTOL)


def test_poisson_torch_full_uses_stirling(rng):
    """torch's full=True adds Stirling's approximation of log y! (y > 1 only): off from the exact value by < 1/(12 y) each."""
    y = np.arange(0.0, 30.0)
    eta = np.zeros(30)
    approx = F.poisson_nll_loss(torch.tensor(eta), torch.tensor(y), full=True, reduction="none").numpy()
    exact = poisson_nll(eta, y, reduction="none").numpy()
    gap = exact - approx
    assert np.all(gap[2:] > 0) and np.all(gap[2:] < 1 / (12 * y[2:]))
    assert_allclose(gap[:2], special.gammaln(y[:2] + 1), atol=1e-15)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_reductions(rng, reduction):
    """'sum' is the total of 'none', 'mean' its average, for every family."""
    n = 40
    a, y01 = rng.normal(size=n), rng.binomial(1, 0.5, size=n)
    cases = [
        (bernoulli_nll_logits, (a, y01)),
        (categorical_nll, (rng.normal(size=(n, 3)), rng.integers(0, 3, size=n))),
        (gaussian_nll, (a, rng.normal(size=n), 2.0)),
        (laplace_nll, (a, rng.normal(size=n), 2.0)),
        (poisson_nll, (a, rng.poisson(1.0, size=n))),
    ]
    for func, args in cases:
        terms = func(*args, reduction="none").numpy()
        expected = terms.sum() if reduction == "sum" else terms.mean()
        assert_allclose(func(*args, reduction=reduction).item(), expected, rtol=RTOL)


def test_read_only_arrays_are_accepted():
    """A read-only array (like MLEResult.params) is copied, without torch's non-writable-array warning."""
    w = np.array([0.5, -1.0])
    w.flags.writeable = False
    assert_allclose(logistic_nll([[1.0, 2.0]], [1], w).item(), np.logaddexp(0, 1.5), rtol=RTOL)


def test_float32_tensors_stay_float32():
    """A float32 tensor input gives a float32 result (the dtype of a network is kept)."""
    out = bernoulli_nll_logits(torch.zeros(3), torch.ones(3))
    assert out.dtype == torch.float32
    assert bernoulli_nll_logits([0.0], [1]).dtype == torch.float64


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: bernoulli_nll_logits([0.0, 1.0], [1, 2]), DataError, r"Bernoulli data must be 0 or 1.*first 2"),
        (lambda: bernoulli_nll_logits([0.0], [1, 0]), DataError, r"same shape.*\(1,\) and \(2,\)"),
        (lambda: bernoulli_nll_logits([np.nan], [1]), DataError, "non-finite"),
        (lambda: bernoulli_nll_logits([], []), DataError, "empty"),
        (lambda: bernoulli_nll_logits(["a"], [1]), DataError, "must be numeric"),
        (lambda: bernoulli_nll_logits([0.0], [1], reduction="avg"), ValueError, "reduction must be one of"),
        (lambda: logistic_nll([1.0, 2.0], [1, 0], [0.0]), DataError, "X must be 2-D"),
        (lambda: logistic_nll([[1.0, 2.0]], [1], [0.0]), DataError, r"w must have shape \(2,\)"),
        (lambda: categorical_nll([0.0, 1.0], [0]), DataError, "logits must be 2-D"),
        (lambda: categorical_nll([[0.0, 1.0]], [2]), DataError, r"integers 0\.\.1.*first 2"),
        (lambda: categorical_nll([[0.0, 1.0]], [0.5]), DataError, "integers 0..1"),
        (lambda: categorical_nll([[0.0, 1.0]], [0, 1]), DataError, r"labels y must have shape \(1,\)"),
        (lambda: categorical_nll([[0.0, 1.0]], [[0.7, 0.7]]), DataError, "row 0 sums to 1.4"),
        (lambda: categorical_nll([[0.0, 1.0]], [[1.5, -0.5]]), DataError, ">= 0"),
        (lambda: gaussian_nll([0.0], [0.0], 0.0), DataError, "var must be > 0; got 0"),
        (lambda: gaussian_nll([0.0, 1.0], [0.0, 1.0], [1.0, 1.0, 1.0]), DataError, r"var must be a scalar or have shape \(2,\)"),
        (lambda: laplace_nll([0.0], [0.0], -1.0), DataError, "scale must be > 0; got -1"),
        (lambda: poisson_nll([0.0], [1.5]), DataError, "non-negative integers.*first 1.5"),
        (lambda: poisson_nll([0.0], [-1]), DataError, "non-negative integers"),
    ],
)
def test_invalid_inputs(call, error, message):
    """Invalid data and arguments are refused with a message naming the bad value and what is valid."""
    with pytest.raises(error, match=message):
        call()


def test_integer_tensors_never_truncate_float_arguments():
    """An integer first tensor no longer casts the other inputs to int: the label 0.5 stays 0.5 (a DataError,
    as labels must be 0/1), the Laplace scale 0.8 stays 0.8 (oracle: scipy), gaussian/poisson alike."""
    import torch

    with pytest.raises(DataError, match="Bernoulli data must be 0 or 1.*first 0.5"):
        bernoulli_nll_logits(torch.tensor([0, 1]), [0.5, 1.0])
    value = laplace_nll(torch.tensor([0, 1]), [0.5, 1.7], 0.8)
    assert value.dtype == torch.float64
    np.testing.assert_allclose(value.item(), -stats.laplace.logpdf([0.5, 1.7], [0, 1], 0.8).sum(), rtol=1e-14)
    value = gaussian_nll(torch.tensor([0, 1]), [0.5, 1.7], 0.3)
    np.testing.assert_allclose(value.item(), -stats.norm.logpdf([0.5, 1.7], [0, 1], np.sqrt(0.3)).sum(), rtol=1e-14)
    value = poisson_nll(torch.tensor([0, 1]), torch.tensor([2, 3]))
    np.testing.assert_allclose(value.item(), -stats.poisson.logpmf([2, 3], np.exp([0, 1])).sum(), rtol=1e-14)
    value = bernoulli_nll_logits(torch.tensor([0, 2]), torch.tensor([True, False]))
    np.testing.assert_allclose(value.item(), -stats.bernoulli.logpmf([1, 0], special.expit([0, 2])).sum(), rtol=1e-14)


def test_dtype_promotion_rule():
    """float32 tensors throughout stay float32 (Python numbers adapt); any non-tensor or a mix of dtypes
    gives float64, and autograd flows back to a float32 parameter."""
    import torch

    m32 = torch.zeros(3, dtype=torch.float32, requires_grad=True)
    y32 = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float32)
    assert gaussian_nll(m32, y32, 1.0).dtype == torch.float32
    assert laplace_nll(m32, y32, 0.5).dtype == torch.float32
    out = gaussian_nll(m32, [0.1, -0.2, 0.3], 1.0)
    assert out.dtype == torch.float64
    out.backward()
    np.testing.assert_allclose(m32.grad.numpy(), -np.array([0.1, -0.2, 0.3]), rtol=1e-6)
    assert gaussian_nll(m32, y32.double(), 1.0).dtype == torch.float64


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: bernoulli_nll_logits([0.0 + 1j], [1]), "logits must be real"),
        (lambda: gaussian_nll([0.0], [1.0], 1 + 0j), "var must be real"),
        (lambda: laplace_nll([0.0], [None], 1.0), "y must be numeric .*contains None"),
        (lambda: poisson_nll([[0.0]], [1], reduction="sum"), r"must have the same shape"),
        (lambda: logistic_nll([[1.0, 2.0]], [1, 0], [0.0, 0.0]), r"y must have shape \(1,\)"),
        (lambda: categorical_nll([[0.0, 1.0]], np.array([1 + 0j])), "y must be real"),
    ],
)
def test_bad_types_are_clear(call, message):
    with pytest.raises(DataError, match=message):
        call()

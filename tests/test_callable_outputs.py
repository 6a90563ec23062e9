"""Complex output of user callables and masked input arrays are refused, never silently altered (issue 15)."""

import warnings

import numpy as np
import pytest

from mlelib import (
    DataError,
    MLEResult,
    bootstrap_bias,
    delta_method,
    exponential_mle,
    fit,
    jackknife_bias,
    numerical_gradient,
    numerical_hessian,
    wilson_interval,
)

X = np.array([1.0, 3.0, 2.0])
RES = MLEResult(params=[2.0], cov=[[4.0]], loglik=-1.0, nobs=3, converged=True)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: delta_method(RES, lambda t: t[0] + 1j), "g"),
        (lambda: jackknife_bias(lambda s: s.mean() + 1j, X), "estimator"),
        (lambda: jackknife_bias(lambda s: s.mean(axis=-1) + 0j, X, vectorized=True), "estimator"),
        (lambda: bootstrap_bias(lambda s: complex(s.mean(), 1), X, np.random.default_rng(0)), "estimator"),
        (lambda: numerical_gradient(lambda t: t[0] ** 2 + 1j, [1.0]), "f"),
        (lambda: numerical_hessian(lambda t: t[0] ** 2 + 1j, [1.0]), "f"),
    ],
)
def test_complex_output_of_a_callable_is_refused(call, name):
    with pytest.raises(DataError, match=f"^{name} must return real numbers"):
        call()


def test_fit_refuses_a_complex_negloglik():
    with warnings.catch_warnings():
        # the x0 check in optimize.py still converts with np.asarray(..., float) first (ComplexWarning)
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        with pytest.raises(DataError, match="^negloglik must return real numbers"):
            fit(lambda t: (t[0] - 1) ** 2 + 1j, [0.0], nobs=3)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda m: exponential_mle(m), "x"),
        (lambda m: wilson_interval(m, 10), "k"),
    ],
)
def test_masked_entries_are_refused(call, name):
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    with pytest.raises(DataError, match=f"^{name} is a numpy masked array with 1 masked entry"):
        call(masked)
    # oracle: without masked entries the result is that of the plain array
    plain = np.ma.masked_array([1.0, 2.0, 3.0], mask=False)
    np.testing.assert_array_equal(call(plain), call(plain.data))


def test_fit_complex_negloglik_or_grad_is_a_data_error():
    """A complex-valued negloglik used to give a bare TypeError from float(); now real_output's message."""
    from mlelib import DataError, fit

    with pytest.raises(DataError, match=r"negloglik must return real numbers; it returned complex values"):
        fit(lambda t: complex(t[0] ** 2, 0.0), [1.0])
    with pytest.raises(DataError, match=r"negloglik must return real numbers; it returned complex values"):
        fit(lambda t: np.array([t[0] ** 2 + 0j]), [1.0])
    with pytest.raises(DataError, match=r"grad must return real numbers; it returned complex values"):
        fit(lambda t: t[0] ** 2, [1.0], grad=lambda t: 2 * t + 0j)
    with pytest.raises(DataError, match=r"negloglik must return real numbers; it returned 'abc'"):
        fit(lambda t: "abc", [1.0])

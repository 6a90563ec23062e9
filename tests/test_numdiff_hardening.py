"""Numerical derivatives of functions whose value is large compared with its changes (issue 15)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mlelib import MLEResult, delta_method, fit, numerical_gradient, numerical_hessian


def _offset_quadratic(c):
    return lambda t: c + 0.5 * (t[0] - 3) ** 2 + (t[1] + 1) ** 2 / 8


@pytest.mark.parametrize("c", [0.0, 1e6, 1e11, 1e14])
def test_hessian_and_gradient_ignore_an_additive_constant(c):
    f = _offset_quadratic(c)
    # closed form: H = diag(1, 1/4), gradient (t0 - 3, (t1 + 1)/4)
    assert_allclose(numerical_hessian(f, [3.0, -1.0]), np.diag([1.0, 0.25]), rtol=1e-6, atol=1e-9)
    assert_allclose(numerical_gradient(f, [4.0, 1.0]), [1.0, 0.5], rtol=1e-6)


def test_fit_standard_errors_with_an_additive_constant():
    res = fit(_offset_quadratic(1e11), [2.0, 0.0], nobs=10)
    # closed form: cov = H^{-1} = diag(1, 4)
    assert_allclose(res.bse, [1.0, 2.0], rtol=1e-5)
    assert_allclose(res.params, [3.0, -1.0], atol=1e-3)


def test_float32_valued_function_uses_float32_epsilon():
    f = lambda t: np.float32(t[0] ** 2)  # noqa: E731
    assert_allclose(numerical_hessian(f, [3.0]), [[2.0]], rtol=1e-3)
    assert_allclose(numerical_gradient(f, [3.0]), [6.0], rtol=1e-3)


def test_unresolvable_changes_warn_instead_of_a_silent_answer():
    f = lambda t: 1e9 + 1e-4 * np.cos(t[0])  # noqa: E731  (changes <= 2e-4, rounding of 1e9 ~ 1e-7)
    with pytest.warns(RuntimeWarning, match="f's value is large compared with its changes"):
        numerical_hessian(f, [0.5])
    with pytest.warns(RuntimeWarning, match="f's value is large compared with its changes"):
        numerical_gradient(f, [0.5])


def test_ordinary_functions_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_allclose(numerical_hessian(lambda t: np.exp(t[0]) + t[0] * t[1] ** 2, [0.3, 2.0]),
                        [[np.exp(0.3), 4.0], [4.0, 0.6]], rtol=1e-7)


def test_delta_method_with_a_large_offset_in_g():
    res = MLEResult(params=[2.0], cov=[[4.0]], loglik=-1.0, nobs=3, converged=True)
    # closed form: se = |g'| * sd = 0.01 * 2
    assert_allclose(delta_method(res, lambda t: 1e15 + 0.01 * t[0]).bse, [0.02], rtol=1e-6)
    assert_allclose(delta_method(res, lambda t: 1e15 + 0.01 * t[0] ** 2).bse, [0.08], rtol=1e-6)


def test_fit_does_not_claim_convergence_when_derivatives_are_unresolved():
    """A negloglik whose changes near its minimum are below the rounding of its value (1e9 + 1e-4 cos t,
    minimum at pi) has derivatives that rounding decides: fit warns and says converged=False."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(lambda t: 1e9 + 1e-4 * np.cos(t[0]), [3.0])
    assert not res.converged
    messages = [str(w.message) for w in caught]
    assert any("large compared with its changes" in m for m in messages)
    assert any(m.startswith("fit did not converge") for m in messages)

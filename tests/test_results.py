"""MLEResult: derived quantities against their definitions, and validation."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from mlelib import MLEResult


def make(**kw):
    base = dict(params=[1.0, -2.0], cov=[[0.04, 0.01], [0.01, 0.09]], loglik=-12.5, nobs=40, param_names=["a", "b"])
    return MLEResult(**{**base, **kw})


def test_bse_aic_bic_from_definitions():
    """bse = sqrt(diag cov); AIC = 2k - 2 loglik; BIC = k log n - 2 loglik."""
    res = make()
    assert_allclose(res.bse, [0.2, 0.3], rtol=1e-15)
    assert res.aic == pytest.approx(2 * 2 + 25.0)
    assert res.bic == pytest.approx(2 * np.log(40) + 25.0)


def test_conf_int_is_wald_with_normal_quantile():
    """conf_int(alpha) = params -/+ z_{1-alpha/2} * bse, as a (k, 2) array."""
    res = make()
    for alpha in (0.05, 0.1, 0.01):
        z = stats.norm.ppf(1 - alpha / 2)
        ci = res.conf_int(alpha)
        assert ci.shape == (2, 2)
        assert_allclose(ci, np.column_stack([res.params - z * res.bse, res.params + z * res.bse]), rtol=1e-15)
    assert_allclose(res.conf_int()[0], [1 - 1.959963984540054 * 0.2, 1 + 1.959963984540054 * 0.2], rtol=1e-12)


def test_repr_and_summary_are_readable():
    """repr is one line with the estimates; summary has one row per parameter."""
    res = make(model="toy")
    assert repr(res) == "MLEResult('toy', a=1, b=-2, loglik=-12.5, nobs=40, converged=True)"
    lines = res.summary().splitlines()
    assert len(lines) == 4 and lines[2].startswith("a ") and lines[3].startswith("b ")


def test_result_is_immutable():
    """Fitted values cannot be changed by accident."""
    res = make()
    with pytest.raises(ValueError):
        res.params[0] = 5.0
    with pytest.raises(AttributeError):
        res.loglik = 0.0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(params=[np.nan, 1.0]), "finite 1-D"),
        (dict(cov=np.eye(3)), r"cov must have shape \(2, 2\)"),
        (dict(nobs=0), "nobs must be a positive"),
        (dict(param_names=["a"]), "param_names has 1"),
    ],
)
def test_invalid_construction(kw, message):
    """Inconsistent shapes or values are refused with a message."""
    with pytest.raises(ValueError, match=message):
        make(**kw)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 2])
def test_conf_int_rejects_bad_alpha(alpha):
    """alpha must lie strictly between 0 and 1."""
    with pytest.raises(ValueError, match="alpha must be in"):
        make().conf_int(alpha)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(nobs=2.5), r"nobs must be a positive integer .*got 2.5"),
        (dict(nobs=True), r"nobs must be a positive integer .*got True"),
        (dict(nobs="40"), r"nobs must be a positive integer .*got '40'"),
        (dict(loglik=np.nan), "loglik must be a finite real number"),
        (dict(loglik=np.inf), "loglik must be a finite real number"),
        (dict(loglik=[1.0, 2.0]), "loglik must be a finite real number"),
        (dict(cov=[[0.04, 0.02], [0.01, 0.09]]), r"cov must be symmetric; cov\[0, 1\] = 0.02 but cov\[1, 0\] = 0.01"),
        (dict(cov=[[0.04, 0.1], [0.1, 0.09]]), "cov must be positive semi-definite .*eigenvalue"),
        (dict(cov=[[-0.04, 0.0], [0.0, 0.09]]), r"diagonal entry cov\[0, 0\] = -0.04 is negative"),
        (dict(cov=np.eye(3)), r"cov must have shape \(2, 2\)"),
        (dict(cov=[[0.04, np.inf], [np.inf, 0.09]]), "cov must be finite"),
        (dict(cov=[[0.04, np.nan], [np.nan, 0.09]]), "cov contains NaN but converged=True"),
        (dict(params=[1.0 + 1j, 2.0]), "params must be real"),
        (dict(params=[[1.0, 2.0]]), "params must be a finite 1-D array"),
        (dict(converged="yes"), "converged must be True or False"),
        (dict(param_names="ab"), "param_names must be a sequence of 2 names"),
    ],
)
def test_fields_are_validated(kw, message):
    """Every field is checked on construction, with a message naming it and showing the bad value."""
    base = dict(params=[1.0, -2.0], cov=[[0.04, 0.01], [0.01, 0.09]], loglik=-12.5, nobs=40)
    base.update(kw)
    with pytest.raises(ValueError, match=message):
        MLEResult(**base)


def test_negloglik_must_be_callable():
    with pytest.raises(TypeError, match="negloglik must be a callable.*got 'f'"):
        MLEResult([1.0], [[0.1]], -1.0, 3, negloglik="f")


def test_nan_cov_allowed_when_not_converged_and_psd_to_rounding():
    """NaN marks an unavailable covariance of a failed fit; a PSD matrix with rounding-level asymmetry
    or a -1e-18 eigenvalue is accepted and symmetrised; a singular (rank-1) covariance is PSD."""
    res = MLEResult([1.0, 2.0], np.full((2, 2), np.nan), -1.0, 5, converged=False)
    assert np.all(np.isnan(res.bse))
    c = np.array([[1.0, 1.0], [1.0 + 1e-15, 1.0]])
    res = MLEResult([1.0, 2.0], c, -1.0, 5)
    assert np.array_equal(res.cov, res.cov.T)
    assert MLEResult([1.0], [[0.0]], -1.0, np.int64(3)).nobs == 3


# issue #15: every constructor argument validated


@pytest.mark.parametrize("niter", ["x", -1, 2.5, True, [3]])
def test_niter_must_be_nonnegative_int_or_none(niter):
    with pytest.raises(ValueError, match=r"niter must be a non-negative int .* or None.*got " + re.escape(repr(niter))):
        make(niter=niter)


def test_niter_accepts_ints():
    assert make(niter=np.int64(7)).niter == 7
    assert type(make(niter=np.int64(7)).niter) is int
    assert make(niter=0).niter == 0 and make(niter=None).niter is None


@pytest.mark.parametrize("names", [[1, 2], ["a", None], ("a", b"b")])
def test_param_names_must_be_strings(names):
    """[1, 2] used to be accepted and then summary() died in a format spec with a bare TypeError."""
    with pytest.raises(ValueError, match=r"param_names must be strings; param_names\[\d\] = "):
        make(param_names=names)


def test_param_names_not_a_sequence():
    with pytest.raises(ValueError, match=r"param_names must be a sequence of 2 strings; got 5"):
        make(param_names=5)


def test_numpy_string_names_work_in_summary():
    res = make(param_names=np.array(["a", "b"]))
    assert "a " in res.summary() and res.param_names == ("a", "b")

"""Inputs an adversarial reader found to give silent wrong answers or false diagnoses, against oracles.

Each test reproduces one finding (implied intercepts with offsets, nearly collinear columns, huge
Poisson counts, the sandwich's validation and rank rule, covariance underflow, false exact-fit and
rank verdicts, extreme magnitudes) and compares with an oracle: statsmodels on a well-conditioned
design with the same column space mapped back by the exact linear map, mpmath, or closed forms.
"""

import warnings

import mpmath
import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from mlelib import DataError, NoFiniteMLEError, fit_linear, fit_logistic, fit_poisson, glm_sandwich_cov, sigmoid

FIT = {"logistic": fit_logistic, "poisson": fit_poisson, "linear": fit_linear}
FAMILY = {"logistic": sm.families.Binomial(), "poisson": sm.families.Poisson(), "linear": sm.families.Gaussian()}


def _response(model, eta, rng):
    if model == "logistic":
        return rng.binomial(1, sigmoid(eta)).astype(float)
    if model == "poisson":
        return rng.poisson(np.exp(eta)).astype(float)
    return eta + rng.normal(size=eta.size)


def _oracle(model, Z, y, A, cov_type="nonrobust"):
    """statsmodels' GLM on the well-conditioned Z, mapped to X = Z A: params A^-1 g, cov A^-1 C A^-T, llf.

    For the linear model the covariance is rescaled to the MLE sigma2 = RSS/n (mlelib's convention).
    """
    res = sm.GLM(y, Z, family=FAMILY[model]).fit(tol=1e-13, cov_type=cov_type)
    cov = np.asarray(res.cov_params())
    if model == "linear" and cov_type == "nonrobust":
        n, k = Z.shape
        cov = cov * (n - k) / n
    Ainv = np.linalg.inv(A)
    llf = res.llf
    if model == "linear":  # statsmodels' Gaussian GLM llf uses the same sigma2 = RSS/n
        llf = -0.5 * y.size * (np.log(2 * np.pi * np.sum(res.resid_response**2) / y.size) + 1)
    return Ainv @ np.asarray(res.params), Ainv @ cov @ Ainv.T, llf


def _grid(rng, n):
    """Standard-normal-ish values on a grid of 1/8: x + 1e9 (and 1e9 - x) are exact in float64."""
    return np.round(rng.normal(size=n) * 8) / 8


# ----------------------------------------------------------------------------------------------
# F1/F2: an intercept implied by the columns (no constant column) next to an offset column


@pytest.mark.parametrize("model", ["logistic", "poisson", "linear"])
@pytest.mark.parametrize("offset", [1e7, 1e9])
def test_implied_intercept_from_dummies_with_an_offset_column(model, offset):
    """[d, 1-d, o + x]: was slope 0.0054 vs 0.87 (Poisson, o = 1e9, converged=True), logistic SE +4.6 % at 1e7."""
    rng = np.random.default_rng(0)
    n = 200
    x, d = _grid(rng, n), (rng.random(n) < 0.5).astype(float)
    y = _response(model, 0.3 + 0.8 * x - 0.5 * d, rng)
    Z = np.column_stack([d, 1 - d, x])
    A = np.eye(3)
    A[0, 2] = A[1, 2] = offset  # X = Z A: the third column is o (d + 1 - d) + x
    X = Z @ A
    assert np.array_equal(X[:, 2], offset + x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = FIT[model](X, y)
    params, cov, llf = _oracle(model, Z, y, A)
    assert res.converged
    assert_allclose(res.params[2], params[2], rtol=1e-9)
    assert_allclose(res.params[:2], params[:2], rtol=1e-9)  # both about -o * slope
    assert_allclose(res.bse, np.sqrt(np.diag(cov)), rtol=1e-7)
    assert_allclose(res.loglik, llf, rtol=1e-11)


@pytest.mark.parametrize("model", ["logistic", "poisson", "linear"])
def test_implied_intercept_from_two_offset_columns(model):
    """[1e9 + u, 1e9 - u]: their sum is the constant 2e9, so this is the model [1, u] reparametrised."""
    rng = np.random.default_rng(9)
    n = 100
    u = _grid(rng, n)
    y = _response(model, 0.2 + 0.5 * u, rng)
    Z = np.column_stack([np.ones(n), u])
    A = np.array([[1e9, 1e9], [1.0, -1.0]])
    X = Z @ A
    assert np.array_equal(X, np.column_stack([1e9 + u, 1e9 - u]))
    res = FIT[model](X, y)
    params, cov, llf = _oracle(model, Z, y, A)
    assert res.converged
    assert_allclose(res.loglik, llf, rtol=1e-11)
    # The coefficients are b0 / 2e9 +- b1 / 2: their difference carries the slope. Tolerance: the
    # constant vector is found by least squares, c = (1, 1) / 2e9 up to a relative eps, and a centred
    # column inherits that as eps * offset / spread = 2.2e-7 (the rounding level of such data; measured
    # 1e-8 here), so 1e-6; before the fix the fitters ignored the implied intercept entirely.
    assert_allclose(res.params[0] - res.params[1], params[0] - params[1], rtol=1e-6)
    assert_allclose(res.bse, np.sqrt(np.diag(cov)), rtol=1e-6)


@pytest.mark.parametrize("model", ["logistic", "poisson", "linear"])
@pytest.mark.parametrize("offset", [1e7, 1e9])
def test_sandwich_with_an_implied_intercept_and_an_offset(model, offset):
    """glm_sandwich_cov on [d, 1-d, o + x]: was -9.5 % (1e7) and a false 'not positive definite' (1e9)."""
    rng = np.random.default_rng(0)
    n = 200
    x, d = _grid(rng, n), (rng.random(n) < 0.5).astype(float)
    y = _response(model, 0.3 + 0.8 * x - 0.5 * d, rng)
    Z = np.column_stack([d, 1 - d, x])
    A = np.eye(3)
    A[0, 2] = A[1, 2] = offset
    params, cov, _ = _oracle(model, Z, y, A, cov_type="HC0")
    got = glm_sandwich_cov(Z @ A, y, FIT[model](Z @ A, y).params, model)
    # params in the units of X fix X @ params only to eps * sum_j |params_j| |x_j| ~ 4e-7 at o = 1e9
    # (the intercepts are ~1e9 * slope): the residuals in the meat, hence the SEs, carry that much
    assert_allclose(np.sqrt(np.diag(got)), np.sqrt(np.diag(cov)), rtol=1e-6 if offset > 1e8 else 1e-8)


# ----------------------------------------------------------------------------------------------
# F3: nearly collinear columns (no offset): the Gram matrix squares the condition number


@pytest.mark.parametrize("model", ["logistic", "poisson"])
@pytest.mark.parametrize("delta", [1e-7, 3e-8, 1e-8, 3e-9])
def test_nearly_collinear_columns_match_the_reparametrised_fit(model, delta):
    """X = [1, u, u + delta v]: SEs were 0.5-2.3 % off (1e-7), 0.0196 vs 3.7e6 (1e-8), false separation (3e-8).

    Oracle: statsmodels on Z = [1, u, v~] with v~ = (x2 - u) / delta (x2 - u is exact), X = Z A.
    """
    rng = np.random.default_rng(7)
    n = 500
    u, v = rng.standard_normal((2, n))
    X = np.column_stack([np.ones(n), u, u + delta * v])
    Z = np.column_stack([np.ones(n), u, (X[:, 2] - X[:, 1]) / delta])
    A = np.array([[1.0, 0, 0], [0, 1, 1], [0, 0, delta]])
    y = _response(model, 0.3 + 0.5 * u + 0.4 * Z[:, 2], rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = FIT[model](X, y)
    params, cov, llf = _oracle(model, Z, y, A)
    se = np.sqrt(np.diag(cov))
    assert res.converged
    # X differs from Z A by rounding of relative size eps / delta (< 1e-7): compare to 1e-6
    assert np.max(np.abs(res.params - params) / se) < 1e-6
    assert_allclose(res.bse, se, rtol=1e-6)
    assert_allclose(res.loglik, llf, rtol=0, atol=1e-6)


def test_nearly_collinear_design_still_fits_fast_on_ordinary_data():
    """The orthogonalisation is taken only when needed: an ordinary design gives statsmodels' answer."""
    rng = np.random.default_rng(3)
    n = 400
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = _response("logistic", X @ [0.2, 0.5, -0.3, 0.1], rng)
    res, ref = fit_logistic(X, y), sm.Logit(y, X).fit(disp=0, tol=1e-12)
    assert_allclose(res.params, ref.params, rtol=1e-10)
    assert_allclose(res.bse, ref.bse, rtol=1e-10)


# ----------------------------------------------------------------------------------------------
# F4/F10: Poisson with large counts


def _mp_poisson_loglik(X, y, params):
    mpmath.mp.dps = 50
    total = mpmath.mpf(0)
    for xi, yi in zip(X, y):
        eta = sum(mpmath.mpf(float(b)) * mpmath.mpf(float(v)) for b, v in zip(params, xi))
        total += mpmath.mpf(float(yi)) * eta - mpmath.exp(eta) - mpmath.loggamma(mpmath.mpf(float(yi)) + 1)
    return total


@pytest.mark.parametrize("level", [1e9, 1e12])
def test_poisson_loglik_with_large_counts_matches_mpmath(level):
    """Counts ~1e12: the log-likelihood was 0.63 off (y eta - e^eta cancels); now the deviance form.

    Tolerance: at the returned params the exact value (mpmath, 50 digits) differs from any float64
    evaluation by sum_i |y_i - mu_i| * eps |eta_i| (the rounding of eta_i itself), about 1e-8 here.
    """
    rng = np.random.default_rng(4)
    n = 100
    x = rng.standard_normal(n)
    X = np.column_stack([np.ones(n), x])
    mu = level * np.exp(0.3 * x)
    y = np.round(mu + np.sqrt(mu) * rng.standard_normal(n))
    res = fit_poisson(X, y)
    exact = _mp_poisson_loglik(X, y, res.params)
    eta = X @ res.params
    bound = 8 * np.finfo(float).eps * np.sum(np.abs(y - np.exp(eta)) * np.abs(eta)) + 1e-9
    assert abs(res.loglik - float(exact)) < bound
    assert abs(-res.negloglik(res.params) - float(exact)) < bound


def test_poisson_with_large_counts_converges_without_warning():
    """Counts ~1e8: 8 of 20 seeds warned 'reached maxiter' at the MLE (step-halving on a cancelling sum)."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = 100
        x = rng.standard_normal(n)
        X = np.column_stack([np.ones(n), x])
        y = rng.poisson(1e8 * np.exp(0.3 * x)).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = fit_poisson(X, y)
        ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13)
        assert res.converged
        assert np.max(np.abs(res.params - ref.params) / ref.bse) < 1e-6


def test_poisson_loglik_small_counts_still_matches_scipy():
    """The deviance form equals sum(poisson.logpmf) on ordinary counts (including zeros)."""
    from scipy import stats

    rng = np.random.default_rng(5)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = rng.poisson(np.exp(X @ [0.1, 0.6])).astype(float)
    res = fit_poisson(X, y)
    expected = stats.poisson.logpmf(y, np.exp(X @ res.params)).sum()
    assert_allclose(res.loglik, expected, rtol=1e-13)


def test_poisson_counts_beyond_2_53_are_refused():
    """Counts of 1e306 gave a bare 'array must not contain infs or NaNs'."""
    X = np.column_stack([np.ones(4), [0.0, 1, 2, 3]])
    with pytest.raises(DataError, match=r"y contains the count 4e\+306, above 2\*\*53"):
        fit_poisson(X, [1e306, 2e306, 3e306, 4e306])


# ----------------------------------------------------------------------------------------------
# F5/F6/F12: glm_sandwich_cov validates as the fitters do


def _small(seed=5, n=40):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    X = np.column_stack([np.ones(n), x])
    y = (rng.random(n) < sigmoid(x)).astype(float)
    return X, y, fit_logistic(X, y).params


@pytest.mark.parametrize("family", ["logistic", "poisson", "linear"])
def test_sandwich_refuses_a_non_identifiable_design(family):
    """X = [1, x, x]: the fitters raise the rank error, the sandwich returned SEs."""
    X, y, b = _small()
    X3 = np.column_stack([X, X[:, 1]])
    with pytest.raises(DataError, match=r"rank-deficient: numerical matrix rank 2 < 3.*x1, x2"):
        glm_sandwich_cov(X3, y, [b[0], b[1], 0.0], family)
    with pytest.raises(DataError, match=r"rank-deficient: numerical matrix rank 2 < 3.*x1, x2"):
        FIT[family](X3, y)


@pytest.mark.parametrize(
    ("mutate", "family", "message"),
    [
        (lambda X, y, b: (X.astype(complex), y, b), "logistic", r"X must be real, got a complex array"),
        (lambda X, y, b: (X.astype(str), y, b), "logistic", r"X must be numeric, got strings"),
        (lambda X, y, b: (X, 2 * y, b), "logistic", r"labels 0 or 1.*y has \d+ value\(s\) outside the support, first 2"),
        (lambda X, y, b: (X, -y, b), "poisson", r"non-negative integer counts.*first -1"),
        (lambda X, y, b: (X, y + 0.5, b), "poisson", r"non-negative integer counts.*first 0.5"),
        (lambda X, y, b: (np.zeros((0, 2)), np.zeros(0), b), "logistic", r"X is empty \(shape \(0, 2\)\)"),
        (lambda X, y, b: (X, y, None), "logistic", r"params must be the 2 fitted coefficients .* got None"),
        (lambda X, y, b: (X[:1], y[:1], b), "logistic", r"fewer rows \(1\) than columns \(2\)"),
        (lambda X, y, b: (X, y, [1e300, 1e300]), "poisson", r"fitted means at params are not finite"),
        (lambda X, y, b: (X, y, [1e300, 1e300]), "logistic", r"information X'WX at params is singular"),
        (lambda X, y, b: (np.array([[1, 10**400]] * 40, dtype=object), y, b), "logistic",
         r"X contains an integer beyond the float64 range"),
        (lambda X, y, b: (X, y, [np.nan, 1.0]), "logistic", r"params must be finite"),
    ],
)
def test_sandwich_validates_its_input(mutate, family, message):
    X, y, b = _small()
    with pytest.raises(DataError, match=message):
        glm_sandwich_cov(*mutate(X, y, b), family)


# ----------------------------------------------------------------------------------------------
# F7/F11/F12: the float64 range


@pytest.mark.parametrize("fitter", [fit_linear, fit_logistic, fit_poisson])
def test_a_variance_that_underflows_is_refused(fitter):
    """A column in units of 1e200: the slope's variance (~4e-402) was returned as 0 (bse 0.0)."""
    rng = np.random.default_rng(9)
    n = 100
    u = rng.standard_normal(n)
    y = {fit_linear: u + rng.normal(size=n), fit_logistic: (rng.random(n) < 0.5).astype(float),
         fit_poisson: rng.poisson(2, n).astype(float)}[fitter]
    with pytest.raises(DataError, match=r"variance of the coefficient\(s\) of x1 is below the smallest normal"):
        fitter(np.column_stack([np.ones(n), 1e200 * u]), y)
    # 1e100 is fine: the fit is the scaled one
    base, big = fitter(np.column_stack([np.ones(n), u]), y), fitter(np.column_stack([np.ones(n), 1e100 * u]), y)
    assert_allclose(big.params[1] * 1e100, base.params[1], rtol=1e-9)
    assert_allclose(big.bse[1] * 1e100, base.bse[1], rtol=1e-9)


@pytest.mark.parametrize("fitter", [fit_linear, fit_logistic, fit_poisson])
def test_entries_near_the_float64_limit_give_a_clear_error(fitter):
    """|x| up to 1.5e308: was 'column x1 are all zeros' (the power-of-two scale overflowed) or LAPACK errors."""
    X = np.column_stack([np.ones(4), [1e307, -1e307, 1.5e308, -1e306]])
    with pytest.raises(DataError, match=r"variance of the coefficient\(s\) of x1 is below the smallest normal"):
        fitter(X, [1.0, 0, 2, 1] if fitter is not fit_logistic else [1.0, 0, 0, 1])


def test_linear_response_near_the_float64_limit_gives_a_clear_error():
    """y of +-1e308: was a bare ValueError / 'SVD did not converge' with LAPACK's DLASCL on stderr."""
    X = np.column_stack([np.ones(4), [0.0, 1, 2, 3]])
    with pytest.raises(DataError, match="exceeds the float64 range"):
        fit_linear(X, [1e308, -1e308, 1e308, -1.5e308])


@pytest.mark.parametrize("fitter", [fit_linear, fit_logistic, fit_poisson])
def test_python_integers_beyond_float64_are_a_data_error(fitter):
    with pytest.raises(DataError, match=r"X contains an integer beyond the float64 range .*401 digits"):
        fitter(np.array([[1, 10**400]] * 3 + [[1, 2]], dtype=object), [0, 1, 0, 1])


@pytest.mark.parametrize("fitter", [fit_linear, fit_logistic, fit_poisson])
def test_masked_arrays_and_duplicate_names_are_refused(fitter):
    X, y, _ = _small()
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, bool))
    masked[0, 1] = np.ma.masked
    with pytest.raises(DataError, match=r"X is a numpy masked array with 1 masked entry"):
        fitter(masked, y)
    with pytest.raises(DataError, match=r"param_names must be distinct.*\['a'\]"):
        fitter(X, y, param_names=["a", "a"])


# ----------------------------------------------------------------------------------------------
# F8/F9: false exact fits, one rank rule


def test_linear_large_offset_in_y_is_not_an_exact_fit():
    """y = 1e12 + x + 0.1 e: RSS 97.8 was called 'zero up to rounding'. Oracle: OLS on y - 1e12 (exact)."""
    rng = np.random.default_rng(1)
    n = 10_000
    x = rng.standard_normal(n)
    y = 1e12 + x + 0.1 * rng.standard_normal(n)
    res = fit_linear(np.column_stack([np.ones(n), x]), y)
    ref = sm.OLS(y - 1e12, np.column_stack([np.ones(n), x])).fit()
    assert_allclose(res.sigma2, ref.ssr / n, rtol=1e-9)
    assert_allclose(res.params[1], ref.params[1], rtol=1e-9)


def test_linear_offset_column_with_small_spread_is_not_an_exact_fit():
    """X = [1, 1e9 + 1e-5 u], y = u + e: a false 'y lies in the column space'. Oracle: OLS on the exact
    reparametrisation [1, (x - 1e9) / 1e-5] (x - 1e9 is exact)."""
    rng = np.random.default_rng(0)
    n = 300
    u = rng.standard_normal(n)
    y = u + rng.standard_normal(n)
    X = np.column_stack([np.ones(n), 1e9 + 1e-5 * u])
    Z = np.column_stack([np.ones(n), (X[:, 1] - 1e9) / 1e-5])
    res = fit_linear(X, y)
    ref = sm.OLS(y, Z).fit()
    assert_allclose(res.sigma2, ref.ssr / n, rtol=1e-9)
    assert_allclose(res.params[1] * 1e-5, ref.params[1], rtol=1e-9)


@pytest.mark.parametrize("spread", [1e-5, 3e-6, 1e-6, 3e-7, 1e-15])
def test_one_rank_rule_for_the_three_fitters(spread):
    """[1, 1e9 + spread * u]: fit_linear called 1e-6 (44 distinct values) rank-deficient, the GLMs fitted it."""
    rng = np.random.default_rng(2)
    n = 300
    u = rng.standard_normal(n)
    X = np.column_stack([np.ones(n), 1e9 + spread * u])
    ys = {fit_linear: u + rng.standard_normal(n), fit_logistic: (rng.random(n) < sigmoid(0.2 + 0.7 * u)).astype(float),
          fit_poisson: rng.poisson(np.exp(0.2 + 0.7 * u)).astype(float)}
    verdicts = []
    for fitter, y in ys.items():
        try:
            fitter(X, y)
            verdicts.append("fit")
        except DataError as exc:
            assert "rank-deficient" in str(exc)
            verdicts.append("rank")
        except NoFiniteMLEError:  # pragma: no cover - would be a false diagnosis
            verdicts.append("nomle")
    assert len(set(verdicts)) == 1, verdicts
    assert verdicts[0] == ("rank" if spread <= 3e-7 else "fit")


# ----------------------------------------------------------------------------------------------
# the equivariance property with an implied intercept (no column of ones)


@pytest.mark.parametrize("model", ["logistic", "poisson", "linear"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), exponent=st.integers(-20, 10), offset=st.floats(-1e9, 1e9))
def test_affine_change_with_an_intercept_implied_by_dummies(model, seed, exponent, offset):
    """[d, 1-d, c x + o] is [d, 1-d, x] reparametrised: the same fit, mapped exactly.

    x is on a grid of 1/8 and c a power of two, o a multiple of c/8 below 2**50 of them: the
    transformed column is exact. Tolerances as in test_regression_equivariance.py.
    """
    rng = np.random.default_rng(seed)
    n = 150
    x, d = _grid(rng, n), (rng.random(n) < 0.5).astype(float)
    y = _response(model, 0.3 + 0.5 * x - 0.4 * d, rng)
    c = float(np.ldexp(1.0, exponent))
    o = float(np.clip(np.round(offset / (c / 8)), -(2.0**50), 2.0**50) * (c / 8))
    Z = np.column_stack([d, 1 - d, x])
    X = np.column_stack([d, 1 - d, c * x + o])
    try:
        base = FIT[model](Z, y)
    except NoFiniteMLEError:
        return
    res = FIT[model](X, y)
    T = np.eye(3)
    T[2, 2] = 1 / c
    T[0, 2] = T[1, 2] = -o / c
    expected = T @ base.params
    assert_allclose(res.params[2], expected[2], rtol=1e-9)
    size = np.abs(base.params[:2]) + abs(o / c * base.params[2])
    assert np.all(np.abs(res.params[:2] - expected[:2]) <= 1e-9 * size)
    assert_allclose(res.bse[2], np.sqrt((T @ base.cov @ T.T)[2, 2]), rtol=1e-8)
    assert_allclose(res.loglik, base.loglik, rtol=1e-11)

"""One Newton loop: fit_logistic, fit_poisson, fit_glm and the Dask path are instances of the GLM core."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

import mlelib.regression as regression
from mlelib import DataError, SeparationError, fit_glm, fit_logistic, fit_poisson

SEED = 20261203


def _logistic_data(n=300, offset=0.0, seed=SEED):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    X = np.column_stack([np.ones(n), x[:, 0] + offset, x[:, 1]])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))).astype(float)
    return X, y


@pytest.fixture
def newton_calls(monkeypatch):
    """Count the calls of regression._newton, the one Newton loop of the library."""
    calls = []
    original = regression._newton

    def counting(model, *args, **kwargs):
        calls.append(type(model).__name__)
        return original(model, *args, **kwargs)

    monkeypatch.setattr(regression, "_newton", counting)
    import mlelib.glm as glm

    monkeypatch.setattr(glm, "_newton", counting)
    return calls


def test_every_fitter_runs_the_one_newton_loop(newton_calls):
    """In memory and on Dask, every GLM fitter goes through regression._newton (none has its own loop)."""
    da = pytest.importorskip("dask.array")
    X, y = _logistic_data()
    counts = np.random.default_rng(1).poisson(np.exp(0.2 + 0.3 * X[:, 1]))
    fits = [
        lambda: fit_logistic(X, y),
        lambda: fit_poisson(X, counts),
        lambda: fit_glm(X, y, "binomial", "probit"),
        lambda: fit_glm(X, counts, "negbin"),
        lambda: fit_logistic(da.from_array(X, chunks=(100, 3)), da.from_array(y, chunks=100)),
    ]
    for f in fits:
        before = len(newton_calls)
        with np.errstate(all="ignore"):
            try:
                f()
            except Exception as exc:  # noqa: BLE001 - the NB may refuse these counts; the loop ran first
                assert "alpha" in str(exc)
        assert len(newton_calls) > before
    assert set(newton_calls) == {"_DesignModel", "_ChunkedModel"}


def test_fit_logistic_is_fit_glm_binomial_logit_to_rounding():
    """Same core, same kernel: the two agree to rounding on an offset covariate too."""
    for offset in (0.0, 1e7):
        X, y = _logistic_data(offset=offset)
        a, b = fit_logistic(X, y), fit_glm(X, y, "binomial")
        assert_allclose(a.params, b.params, rtol=1e-12, atol=1e-12 * np.abs(a.params).max())
        assert_allclose(a.cov, b.cov, rtol=1e-10)
        assert a.loglik == pytest.approx(b.loglik, rel=1e-14)
        assert a.niter == b.niter


def test_fit_logistic_firth_is_fit_glm_firth_and_finite_under_separation():
    x = np.arange(1.0, 9.0)
    y = (x > 4.5).astype(float)
    X = np.column_stack([np.ones(8), x])
    with pytest.raises(SeparationError, match="penalty='firth'"):
        fit_logistic(X, y)
    a = fit_logistic(X, y, penalty="firth")
    b = fit_glm(X, y, "binomial", penalty="firth")
    assert_allclose(a.params, b.params, rtol=1e-12)
    assert np.all(np.isfinite(a.params)) and a.converged
    with pytest.raises(DataError, match="penalty must be None or 'firth'.*'ridge'"):
        fit_logistic(X, y, penalty="ridge")


def test_fisher_scoring_on_a_noncanonical_link_is_polished_to_newtons_answer():
    """Fisher scoring converges linearly for probit; the polishing steps take it to Newton's MLE."""
    X, y = _logistic_data(n=400)
    a = fit_glm(X, y, "binomial", "probit", method="newton")
    b = fit_glm(X, y, "binomial", "probit", method="fisher")
    ref = sm.Probit(y, X).fit(disp=0, method="newton", tol=1e-14)
    assert_allclose(a.params, ref.params, rtol=1e-9)
    assert_allclose(b.params, ref.params, rtol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(tol=True), r"tol must be a positive number.*True"),
        (dict(scale=True), r"scale must be None, 'pearson' or a positive number.*True"),
        (dict(maxiter=True), r"maxiter must be a positive integer.*True"),
        (dict(penalty=1), r"penalty must be None or 'firth', got 1"),
    ],
)
def test_boolean_options_are_refused(kwargs, message):
    X, y = _logistic_data(n=20)
    with pytest.raises(DataError, match=message):
        fit_glm(X, y, "binomial", **kwargs)


def test_counts_beyond_2_to_53_are_refused_by_fit_glm_as_by_fit_poisson():
    X = np.column_stack([np.ones(3), [0.0, 1.0, 2.0]])
    y = np.array([1.0, 2.0, 2.0**54])
    for f in (lambda: fit_poisson(X, y), lambda: fit_glm(X, y, "poisson"), lambda: fit_glm(X, y, "negbin")):
        with pytest.raises(DataError, match=r"above 2\*\*53"):
            f()


def test_gaussian_and_gamma_convergence_does_not_depend_on_the_units_of_y():
    """-D/2 grows with the square of y's units; the test runs on -D/(2 phi0): converged either way."""
    rng = np.random.default_rng(SEED)
    X = np.column_stack([np.ones(60), rng.normal(size=60)])
    y = 3.0 + 2.0 * X[:, 1] + rng.normal(size=60)
    base = fit_glm(X, y, "gaussian")
    for c in (1e-8, 1e10):
        res = fit_glm(X, y * c, "gaussian")
        assert res.converged
        assert_allclose(res.params, base.params * c, rtol=1e-12)
        assert_allclose(res.bse, base.bse * c, rtol=1e-10)
    yg = rng.gamma(400.0, np.exp(0.5 + 0.2 * X[:, 1]) / 400.0)  # dispersion 1/400
    res = fit_glm(X, yg, "gamma", "log")
    ref = sm.GLM(yg, X, family=sm.families.Gamma(sm.families.links.Log())).fit(tol=1e-14)
    assert res.converged
    assert_allclose(res.params, ref.params, rtol=1e-10)


def _profile_deviance_limit(X, y, j, phi, side, family):
    """Oracle: the limit where {D(beta_j fixed) - D_hat}/phi = chi2_1(0.95), by statsmodels fits with an offset."""
    from scipy import optimize, stats

    full = sm.GLM(y, X, family=family).fit(tol=1e-14)
    rest = np.delete(X, j, axis=1)
    q = stats.chi2.ppf(0.95, 1)

    def excess(b):
        fit_b = sm.GLM(y, rest, family=family, offset=b * X[:, j]).fit(tol=1e-14)
        return (fit_b.deviance - full.deviance) / phi - q

    b0, se = full.params[j], full.bse[j] * np.sqrt(phi)
    return optimize.brentq(excess, b0, b0 + side * 10 * se, xtol=1e-12)


def test_quasi_poisson_profile_interval_uses_the_scaled_deviance():
    """scale='pearson': the profile interval solves {D(b) - D_hat}/phi_hat = chi2_1 quantile (R's confint.glm)."""
    rng = np.random.default_rng(SEED)
    n = 200
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    mu = np.exp(1.0 + 0.4 * X[:, 1])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)  # overdispersed counts
    res = fit_glm(X, y, "poisson", scale="pearson")
    assert res.scale > 2  # genuinely overdispersed: the quasi interval must be wider
    lo, hi = res.conf_int(method="profile")[1]
    fam = sm.families.Poisson()
    assert lo == pytest.approx(_profile_deviance_limit(X, y, 1, res.scale, -1, fam), abs=1e-6)
    assert hi == pytest.approx(_profile_deviance_limit(X, y, 1, res.scale, +1, fam), abs=1e-6)
    lo1, hi1 = fit_glm(X, y, "poisson").conf_int(method="profile")[1]
    assert (hi - lo) / (hi1 - lo1) == pytest.approx(np.sqrt(res.scale), rel=0.05)


def test_glm_result_repr_names_its_class():
    X = np.column_stack([np.ones(6), [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]])
    assert repr(fit_glm(X, [1, 2, 2, 4, 6, 9], "poisson")).startswith("GLMResult('GLM poisson (log link)', x0=")


@pytest.mark.parametrize("link", ["log", "inverse", "identity"])
@pytest.mark.parametrize("c", [1e-300, 1e-120, 1e120, 1e300])
def test_gamma_response_in_extreme_units(link, c):
    """Gamma fits are exact reparametrisations under y -> c y where representable; else a clear error."""
    rng = np.random.default_rng(SEED)
    X = np.column_stack([np.ones(50), rng.normal(size=50)])
    y = rng.gamma(3.0, np.exp(0.5 + 0.3 * X[:, 1]) / 3.0)
    base = fit_glm(X, y, "gamma", link)
    if link != "log" and abs(np.log10(c)) > 150:
        with pytest.raises(DataError, match="beyond 1e\\+-150 in magnitude"):
            fit_glm(X, y * c, "gamma", link)
        return
    res = fit_glm(X, y * c, "gamma", link)
    assert res.converged
    if link == "log":
        expected = base.params + [np.log(c), 0.0]
    else:
        expected = base.params * (c if link == "identity" else 1 / c)
    assert_allclose(res.params, expected, rtol=1e-12, atol=1e-12)
    assert res.scale == pytest.approx(base.scale, rel=1e-12)
    assert res.deviance == pytest.approx(base.deviance, rel=1e-12)
    assert res.loglik == pytest.approx(base.loglik - 50 * np.log(c), rel=1e-12)

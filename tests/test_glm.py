"""fit_glm: statsmodels agreement on its shipped data sets, Newton vs Fisher, Firth, LR tests, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from mlelib import (
    DataError,
    GLMResult,
    NegativeBinomial,
    NoFiniteMLEError,
    SeparationError,
    fit,
    fit_glm,
    fit_logistic,
    fit_poisson,
    glm_lr_test,
    glm_sandwich_cov,
    numerical_hessian,
)
from mlelib.families import Binomial, Gamma, Probit

# statsmodels' Newton and ours solve the same equations to rounding: 1e-8 is far below the contract
# (1e-6). statsmodels' IRLS stops on a relative change of the deviance, i.e. linearly convergent
# Fisher scoring for a non-canonical link leaves it ~1e-8 from the MLE; compare those at 1e-6.
RTOL = 1e-8
RTOL_IRLS = 1e-6
SEED = 20260917
_X4 = np.column_stack([np.ones(5), [0.0, 1.0, 2.0, 3.0, 5.0]])


def _quiet(fn):
    """Run fn() with statsmodels' warnings (domain, convergence chatter) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def _star98():
    d = sm.datasets.star98.load_pandas()
    return sm.add_constant(d.exog), d.endog


def _scotland():
    d = sm.datasets.scotland.load_pandas()
    return sm.add_constant(d.exog), d.endog


def _cpunish():
    d = sm.datasets.cpunish.load_pandas()
    X = d.exog.copy()
    X["INCOME"] = np.log(X["INCOME"])
    return sm.add_constant(X), d.endog


def _randhie():
    d = sm.datasets.randhie.load_pandas()
    return sm.add_constant(d.exog), d.endog


def _spector():
    d = sm.datasets.spector.load_pandas()
    return sm.add_constant(d.exog), d.endog


def _assert_matches_glm(res, ref, rtol=RTOL):
    assert_allclose(res.params, ref.params, rtol=rtol)
    assert_allclose(res.bse, ref.bse, rtol=rtol)
    assert_allclose(res.deviance, ref.deviance, rtol=rtol)
    assert_allclose(res.pearson_chi2, ref.pearson_chi2, rtol=rtol)
    assert_allclose(res.null_deviance, ref.null_deviance, rtol=rtol)
    assert_allclose(res.loglik, ref.llf, rtol=rtol)
    assert_allclose(res.scale, ref.scale, rtol=rtol)
    assert_allclose(res.aic, ref.aic, rtol=rtol)
    assert_allclose(res.bic, ref.bic_llf, rtol=rtol)
    assert res.df_resid == ref.df_resid
    assert res.converged


# ----------------------------------------------------------------------------------------------
# statsmodels' data sets


def test_star98_binomial_with_trials_matches_statsmodels():
    """Counts of successes out of trials (star98) vs statsmodels GLM Binomial on [successes, failures]."""
    X, Y = _star98()
    ref = sm.GLM(Y, X, family=sm.families.Binomial()).fit(tol=1e-14)
    succ, fail = Y.iloc[:, 0].to_numpy(), Y.iloc[:, 1].to_numpy()
    res = fit_glm(X, succ, "binomial", trials=succ + fail)
    assert isinstance(res, GLMResult)
    _assert_matches_glm(res, ref)
    assert res.param_names == tuple(X.columns)


@pytest.mark.parametrize("link, sm_link", [("inverse", None), ("log", sm.families.links.Log())])
def test_scotland_gamma_matches_statsmodels(link, sm_link):
    """Gamma (inverse and log links): Fisher scoring vs statsmodels IRLS, Newton vs statsmodels Newton."""
    X, y = _scotland()
    fam = sm.families.Gamma() if sm_link is None else sm.families.Gamma(sm_link)
    ref_irls = _quiet(lambda: sm.GLM(y, X, family=fam).fit(tol=1e-14))
    _assert_matches_glm(fit_glm(X, y, "gamma", link, method="fisher"), ref_irls, RTOL_IRLS)
    ref_newton = _quiet(lambda: sm.GLM(y, X, family=fam).fit(method="newton", tol=1e-12, maxiter=200))
    res = fit_glm(X, y, "gamma", link)
    assert_allclose(res.params, ref_newton.params, rtol=RTOL)
    assert_allclose(res.bse, ref_newton.bse, rtol=1e-6)  # statsmodels' Hessian is numerical here


def test_cpunish_poisson_matches_statsmodels():
    """Poisson log link on cpunish vs statsmodels GLM Poisson."""
    X, y = _cpunish()
    _assert_matches_glm(fit_glm(X, y, "poisson"), sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-14))


def test_longley_gaussian_matches_statsmodels():
    """Gaussian identity: phi = RSS/(n-p) in the standard errors, loglik at RSS/n (statsmodels GLM)."""
    d = sm.datasets.longley.load_pandas()
    X = sm.add_constant(d.exog)
    _assert_matches_glm(fit_glm(X, d.endog, "gaussian"), sm.GLM(d.endog, X).fit(), rtol=1e-7)


def test_randhie_negative_binomial_matches_statsmodels_discrete():
    """NB2 with alpha by ML: beta, alpha, bse (joint observed information), loglik, aic, bic vs statsmodels."""
    X, y = _randhie()
    ref = sm.NegativeBinomial(y, X).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    res = fit_glm(X, y, "negative_binomial")
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=RTOL)
    assert_allclose([res.aic, res.bic], [ref.aic, ref.bic], rtol=RTOL)
    assert res.param_names[-1] == "alpha" and res.alpha == res.params[-1]
    assert res.converged


@pytest.mark.parametrize("method", ["newton", "fisher"])
def test_negative_binomial_fixed_alpha_matches_statsmodels_glm(method):
    """NB2 with alpha held fixed is a GLM: statsmodels GLM NegativeBinomial(alpha) (IRLS or Newton)."""
    X, y = _randhie()
    alpha = 1.3
    fam = sm.families.NegativeBinomial(alpha=alpha)
    if method == "fisher":
        ref = sm.GLM(y, X, family=fam).fit(tol=1e-14)
        rtol = RTOL_IRLS
    else:
        ref = sm.GLM(y, X, family=fam).fit(method="newton", tol=1e-12)
        rtol = RTOL
    res = fit_glm(X, y, NegativeBinomial(alpha), method=method)
    _assert_matches_glm(res, ref, rtol)


@pytest.mark.parametrize(
    "link, sm_link", [("probit", sm.families.links.Probit()), ("cloglog", sm.families.links.CLogLog())]
)
def test_noncanonical_binomial_links_newton_and_fisher_match_statsmodels(link, sm_link):
    """Same MLE both ways; bse: Fisher = expected information (statsmodels IRLS), Newton = observed."""
    X, y = _spector()
    fam = sm.families.Binomial(sm_link)
    ref_irls = sm.GLM(y, X, family=fam).fit(tol=1e-14)
    ref_newton = sm.GLM(y, X, family=fam).fit(method="newton", tol=1e-12, maxiter=200)
    res_f = fit_glm(X, y, "binomial", link, method="fisher")
    res_n = fit_glm(X, y, "binomial", link, method="newton")
    _assert_matches_glm(res_f, ref_irls, RTOL_IRLS)
    _assert_matches_glm(res_n, ref_newton, RTOL)
    assert_allclose(res_f.params, res_n.params, rtol=1e-10)
    assert np.max(np.abs(res_f.bse / res_n.bse - 1)) > 1e-3  # observed != expected information here


def test_observed_information_is_the_numerical_hessian():
    """For probit, cov^-1 (method='newton') is the numerical Hessian of -loglik; method='fisher' is not."""
    X, y = _spector()
    res = fit_glm(X, y, "binomial", "probit")
    H = numerical_hessian(res.negloglik, res.params)
    assert_allclose(np.linalg.inv(res.cov), H, rtol=1e-4, atol=1e-4 * np.abs(H).max())
    res_f = fit_glm(X, y, "binomial", "probit", method="fisher")
    assert not np.allclose(np.linalg.inv(res_f.cov), H, rtol=1e-3)


# ----------------------------------------------------------------------------------------------
# one core: the named fitters, canonical links, offsets, scale, sandwich


def test_binomial_logit_equals_fit_logistic_and_poisson_equals_fit_poisson():
    """fit_glm(canonical) reproduces fit_logistic and fit_poisson to 1e-10."""
    X, y = _spector()
    a, b = fit_glm(X, y, "binomial"), fit_logistic(X, y)
    assert_allclose(a.params, b.params, rtol=1e-10)
    assert_allclose(a.cov, b.cov, rtol=1e-10)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    X, y = _randhie()
    a, b = fit_glm(X, y, "poisson"), fit_poisson(X, y)
    assert_allclose(a.params, b.params, rtol=1e-10)
    assert_allclose(a.cov, b.cov, rtol=1e-10)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)


@pytest.mark.parametrize("family, data", [("binomial", _spector), ("poisson", _cpunish), ("gamma", _scotland)])
def test_newton_equals_fisher_for_canonical_links(family, data):
    """Observed = expected information for a canonical link: same iterates' limit and same cov."""
    X, y = data()
    a = fit_glm(X, y, family, method="newton")
    b = fit_glm(X, y, family, method="fisher")
    assert_allclose(a.params, b.params, rtol=1e-10)
    assert_allclose(a.cov, b.cov, rtol=1e-10)


def test_poisson_offset_matches_statsmodels():
    """An exposure offset log(t): statsmodels GLM with offset, including its null deviance."""
    rng = np.random.default_rng(SEED)
    n = 300
    x = rng.normal(size=n)
    t = rng.uniform(0.5, 4.0, size=n)
    y = rng.poisson(t * np.exp(0.2 + 0.5 * x))
    X = np.column_stack([np.ones(n), x])
    ref = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(t)).fit(tol=1e-14)
    _assert_matches_glm(fit_glm(X, y, "poisson", offset=np.log(t)), ref)


def test_negative_binomial_with_offset_matches_statsmodels():
    """NB2 with alpha by ML and an exposure offset vs statsmodels NegativeBinomial(offset=...)."""
    rng = np.random.default_rng(SEED)
    n = 400
    x = rng.normal(size=n)
    t = rng.uniform(0.5, 3.0, size=n)
    mu = t * np.exp(0.3 + 0.4 * x)
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    X = np.column_stack([np.ones(n), x])
    ref = sm.NegativeBinomial(y, X, offset=np.log(t)).fit(method="newton", tol=1e-12, disp=0)
    res = fit_glm(X, y, "negbin", offset=np.log(t))
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    assert_allclose(res.loglik, ref.llf, rtol=RTOL)


def test_probit_with_trials_matches_statsmodels():
    """Grouped binomial counts with the probit link (Newton) vs statsmodels GLM with method='newton'."""
    X, Y = _star98()
    X = X[["const", "LOWINC", "PERASIAN", "PERBLACK"]]
    succ, fail = Y.iloc[:, 0].to_numpy(), Y.iloc[:, 1].to_numpy()
    fam = sm.families.Binomial(sm.families.links.Probit())
    ref = sm.GLM(Y, X, family=fam).fit(method="newton", tol=1e-12, maxiter=200)
    res = fit_glm(X, succ, "binomial", "probit", trials=succ + fail)
    assert_allclose(res.params, ref.params, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=1e-6)
    assert_allclose([res.deviance, res.loglik], [ref.deviance, ref.llf], rtol=RTOL)


def test_gaussian_exact_fit_has_no_finite_mle():
    """y in the column space of X: RSS = 0, the dispersion MLE is 0 (as fit_linear)."""
    with pytest.raises(NoFiniteMLEError, match="y lies in the column space of X"):
        fit_glm(_X4, 1.0 + 2.0 * _X4[:, 1], "gaussian")


def test_quasi_poisson_scale_is_pearson_over_df():
    """scale='pearson' multiplies the covariance by X^2/(n-p), as statsmodels' scale='X2'."""
    X, y = _randhie()
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(scale="X2")
    res = fit_glm(X, y, "poisson", scale="pearson")
    assert_allclose(res.scale, ref.scale, rtol=RTOL)
    assert_allclose(res.bse, ref.bse, rtol=RTOL)
    plain = fit_glm(X, y, "poisson")
    assert_allclose(res.bse, plain.bse * np.sqrt(res.pearson_chi2 / res.df_resid), rtol=1e-12)


def test_hc0_sandwich_matches_statsmodels_and_glm_sandwich_cov():
    """cov_type='HC0' is statsmodels' HC0 and mlelib.glm_sandwich_cov for the Poisson."""
    X, y = _randhie()
    res = fit_glm(X, y, "poisson", cov_type="HC0")
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(cov_type="HC0")
    assert_allclose(res.bse, ref.bse, rtol=1e-7)
    assert_allclose(res.cov, glm_sandwich_cov(X, y, res.params, "poisson"), rtol=1e-7)


def test_negative_binomial_hc0_matches_statsmodels():
    """Sandwich covariance of (beta, alpha) for the NB2 MLE vs statsmodels' cov_type='HC0'."""
    X, y = _randhie()
    ref = sm.NegativeBinomial(y, X).fit(method="newton", tol=1e-12, disp=0, cov_type="HC0")
    res = fit_glm(X, y, "negbin", cov_type="HC0")
    assert_allclose(res.bse, ref.bse, rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# likelihood-ratio tests


def test_lr_test_against_statsmodels_llr():
    """glm_lr_test(intercept-only, full) is statsmodels' llr / llr_pvalue for Logit and Poisson."""
    X, y = _spector()
    ref = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    test = glm_lr_test(fit_glm(X[["const"]], y, "binomial"), fit_glm(X, y, "binomial"))
    assert_allclose([test.statistic, test.pvalue], [ref.llr, ref.llr_pvalue], rtol=1e-8)
    assert test.df == ref.df_model and test.distribution == "chi2"
    X, y = _cpunish()
    ref = sm.Poisson(y, X).fit(disp=0, method="newton", tol=1e-12)
    small, full = fit_glm(X[["const"]], y, "poisson"), fit_glm(X, y, "poisson")
    test = glm_lr_test(small, full)
    assert_allclose([test.statistic, test.pvalue], [ref.llr, ref.llr_pvalue], rtol=1e-8)
    # analysis of deviance: for a fixed-scale family the statistic is the drop in deviance
    assert_allclose(test.statistic, small.deviance - full.deviance, rtol=1e-10)


def test_f_test_for_estimated_dispersion_matches_ols_compare_f_test():
    """Gaussian GLMs with phi estimated: the F test of nested models is OLS's compare_f_test."""
    d = sm.datasets.longley.load_pandas()
    X = sm.add_constant(d.exog)
    small_cols = ["const", "GNPDEFL", "GNP"]
    ref = sm.OLS(d.endog, X).fit().compare_f_test(sm.OLS(d.endog, X[small_cols]).fit())
    test = glm_lr_test(fit_glm(X[small_cols], d.endog, "gaussian"), fit_glm(X, d.endog, "gaussian"))
    assert test.distribution == "F"
    assert_allclose([test.statistic, test.pvalue, test.df], ref, rtol=1e-7)


def test_lr_test_refuses_incomparable_fits():
    X, y = _spector()
    full = fit_glm(X, y, "binomial")
    with pytest.raises(DataError, match="differ in link"):
        glm_lr_test(fit_glm(X[["const"]], y, "binomial", "probit"), full)
    with pytest.raises(DataError, match="pass the smaller model first"):
        glm_lr_test(full, fit_glm(X[["const"]], y, "binomial"))
    with pytest.raises(DataError, match="GLMResult"):
        glm_lr_test(fit_logistic(X[["const"]], y), full)


# ----------------------------------------------------------------------------------------------
# Firth


def _penalised_negloglik(X, y):
    def f(b):
        eta = X @ b
        p = 1 / (1 + np.exp(-eta))
        info = X.T @ (X * (p * (1 - p))[:, None])
        return -(np.sum(y * eta - np.logaddexp(0.0, eta)) + 0.5 * np.linalg.slogdet(info)[1])

    return f


def test_firth_on_separated_data_solves_the_modified_score_and_matches_a_generic_fit():
    """Separated data: the ML fit raises, Firth is finite, U*(beta) = 0, and mlelib.fit on -l* agrees."""
    x = np.arange(1.0, 9.0)
    y = (x > 4.5).astype(float)
    X = np.column_stack([np.ones(8), x])
    with pytest.raises(SeparationError):
        fit_glm(X, y, "binomial")
    res = fit_glm(X, y, "binomial", penalty="firth")
    p = 1 / (1 + np.exp(-X @ res.params))
    Xw = X * np.sqrt(p * (1 - p))[:, None]
    hat = np.einsum("ij,jk,ik->i", Xw, np.linalg.inv(Xw.T @ Xw), Xw)
    assert_allclose(X.T @ (y - p + hat * (0.5 - p)), 0.0, atol=1e-10)
    oracle = fit(_penalised_negloglik(X, y), np.zeros(2), nobs=8)
    assert_allclose(res.params, oracle.params, rtol=1e-6)
    assert_allclose(res.loglik, -oracle.negloglik(oracle.params), rtol=1e-10)
    assert_allclose(res.negloglik(res.params), -res.loglik, rtol=1e-12)
    assert res.loglik_unpenalized < res.loglik


def test_firth_with_trials_equals_firth_on_the_expanded_bernoulli_rows():
    """Binomial counts and their expansion into 0/1 rows give the same Firth estimate."""
    X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    trials = np.array([3, 4, 2, 5])
    succ = np.array([0, 1, 2, 5])
    rows = np.repeat(X, trials, axis=0)
    labels = np.concatenate([np.r_[np.ones(s), np.zeros(t - s)] for s, t in zip(succ, trials)])
    a = fit_glm(X, succ, "binomial", trials=trials, penalty="firth")
    b = fit_glm(rows, labels, "binomial", penalty="firth")
    assert_allclose(a.params, b.params, rtol=1e-9)
    assert_allclose(a.cov, b.cov, rtol=1e-9)


def test_firth_poisson_solves_its_modified_score():
    """Poisson log link: U* = X'(y - mu + hat/2) = 0, finite even when a dummy is 1 only on zero counts."""
    X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1.0], [0, 0, 1, 0, 0, 0.0]])
    y = np.array([1.0, 3.0, 0.0, 4.0, 2.0, 5.0])
    with pytest.raises(NoFiniteMLEError):
        fit_glm(X, y, "poisson")
    res = fit_glm(X, y, "poisson", penalty="firth")
    mu = np.exp(X @ res.params)
    Xw = X * np.sqrt(mu)[:, None]
    hat = np.einsum("ij,jk,ik->i", Xw, np.linalg.inv(Xw.T @ Xw), Xw)
    assert_allclose(X.T @ (y - mu + hat / 2), 0.0, atol=1e-10)


def test_firth_reduces_small_sample_bias():
    """Simulated logistic regression, n = 40: Firth's mean slope is closer to the truth than the MLE's."""
    rng = np.random.default_rng(SEED)
    beta = np.array([-0.5, 1.0])
    mle, firth = [], []
    while len(mle) < 200:
        x = rng.normal(size=40)
        X = np.column_stack([np.ones(40), x])
        y = (rng.uniform(size=40) < 1 / (1 + np.exp(-X @ beta))).astype(float)
        try:
            m = fit_glm(X, y, "binomial").params[1]
        except SeparationError:
            continue
        mle.append(m)
        firth.append(fit_glm(X, y, "binomial", penalty="firth").params[1])
    bias_mle, bias_firth = np.mean(mle) - 1.0, np.mean(firth) - 1.0
    assert bias_mle > 0.05 and abs(bias_firth) < bias_mle / 2


# ----------------------------------------------------------------------------------------------
# no finite MLE, convergence


def test_separation_with_trials_raises():
    """Counts: all successes for x > 1, none for x <= 1 is complete separation."""
    X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    with pytest.raises(SeparationError, match="complete separation"):
        fit_glm(X, [0, 0, 5, 5], "binomial", trials=[5, 5, 5, 5])
    res = fit_glm(X, [0, 1, 4, 5], "binomial", trials=[5, 5, 5, 5])
    assert res.converged


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_quasi_separation_raises_for_every_link(link):
    """A dummy that is 1 only for successes: quasi-complete separation whatever the link."""
    X = np.column_stack([np.ones(8), [0, 0, 0, 0, 0, 0, 1, 1.0]])
    y = np.array([0, 1, 0, 1, 0, 1, 1, 1.0])
    with pytest.raises(SeparationError, match="quasi-complete"):
        fit_glm(X, y, "binomial", link)


def test_all_labels_equal_and_all_zero_counts_raise():
    X = np.column_stack([np.ones(5), np.arange(5.0)])
    with pytest.raises(SeparationError, match="all 5 labels are 1"):
        fit_glm(X, np.ones(5), "binomial")
    with pytest.raises(SeparationError, match="all 5 responses are failures"):
        fit_glm(X, np.zeros(5), "binomial", trials=np.full(5, 3))
    with pytest.raises(NoFiniteMLEError, match="all 5 counts are zero"):
        fit_glm(X, np.zeros(5), "poisson")
    with pytest.raises(NoFiniteMLEError, match="all 5 counts are zero"):
        fit_glm(X, np.zeros(5), "negbin")


def test_negative_binomial_without_overdispersion_has_alpha_on_the_boundary():
    """Underdispersed counts: the NB2 likelihood increases as alpha -> 0; refused with a clear error."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=200)
    y = rng.binomial(4, 0.5, size=200).astype(float)  # variance 1 < mean 2
    with pytest.raises(NoFiniteMLEError, match="boundary alpha = 0"):
        fit_glm(np.column_stack([np.ones(200), x]), y, "negbin")


def test_nonconvergence_warns_and_says_so():
    X, y = _spector()
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = fit_glm(X, y, "binomial", "probit", maxiter=1)
    assert not res.converged


def test_rank_deficient_design_is_refused():
    X, y = _spector()
    X2 = X.assign(dup=2 * X["GPA"])
    with pytest.raises(DataError, match="rank-deficient.*GPA.*dup"):
        fit_glm(X2, y, "binomial")


# ----------------------------------------------------------------------------------------------
# bad input

_X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(y=[0, 1, 2, 1], family="binomial"), r"labels 0 or 1.*first 2 at position 2"),
        (dict(y=[0, 1, 6, 1], family="binomial", trials=[5, 5, 5, 5]), r"y > trials.*y = 6 > trials = 5"),
        (
            dict(y=[0, 1, 2, 1], family="binomial", trials=[5, 0, 5, 5]),
            r"positive integer numbers of trials.*first 0 at position 1",
        ),
        (dict(y=[0, 1.5, 2, 1], family="binomial", trials=[5, 5, 5, 5]), r"integer counts.*first 1.5"),
        (dict(y=[0, -1, 2, 1], family="poisson"), r"non-negative integer counts.*first -1"),
        (dict(y=[0, 1.5, 2, 1], family="poisson"), r"first 1.5 at position 1"),
        (dict(y=[0, 1.5, 2, 1], family="negbin"), r"first 1.5 at position 1"),
        (dict(y=[1.0, 0.0, 2.0, 3.0], family="gamma"), r"Gamma data must be positive.*first 0 at position 1"),
        (dict(y=[1.0, -2.0, 2.0, 3.0], family="gamma"), r"first -2 at position 1"),
        (dict(y=[1.0, np.nan, 2.0, 3.0], family="gaussian"), r"y contains 1 non-finite.*nan at position 1"),
        (dict(y=[1.0, np.inf, 2.0, 3.0], family="poisson"), r"y contains 1 non-finite.*inf"),
        (dict(y=np.array([1, 2, 3, 4]) + 0j, family="poisson"), r"y must be real.*complex"),
        (dict(y=[1, 2, 3], family="poisson"), r"y has 3 entries but X has 4 rows"),
        (dict(y=[1, 2, 3, 4], family="poisson", offset=[0.0, 1.0]), r"offset has 2 entries but X has 4 rows"),
        (dict(y=[1, 2, 3, 4], family="poisson", offset=[0.0, np.nan, 0, 0]), r"offset contains 1 non-finite"),
        (dict(y=[1, 2, 3, 4], family="poisson", offset=np.zeros((4, 1))), r"offset must be 1-D"),
        (dict(y=[1, 2, 3, 4], family="poisson", trials=[5, 5, 5, 5]), r"trials is only for the binomial"),
        (dict(y=[1, 2, 3, 4], family="tweedie"), r"unknown family 'tweedie'.*binomial, poisson, gamma"),
        (
            dict(y=[0, 1, 0, 1], family="binomial", link="log"),
            r"link 'log' is not available.*logit, probit, cloglog",
        ),
        (dict(y=[0, 1, 0, 1], family="binomial", link="logarithm"), r"unknown link 'logarithm'.*logit, probit"),
        (dict(y=[1, 2, 3, 4], family="poisson", method="bfgs"), r"method must be one of newton, fisher"),
        (dict(y=[1, 2, 3, 4], family="poisson", scale=-1.0), r"scale must be None, 'pearson' or a positive"),
        (dict(y=[1, 2, 3, 4], family="gamma", penalty="firth"), r"penalty='firth' is implemented for"),
        (dict(y=[1, 2, 3, 4], family="poisson", penalty="ridge"), r"penalty must be None or 'firth'"),
        (dict(y=[1, 2, 3, 4], family="negbin", method="fisher"), r"method='fisher' is not available"),
        (dict(y=[1, 2, 3, 4], family="poisson", maxiter=0), r"maxiter must be a positive integer"),
        (dict(y=[1, 2, 3, 4], family="poisson", tol=-1.0), r"tol must be a positive number"),
        (dict(y=[1, 2, 3, 4], family="poisson", start=[1.0]), r"start must be a finite 1-D array of 2"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, message):
    with pytest.raises(DataError, match=message):
        fit_glm(_X, **kwargs)


@pytest.mark.parametrize(
    "X, message",
    [
        (np.ones(4), r"X must be a 2-D design matrix"),
        (_X + 1j, r"X must be real"),
        (np.where(np.eye(4, 2) == 1, np.nan, _X), r"X contains 2 non-finite"),
        (np.array([["a", "b"]] * 4), r"X must be numeric"),
        (_X[:1], r"fewer rows \(1\) than columns \(2\)"),
    ],
)
def test_bad_design_gets_a_clear_error(X, message):
    with pytest.raises(DataError, match=message):
        fit_glm(X, np.ones(X.shape[0] if np.ndim(X) else 1), "poisson")


def test_bad_family_objects_and_alpha():
    with pytest.raises(DataError, match="alpha must be a positive finite number"):
        NegativeBinomial(alpha=-1.0)
    with pytest.raises(DataError, match="link 'identity' is not available for the binomial"):
        Binomial("identity")
    res = fit_glm(_X, [0, 1, 0, 1], Binomial(), link=Probit())
    assert res.link == "probit"
    assert fit_glm(_X, [1.0, 2.0, 1.5, 3.0], Gamma("log")).link == "log"


def test_booleans_and_dataframes_are_accepted():
    X, y = _spector()
    a = fit_glm(X, y.astype(bool), "binomial")
    b = fit_glm(X.to_numpy(), y.to_numpy(), "binomial", param_names=list(X.columns))
    assert_allclose(a.params, b.params, rtol=1e-14)
    assert a.param_names == b.param_names == tuple(X.columns)
    assert isinstance(pd.Series(a.params, index=a.param_names), pd.Series)


# ----------------------------------------------------------------------------------------------
# properties


@settings(max_examples=25)
@given(
    family=st.sampled_from(["binomial-probit", "poisson", "gamma-log", "negbin"]),
    log10c=st.floats(-6, 6),
    shift=st.sampled_from([0.0, 1e3, 1e6, -1e9]),
    seed=st.integers(0, 2**16),
)
def test_affine_change_of_a_column_transforms_the_fit_exactly(family, log10c, shift, seed):
    """x -> c x + s (intercept present): same fitted means and loglik; slope / c, its se / |c|."""
    rng = np.random.default_rng(seed)
    n = 120
    x = rng.normal(size=n)
    eta = 0.3 + 0.6 * x
    fam, link = (family.split("-") + [None])[:2]
    if fam == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    elif fam == "gamma":
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    elif fam == "negbin":
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + np.exp(eta))).astype(float)
    else:
        y = rng.poisson(np.exp(eta)).astype(float)
    c = 10.0**log10c
    moved_x = c * x + shift
    # the information the shifted column still carries: (moved_x - shift) is exact (Sterbenz), so
    # the reference fit sees the same data up to one rounding of the division by c
    base = fit_glm(np.column_stack([np.ones(n), (moved_x - shift) / c]), y, fam, link)
    moved = fit_glm(np.column_stack([np.ones(n), moved_x]), y, fam, link)
    assert moved.converged
    assert_allclose(moved.loglik, base.loglik, rtol=1e-9)
    assert_allclose(moved.mu, base.mu, rtol=1e-7)
    assert_allclose(moved.params[1] * c, base.params[1], rtol=1e-7)
    assert_allclose(moved.bse[1] * c, base.bse[1], rtol=1e-7)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**16), n=st.integers(30, 200))
def test_deviance_is_twice_the_loglik_gap_to_the_saturated_model(seed, n):
    """Poisson: D = 2 (l_sat - l), with l_sat = sum(y log y - y - log y!) computed independently."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rng.poisson(np.exp(0.5 + 0.4 * x)).astype(float)
    if not y.any():
        return
    res = fit_glm(np.column_stack([np.ones(n), x]), y, "poisson")
    l_sat = np.sum(stats.poisson.logpmf(y, y))
    assert_allclose(res.deviance, 2 * (l_sat - res.loglik), rtol=1e-9, atol=1e-9)

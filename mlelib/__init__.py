"""mlelib: the small, tested library behind the executable course on Maximum Likelihood Estimation.

The public API is flat: import what you need from ``mlelib``.
"""

from .chunked import ChunkedMLEResult
from .closed_form import bernoulli_mle, categorical_mle, exponential_mle, gaussian_mle, poisson_mle
from .delta import DeltaResult, delta_method
from .errors import DataError, NoFiniteMLEError, SeparationError
from .families import Binomial, Gamma, Gaussian, NegativeBinomial, Poisson
from .glm import GLMResult, LRTestResult, fit_glm, glm_lr_test
from .inference import (
    bernoulli_lr_interval,
    observed_information,
    poisson_lr_interval,
    poisson_score_interval,
    profile_likelihood_interval,
    profile_negloglik,
    wilson_interval,
)
from .information import (
    fisher_info_bernoulli,
    fisher_info_exponential,
    fisher_info_gaussian,
    fisher_info_gaussian_mean,
    fisher_info_gaussian_variance,
    fisher_info_poisson,
)
from .loglik import bernoulli_loglik, categorical_loglik, exponential_loglik, gaussian_loglik, poisson_loglik
from .numdiff import numerical_gradient, numerical_hessian
from .optimize import fit
from .plotting import COLORS, animation_html, use_course_style
from .regression import LinearRegressionResult, fit_linear, fit_logistic, fit_poisson, log1pexp, sigmoid
from .results import MLEResult
from .robust import BiasCorrection, bootstrap_bias, glm_sandwich_cov, jackknife_bias, sandwich_cov
from .simulation import mc_se_proportion, mc_standard_error, simulate_estimator
from .torch_nll import (
    bernoulli_nll_logits,
    categorical_nll,
    gaussian_nll,
    laplace_nll,
    logistic_nll,
    poisson_nll,
)

__all__ = [
    # closed-form estimators
    "gaussian_mle",
    "bernoulli_mle",
    "poisson_mle",
    "exponential_mle",
    "categorical_mle",
    # log-likelihoods
    "gaussian_loglik",
    "bernoulli_loglik",
    "poisson_loglik",
    "exponential_loglik",
    "categorical_loglik",
    # Fisher information (per observation)
    "fisher_info_bernoulli",
    "fisher_info_poisson",
    "fisher_info_exponential",
    "fisher_info_gaussian_mean",
    "fisher_info_gaussian_variance",
    "fisher_info_gaussian",
    # observed information and confidence intervals (mlelib.inference)
    "observed_information",
    "profile_negloglik",
    "profile_likelihood_interval",
    "wilson_interval",
    "poisson_score_interval",
    "bernoulli_lr_interval",
    "poisson_lr_interval",
    # functions of an estimate: the delta method (mlelib.delta)
    "delta_method",
    "DeltaResult",
    # generic fitter by numerical optimisation (mlelib.optimize)
    "fit",
    # numerical derivatives (mlelib.numdiff)
    "numerical_gradient",
    "numerical_hessian",
    # results
    "MLEResult",
    # regression models (mlelib.regression)
    "fit_linear",
    "fit_logistic",
    "fit_poisson",
    "LinearRegressionResult",
    "ChunkedMLEResult",
    "sigmoid",
    "log1pexp",
    # generalised linear models (mlelib.glm, mlelib.families)
    "fit_glm",
    "GLMResult",
    "glm_lr_test",
    "LRTestResult",
    "Binomial",
    "Poisson",
    "Gamma",
    "Gaussian",
    "NegativeBinomial",
    # torch-backed negative log-likelihoods (torch imported on first call)
    "bernoulli_nll_logits",
    "logistic_nll",
    "categorical_nll",
    "gaussian_nll",
    "laplace_nll",
    "poisson_nll",
    # robust covariance and bias corrections (mlelib.robust)
    "sandwich_cov",
    "glm_sandwich_cov",
    "jackknife_bias",
    "bootstrap_bias",
    "BiasCorrection",
    # sampling distributions by simulation (mlelib.simulation)
    "simulate_estimator",
    "mc_standard_error",
    "mc_se_proportion",
    # errors
    "DataError",
    "NoFiniteMLEError",
    "SeparationError",
    # plotting
    "use_course_style",
    "COLORS",
    "animation_html",
]

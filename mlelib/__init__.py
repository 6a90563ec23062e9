"""mlelib: the small, tested library behind the executable course on Maximum Likelihood Estimation.

The public API is flat: import what you need from ``mlelib``.
"""

from .closed_form import bernoulli_mle, exponential_mle, gaussian_mle, poisson_mle
from .errors import DataError, NoFiniteMLEError, SeparationError
from .information import (
    fisher_info_bernoulli,
    fisher_info_exponential,
    fisher_info_gaussian,
    fisher_info_gaussian_mean,
    fisher_info_gaussian_variance,
    fisher_info_poisson,
)
from .loglik import bernoulli_loglik, exponential_loglik, gaussian_loglik, poisson_loglik
from .plotting import COLORS, use_course_style
from .results import MLEResult

__all__ = [
    # closed-form estimators
    "gaussian_mle",
    "bernoulli_mle",
    "poisson_mle",
    "exponential_mle",
    # log-likelihoods
    "gaussian_loglik",
    "bernoulli_loglik",
    "poisson_loglik",
    "exponential_loglik",
    # Fisher information (per observation)
    "fisher_info_bernoulli",
    "fisher_info_poisson",
    "fisher_info_exponential",
    "fisher_info_gaussian_mean",
    "fisher_info_gaussian_variance",
    "fisher_info_gaussian",
    # results
    "MLEResult",
    # errors
    "DataError",
    "NoFiniteMLEError",
    "SeparationError",
    # plotting
    "use_course_style",
    "COLORS",
]

r"""Negative log-likelihoods written in torch, so that they can be minimised by autograd.

Every deep-learning loss in this module is a *negative log-likelihood* (NLL): the quantity
:math:`-\ell(\theta) = -\sum_i \log f(y_i; \theta_i)` that maximum likelihood minimises.
The functions return torch scalars (or per-observation tensors) that carry gradients, so a
model's parameters can be fitted with any torch optimiser, and they are computed in the
numerically stable form (log-sum-exp, never ``log(sigmoid(.))``).

Conventions, the same for every function:

- ``reduction="sum"`` (the default) is the full negative log-likelihood :math:`-\ell`;
  ``"mean"`` is :math:`-\ell/n`, the scale torch's own losses use by default; ``"none"``
  gives the per-observation terms :math:`-\log f(y_i;\theta_i)`.
- The constants of the density are included (``log(2*pi)``, ``log(y!)``, ...), so the
  values are log-likelihoods in the sense of :mod:`mlelib.loglik`, not just losses
  "up to a constant".
- All inputs are promoted to one floating dtype before any arithmetic: the dtype of the
  tensors if every array-valued input is a floating-point tensor of one dtype (so a float32
  network with float32 targets stays float32), otherwise ``torch.float64``. Python numbers
  (a fixed variance, a scale) adapt to that dtype and do not decide it. Integer and bool
  tensors and arrays, lists and numpy arrays are converted to float64 (never the other way:
  ``bernoulli_nll_logits(torch.tensor([0, 1]), [0.5, 1.0])`` uses the label 0.5, not 0).
  Complex input, strings and ``None`` are a :class:`~mlelib.DataError`. Autograd flows through
  the conversion.

torch is imported inside the functions, never when :mod:`mlelib` is imported.
"""

import numpy as np

from ._validate import to_float
from .errors import DataError

__all__ = [
    "bernoulli_nll_logits",
    "logistic_nll",
    "categorical_nll",
    "gaussian_nll",
    "laplace_nll",
    "poisson_nll",
]

_REDUCTIONS = ("sum", "mean", "none")


def _torch():
    import torch

    return torch


def _is_weak(value):
    """A Python or numpy scalar: it adapts to the dtype of the tensors (like torch's own promotion)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _common_dtype(values):
    torch = _torch()
    dtypes = set()
    for value in values:
        if _is_weak(value):
            continue
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            dtypes.add(value.dtype)
        else:
            return torch.float64
    return dtypes.pop() if len(dtypes) == 1 else torch.float64


def _tensor(value, name, dtype=None):
    """`value` as a finite floating tensor of `dtype` (default float64), or DataError. Autograd is kept."""
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise DataError(f"{name} must be real; got a complex tensor of dtype {value.dtype}")
        out = value.to(dtype)
    else:
        # a copy: torch warns on read-only arrays (e.g. MLEResult.params) and must not alias the input
        arr = to_float(value, name)
        out = torch.as_tensor(arr.copy(), dtype=dtype)
    bad = ~torch.isfinite(out.detach())
    if bool(bad.any()):
        first = out.detach()[bad].flatten()[0].item()
        raise DataError(f"{name} contains {int(bad.sum())} non-finite value(s) (NaN or inf), first {first}")
    return out


def _promote(*pairs):
    """Tensors of one common floating dtype (see the module notes) from ``(value, name)`` pairs."""
    dtype = _common_dtype([v for v, _ in pairs])
    return [_tensor(v, name, dtype) for v, name in pairs]


def _same_shape(a, b, name_a, name_b):
    if a.shape != b.shape:
        raise DataError(
            f"{name_a} and {name_b} must have the same shape (one entry per observation), "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )


def _nonempty(a, name):
    if a.numel() == 0:
        raise DataError(f"{name} is empty: a likelihood needs at least one observation")


def _check_support(y, ok, family, support):
    bad = ~ok
    if bool(bad.any()):
        first = y.detach()[bad].flatten()[0].item()
        raise DataError(
            f"{family} data must be {support}; y has {int(bad.sum())} value(s) outside the support, first {first:g}"
        )


def _positive(out, name, like):
    if out.ndim and out.shape != like.shape:
        raise DataError(f"{name} must be a scalar or have shape {tuple(like.shape)}, got {tuple(out.shape)}")
    bad = out.detach() <= 0
    if bool(bad.any()):
        raise DataError(f"{name} must be > 0; got {out.detach()[bad].flatten()[0].item():g}")
    return out


def _reduce(terms, reduction):
    if reduction == "sum":
        return terms.sum()
    if reduction == "mean":
        return terms.mean()
    return terms


def _check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def bernoulli_nll_logits(logits, y, reduction="sum"):
    r"""Bernoulli negative log-likelihood from logits, computed without forming probabilities.

    With :math:`p_i = \sigma(\eta_i) = 1/(1+e^{-\eta_i})` the per-observation term is

    .. math::
        -\log f(y_i; \eta_i) = -y_i\log\sigma(\eta_i) - (1-y_i)\log(1-\sigma(\eta_i))
        = \log(1 + e^{\eta_i}) - y_i\eta_i,

    evaluated as :math:`(\max(\eta_i, 0) - y_i\eta_i) + \operatorname{log1p}(e^{-|\eta_i|})`,
    which is exact and finite for every finite logit (a logit of 800 would overflow
    ``exp`` and make ``log(sigmoid(-800))`` equal ``-inf``). This is the binary
    cross-entropy of ``torch.nn.functional.binary_cross_entropy_with_logits``.

    Parameters
    ----------
    logits : array_like or torch.Tensor, shape (n,)
        Linear predictors :math:`\eta_i = \log\{p_i/(1-p_i)\}`, finite.
    y : array_like or torch.Tensor, shape (n,)
        Outcomes, each 0 or 1.
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"sum"`` returns :math:`-\ell`, ``"mean"`` returns :math:`-\ell/n`, ``"none"`` the terms.

    Returns
    -------
    torch.Tensor
        A scalar (or shape (n,) for ``"none"``), differentiable with respect to `logits`.

    Raises
    ------
    DataError
        If the inputs are empty, non-finite, of different shapes, or `y` is not 0/1.
    ValueError
        If `reduction` is not one of the three names.

    References
    ----------
    :cite:p:`bishop2006pattern` (section 4.3.2); :cite:p:`higham2002accuracy` on cancellation.

    Examples
    --------
    >>> round(bernoulli_nll_logits([0.0, 800.0], [1, 1]).item(), 6)
    0.693147
    >>> round(bernoulli_nll_logits([-800.0], [1]).item(), 6)
    800.0
    """
    torch = _torch()
    _check_reduction(reduction)
    eta, target = _promote((logits, "logits"), (y, "y"))
    _same_shape(eta, target, "logits", "y")
    _nonempty(eta, "logits")
    _check_support(target, (target == 0) | (target == 1), "Bernoulli", "0 or 1")
    # max(eta, 0) - y*eta is exact for y in {0, 1}; adding the log1p term last avoids the cancellation
    # (eta + tiny) - eta when y = 1 and eta is large, so every term has full relative accuracy.
    terms = (torch.clamp(eta, min=0) - target * eta) + torch.log1p(torch.exp(-torch.abs(eta)))
    return _reduce(terms, reduction)


def logistic_nll(X, y, w, reduction="sum"):
    r"""Negative log-likelihood of logistic regression, :math:`-\ell(w)` with logits :math:`Xw`.

    .. math::
        -\ell(w) = \sum_{i=1}^n \left[\log(1 + e^{x_i^\top w}) - y_i\, x_i^\top w\right]

    The same function :func:`mlelib.fit_logistic` maximises; here it is a torch expression,
    so ``w`` may be a tensor with ``requires_grad=True``.

    Parameters
    ----------
    X : array_like or torch.Tensor, shape (n, k)
        Design matrix (include a column of ones for an intercept).
    y : array_like or torch.Tensor, shape (n,)
        Outcomes, each 0 or 1.
    w : array_like or torch.Tensor, shape (k,)
        Coefficients.
    reduction : {"sum", "mean", "none"}, default "sum"

    Returns
    -------
    torch.Tensor
        See :func:`bernoulli_nll_logits`.

    Raises
    ------
    DataError
        If `X` is not 2-D, `w` does not have one entry per column of `X`, or as in
        :func:`bernoulli_nll_logits`.

    Examples
    --------
    >>> X = [[1.0, 0.0], [1.0, 2.0]]
    >>> round(logistic_nll(X, [0, 1], [0.0, 0.0]).item(), 6)
    1.386294
    """
    _check_reduction(reduction)
    Xt, wt, yt = _promote((X, "X"), (w, "w"), (y, "y"))
    if Xt.ndim != 2:
        raise DataError(f"X must be 2-D (n observations by k columns), got shape {tuple(Xt.shape)}")
    if wt.shape != (Xt.shape[1],):
        raise DataError(f"w must have shape ({Xt.shape[1]},) to match the columns of X, got {tuple(wt.shape)}")
    if yt.shape != (Xt.shape[0],):
        raise DataError(f"y must have shape ({Xt.shape[0]},), one outcome per row of X, got {tuple(yt.shape)}")
    return bernoulli_nll_logits(Xt @ wt, yt, reduction=reduction)


def categorical_nll(logits, y, reduction="sum"):
    r"""Categorical negative log-likelihood from logits (softmax cross-entropy).

    With class probabilities :math:`p_{ic} = e^{\eta_{ic}}/\sum_{c'} e^{\eta_{ic'}}` (the
    softmax), the term of observation *i* is :math:`-\log p_{i,y_i}` for a label
    :math:`y_i \in \{0,\dots,K-1\}`, and :math:`-\sum_c q_{ic}\log p_{ic}` for a row of
    target probabilities :math:`q_i` (a one-hot row gives back the label form). The log
    softmax is computed by log-sum-exp, :math:`\eta_{ic} - \log\sum_{c'}e^{\eta_{ic'}}`.

    Parameters
    ----------
    logits : array_like or torch.Tensor, shape (n, K)
        Unnormalised log-probabilities, finite.
    y : array_like or torch.Tensor, shape (n,) or (n, K)
        Integer labels in ``0..K-1``, or target probabilities (non-negative rows summing to 1).
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"mean"`` divides by *n*, as ``torch.nn.functional.cross_entropy`` does.

    Returns
    -------
    torch.Tensor

    Raises
    ------
    DataError
        For labels that are not integers in range, target rows that are not probability
        vectors, or shapes that do not match.
    ValueError
        If `reduction` is not one of the three names.

    References
    ----------
    :cite:p:`bishop2006pattern` (section 4.3.4).

    Examples
    --------
    >>> round(categorical_nll([[0.0, 0.0, 0.0]], [2]).item(), 6)
    1.098612
    >>> round(categorical_nll([[0.0, 0.0]], [[0.5, 0.5]]).item(), 6)
    0.693147
    """
    torch = _torch()
    _check_reduction(reduction)
    two_d = (y.ndim if isinstance(y, torch.Tensor) else np.ndim(y)) == 2
    if two_d:
        eta, q = _promote((logits, "logits"), (y, "y"))
    else:
        (eta,) = _promote((logits, "logits"))
    if eta.ndim != 2:
        raise DataError(f"logits must be 2-D (n observations by K classes), got shape {tuple(eta.shape)}")
    _nonempty(eta, "logits")
    n, n_classes = eta.shape
    log_p = torch.log_softmax(eta, dim=1)
    if two_d:
        if tuple(q.shape) == (n, 1) and n_classes != 1:
            raise DataError(
                f"y has shape ({n}, 1), a column; integer labels must have shape ({n},) (pass y.ravel()), "
                f"target probabilities shape ({n}, {n_classes}) like logits"
            )
        _same_shape(eta, q, "logits", "target probabilities y")
        _check_support(q, q >= 0, "Target probability", ">= 0")
        row_sums = q.detach().sum(dim=1)
        off = torch.abs(row_sums - 1) > 1e-8
        if bool(off.any()):
            i = int(torch.nonzero(off)[0, 0])
            raise DataError(f"target probabilities must sum to 1 in each row; row {i} sums to {row_sums[i].item():g}")
        terms = -(q * log_p).sum(dim=1)
    else:
        if isinstance(y, torch.Tensor) and not y.is_floating_point() and not y.is_complex():
            labels = y
        else:
            labels = _tensor(y, "y")
        if labels.shape != (n,):
            raise DataError(f"labels y must have shape ({n},), one per row of logits, got {tuple(labels.shape)}")
        whole = labels == torch.round(labels) if labels.is_floating_point() else torch.ones_like(labels, dtype=bool)
        _check_support(labels, whole & (labels >= 0) & (labels < n_classes), "Categorical", f"integers 0..{n_classes - 1}")
        idx = labels.to(torch.long)
        terms = -log_p.gather(1, idx[:, None])[:, 0]
    return _reduce(terms, reduction)


def gaussian_nll(mean, y, var, reduction="sum"):
    r"""Gaussian negative log-likelihood, with the variance as a parameter (fixed or learned).

    .. math::
        -\log f(y_i;\mu_i,\sigma_i^2) = \tfrac12\log(2\pi\sigma_i^2) + \frac{(y_i-\mu_i)^2}{2\sigma_i^2}

    For a fixed, constant :math:`\sigma^2` this is :math:`\text{MSE}\cdot n/(2\sigma^2)` plus
    a constant, so it has the same minimiser in the mean as the squared error; a learned
    (per-observation) variance makes it the full likelihood of heteroscedastic regression.
    Unlike ``torch.nn.GaussianNLLLoss``, the variance is not clamped: a non-positive
    variance is an error.

    Parameters
    ----------
    mean : array_like or torch.Tensor, shape (n,)
        Means :math:`\mu_i`.
    y : array_like or torch.Tensor, shape (n,)
        Observations.
    var : float, array_like or torch.Tensor, broadcastable to (n,)
        Variances :math:`\sigma_i^2 > 0`.
    reduction : {"sum", "mean", "none"}, default "sum"

    Returns
    -------
    torch.Tensor

    Raises
    ------
    DataError
        For empty or non-finite inputs, mismatched shapes, or a variance <= 0.
    ValueError
        If `reduction` is not one of the three names.

    References
    ----------
    :cite:p:`bishop2006pattern` (section 3.1.1).

    Examples
    --------
    >>> round(gaussian_nll([0.0], [0.0], 1.0).item(), 6)
    0.918939
    """
    torch = _torch()
    _check_reduction(reduction)
    mu, obs, s2 = _promote((mean, "mean"), (y, "y"), (var, "var"))
    _same_shape(mu, obs, "mean", "y")
    _nonempty(mu, "mean")
    s2 = _positive(s2, "var", mu)
    terms = 0.5 * (torch.log(2 * torch.pi * s2) + (obs - mu) ** 2 / s2)
    return _reduce(terms.expand(mu.shape), reduction)


def laplace_nll(loc, y, scale, reduction="sum"):
    r"""Laplace negative log-likelihood, the likelihood behind the absolute (L1) loss.

    .. math::
        -\log f(y_i; m_i, b) = \log(2b) + \frac{|y_i - m_i|}{b}

    For a fixed scale *b* this is :math:`\sum_i|y_i-m_i|/b` plus a constant, so it has the
    minimisers of the L1 loss (a median, for a constant location).

    Parameters
    ----------
    loc : array_like or torch.Tensor, shape (n,)
        Locations :math:`m_i`.
    y : array_like or torch.Tensor, shape (n,)
        Observations.
    scale : float, array_like or torch.Tensor, broadcastable to (n,)
        Scales :math:`b > 0`.
    reduction : {"sum", "mean", "none"}, default "sum"

    Returns
    -------
    torch.Tensor

    Raises
    ------
    DataError
        For empty or non-finite inputs, mismatched shapes, or a scale <= 0.
    ValueError
        If `reduction` is not one of the three names.

    Examples
    --------
    >>> round(laplace_nll([0.0], [1.0], 0.5).item(), 6)
    2.0
    """
    torch = _torch()
    _check_reduction(reduction)
    m, obs, b = _promote((loc, "loc"), (y, "y"), (scale, "scale"))
    _same_shape(m, obs, "loc", "y")
    _nonempty(m, "loc")
    b = _positive(b, "scale", m)
    terms = torch.log(2 * b) + torch.abs(obs - m) / b
    return _reduce(terms.expand(m.shape), reduction)


def poisson_nll(log_rate, y, reduction="sum"):
    r"""Poisson negative log-likelihood from log-rates, including the exact :math:`\log y!`.

    .. math::
        -\log f(y_i; \lambda_i) = \lambda_i - y_i\log\lambda_i + \log y_i!,
        \qquad \lambda_i = e^{\eta_i}

    ``torch.nn.PoissonNLLLoss(log_input=True)`` drops :math:`\log y_i!` (with
    ``full=False``) or replaces it by Stirling's approximation for :math:`y_i > 1`
    (with ``full=True``); neither changes the minimiser, only the value.

    Parameters
    ----------
    log_rate : array_like or torch.Tensor, shape (n,)
        Log-rates :math:`\eta_i = \log\lambda_i`, finite.
    y : array_like or torch.Tensor, shape (n,)
        Counts, non-negative integers.
    reduction : {"sum", "mean", "none"}, default "sum"

    Returns
    -------
    torch.Tensor

    Raises
    ------
    DataError
        For empty or non-finite inputs, mismatched shapes, or counts that are not
        non-negative integers.
    ValueError
        If `reduction` is not one of the three names.

    Examples
    --------
    >>> round(poisson_nll([0.0, 0.0], [0, 2]).item(), 6)
    2.693147
    """
    torch = _torch()
    _check_reduction(reduction)
    eta, obs = _promote((log_rate, "log_rate"), (y, "y"))
    _same_shape(eta, obs, "log_rate", "y")
    _nonempty(eta, "log_rate")
    _check_support(obs, (obs >= 0) & (obs == torch.floor(obs)), "Poisson", "non-negative integers")
    terms = torch.exp(eta) - obs * eta + torch.lgamma(obs + 1)
    return _reduce(terms, reduction)

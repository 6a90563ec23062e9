r"""Logistic and Poisson regression on data in chunks: map-reduce Newton on Dask arrays.

The log-likelihood, the score and the observed information of a regression model are sums over
observations,

.. math::

    \ell(\beta) = \sum_i \ell_i(x_i^\top\beta), \qquad
    \nabla\ell = \sum_{\text{chunks } c} X_c^\top r_c, \qquad
    -\nabla^2\ell = \sum_{\text{chunks } c} X_c^\top W_c X_c,

so one Newton iteration is one pass over the data: each chunk of rows is mapped to a scalar, a
k-vector and a k x k matrix, and these are added up. :func:`~mlelib.fit_logistic` and
:func:`~mlelib.fit_poisson` send a ``dask.array`` X or y here and return a
:class:`ChunkedMLEResult`, whose docstring lists what is the same as in memory and what differs.

Every pass is one ``dask.compute`` of a list of per-chunk tasks: module-level functions of one
chunk and a few k-vectors, so they pickle by reference and run unchanged on the threaded
scheduler, on a ``dask.distributed`` cluster, or on data that Dask reads from disk. The per-chunk
results, a few kilobytes each, are added up in chunk order on the client, so the sums do not depend
on which worker finished first.
"""

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .errors import DataError, NoFiniteMLEError, SeparationError
from .results import MLEResult

__all__ = ["ChunkedMLEResult"]

# The linear program that certifies (quasi-complete) separation runs on the gathered design up to
# this size; beyond it the reduction certificate (ChunkedMLEResult, Notes) is used.
_LP_MAX_BYTES = 64 * 2**20
# A margin counts as 0 (on the boundary) below this fraction of the largest |margin|: the
# tolerance of the in-memory linear-program certificate (regression._separation).
_BOUNDARY = 1e-7

_LOGISTIC, _POISSON = "logistic", "poisson"


def _is_dask(a):
    """Whether `a` is a Dask collection (checked without importing Dask for other inputs)."""
    return type(a).__module__.split(".")[0] == "dask" and hasattr(a, "__dask_graph__")


@dataclass(frozen=True, repr=False, eq=False)
class ChunkedMLEResult(MLEResult):
    r"""An :class:`~mlelib.results.MLEResult` from a fit on chunked (Dask) data.

    :func:`~mlelib.fit_logistic` and :func:`~mlelib.fit_poisson` return it when X or y is a
    ``dask.array``. ``negloglik(params)`` evaluates the negative log-likelihood in one pass.

    Attributes
    ----------
    passes : int
        How many times the data were read: the first pass (checks, :math:`X^\top X`, column
        ranges), the extra passes of the standardisation and the rank check when they are needed,
        and one pass per Newton trial point (each computes the log-likelihood, the score and the
        information at once). For logistic regression on a design that needs no
        standardisation it is ``1 + niter`` plus any step-halvings. The read of the subsample
        (``start_rows``) is not counted: it is a few chunks, not a pass.
    nchunks : int
        Number of chunks of rows.
    start_rows : int
        Rows of the subsample whose in-memory fit gave the starting values (0: the fit started as
        in memory, at :math:`\beta = 0` for logistic regression, at one IRLS step from
        :math:`\mu = (y + \bar y)/2` for Poisson regression). With at least 8 chunks the fit
        first reads about n/16 rows (at most :math:`2^{19}` and 128 MiB) from evenly spread
        chunks and fits them in memory; Newton on all the data then needs only the last,
        quadratic iterations (at n = 5e7, k = 20: two steps and the polishing step, instead of
        five). A subsample with no usable fit (separated, rank deficient, not converged) is
        skipped, and so is a start whose log-likelihood is below the one at 0.

    Notes
    -----
    The log-likelihood, the score and the information are sums over observations, so each Newton
    trial point costs one pass: every chunk of rows returns its share of all three (and its
    smallest logistic margin), the shares are added up. Compared with the in-memory fit:

    - **Estimates, standard errors, log-likelihood, convergence verdict**: the same Newton
      iteration, step-halving rule and scale-free test (half the squared Newton decrement <= `tol`,
      checked again at the estimate returned), on the same standardised design; only the starting
      values (see ``start_rows``) and the order of the additions differ, so the results agree to
      rounding (1e-10 is tested). The Poisson
      log-likelihood has the in-memory cancellation-free form too, minus half the deviance (via
      ``expm1``) plus the saturated log-likelihood (summed in the first pass), so counts of 1e12
      lose nothing; counts above :math:`2^{53}` are refused with the in-memory message.
    - **Standardisation**: the same exact map :math:`Z = XT` as in memory (power-of-two scales,
      centring through a constant column or an intercept implied by the columns, and
      :math:`R^{-1}` for an ill-conditioned design), decided from reductions: :math:`X^\top X`,
      the column ranges and sums come from the first pass; when needed, extra passes give the Gram
      matrix of the rescaled design, the R factor of :math:`[X, \mathbf 1]` (the least squares of
      an implied intercept), the second centring pass and the Gram matrix of the centred design
      (never the cancellation-prone :math:`X^\top X - n\bar x\bar x^\top`). The standardised
      design is never stored, each chunk is standardised as it is read.
    - **Rank**: the same verdict: the Cholesky factor of the reduced Gram matrix when it is clearly
      of full rank, otherwise the R factor of a tall-skinny QR (each chunk's R, stacked and factorised
      again), in one more pass.
    - **No finite MLE**: complete separation is certified as in memory, by a Newton iterate that
      classifies every row correctly (the minimum margin is a reduction of the same pass). The linear
      program that certifies quasi-complete separation, or a Poisson direction of recession, needs
      all rows at once: it runs, exactly as in memory, on the gathered standardised design when that
      takes at most 64 MiB. Above that, the directions the fit itself produces (the last iterate, the
      last Newton step, the weakest direction of the information matrix) are checked in one pass of
      reductions (minimum and maximum of the margins :math:`s_i x_i^\top b`, or of
      :math:`x_i^\top b` by sign of the count), with the linear program's boundary tolerance; one that
      passes is a certificate. If none passes, the fit warns and reports ``converged=False`` rather
      than return an estimate that may be running off to infinity.

    Memory: Dask holds a few chunks per worker thread, the client k x k matrices. Data on disk are
    read once per pass; ``X.persist()`` first keeps them in the cluster's memory if it can hold them.

    Examples
    --------
    >>> import dask.array as da
    >>> from mlelib import fit_logistic
    >>> x = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
    >>> X = da.from_array(np.column_stack([np.ones(8), x]), chunks=(3, 2))
    >>> res = fit_logistic(X, da.from_array(np.array([0, 0, 1, 0, 1, 0, 1, 1]), chunks=3))
    >>> res.params.round(3).tolist(), res.nchunks, res.passes == 1 + res.niter
    ([-2.673, 1.188], 3, True)
    """

    passes: int = 0
    nchunks: int = 0
    start_rows: int = 0

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "passes", int(self.passes))
        object.__setattr__(self, "nchunks", int(self.nchunks))
        object.__setattr__(self, "start_rows", int(self.start_rows))


# ----------------------------------------------------------------------------------------------
# input: Dask arrays chunked by rows


def _dtype_error(name, dtype):
    kind = dtype.kind
    if kind == "c":
        return DataError(
            f"{name} must be real, got a complex array (dtype {dtype}); the likelihood is defined for real "
            f"data only: pass {name}.real if the imaginary parts are meaningless"
        )
    if kind in "USaO":
        return DataError(
            f"{name} must be numeric, got dtype {dtype}; convert the column(s) to numbers first "
            "(e.g. dummies for categories)"
        )
    if kind in "mM":
        return DataError(
            f"{name} must be numeric, got dates/times (dtype {dtype}); convert them to numbers first "
            "(e.g. years or days since a reference date)"
        )
    return DataError(f"{name} must be an array of real numbers, got dtype {dtype}")


def _as_dask(a, name, rows=None):
    """`a` as a dask.array (NumPy input is wrapped with the row chunks `rows`)."""
    import dask.array as da

    if _is_dask(a) and not isinstance(a, da.Array):
        raise DataError(
            f"{name} is a {type(a).__name__}, not a dask.array: pass a Dask array chunked by rows, e.g. "
            f"{name}.to_dask_array(lengths=True) for a Dask DataFrame or Series"
        )
    if not isinstance(a, da.Array):
        arr = np.asarray(a)
        if arr.dtype.kind not in "biuf":
            raise _dtype_error(name, arr.dtype)
        chunks = (rows,) + arr.shape[1:] if rows is not None and arr.ndim >= 1 else "auto"
        if rows is not None and arr.ndim >= 1 and sum(rows) != arr.shape[0]:
            chunks = "auto"  # the length check below reports the mismatch
        a = da.from_array(arr, chunks=chunks)
    if a.dtype.kind not in "biuf":
        raise _dtype_error(name, a.dtype)
    if any(np.isnan(c) for c in a.chunks[0]) if a.ndim else False:
        raise DataError(
            f"{name} has chunks of unknown length (NaN in {name}.chunks); compute them first, e.g. "
            f"{name}.compute_chunk_sizes() or to_dask_array(lengths=True)"
        )
    return a


def _prepare(X, y, param_names):
    """Validate shapes and dtypes; return (X, y) as row-aligned Dask arrays, n, k and the names."""
    from .regression import _names_and_rows

    names_from_frame = None
    if hasattr(X, "columns") and not _is_dask(X):
        names_from_frame = tuple(str(c) for c in X.columns)
    if _is_dask(X):
        X = _as_dask(X, "X")
        y = _as_dask(y, "y", X.chunks[0] if X.ndim == 2 else None)
    else:
        y = _as_dask(y, "y")
        X = _as_dask(X, "X", y.chunks[0] if y.ndim == 1 else None)
    if X.ndim != 2:
        raise DataError(
            f"X must be a 2-D design matrix (n rows, k columns), got {X.ndim}-D with shape {X.shape}; "
            "for a single regressor pass x[:, None], and add a column of ones for an intercept"
        )
    if y.ndim != 1:
        raise DataError(f"y must be 1-D (one observation per entry), got shape {y.shape}")
    n, k = X.shape
    if n == 0 or k == 0:
        raise DataError(
            f"X is empty (shape {X.shape}): need at least one row and one column (n >= 1 rows, k >= 1 columns)"
        )
    if y.shape[0] != n:
        raise DataError(
            f"X has {n} rows but y has {y.shape[0]} entries (shapes {X.shape} and {y.shape}): need one "
            "response per row of X"
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # one chunk across the columns: a chunk is a block of whole rows
    if y.chunks[0] != X.chunks[0]:
        y = y.rechunk((X.chunks[0],))
    names = _names_and_rows(param_names, names_from_frame, n, k)
    return X, y, n, k, names


# ----------------------------------------------------------------------------------------------
# per-chunk functions (module level, so that they pickle by reference to any worker)


def _standardised(xb, tr):
    """The chunk of the standardised design Z = X T, in the in-memory order of operations.

    ``tr = (s0, p, value, m1, m2, s, A)``: ``z = x / s0``; column p (an implied intercept) set to
    ``value``; the offset columns centred in two passes (``z -= m1``, ``z -= m2``; 0 elsewhere);
    ``z /= s``; and for an ill-conditioned design ``z @ A`` (A = R^-1 sqrt(n)). None: Z = X.
    """
    xb = np.asarray(xb, dtype=float)
    if tr is None:
        return xb
    s0, p, value, m1, m2, s, A = tr
    zb = xb / s0
    if p is not None:
        zb[:, p] = value
    zb -= m1
    zb -= m2
    zb /= s
    return zb if A is None else zb @ A


def _transform(k, s0=None, p=None, value=1.0, m1=None, m2=None, s=None, A=None):
    one, zero = np.ones(k), np.zeros(k)
    return (
        one if s0 is None else s0,
        p,
        value,
        zero if m1 is None else m1,
        zero if m2 is None else m2,
        one if s is None else s,
        A,
    )


# Rows per block inside a chunk: a block of the design (8192 x k doubles, 1.3 MB at k = 20) stays in
# the CPU cache while it gives its linear predictor, score and information, so each chunk is read
# from memory once per pass instead of three times. The weighted block is written into one buffer
# per chunk: dask.distributed's workers run with MALLOC_TRIM_THRESHOLD_ set, which turns off glibc's
# adaptive mmap threshold, so a fresh 1.3 MB array per block would be a fresh mmap with its page
# faults every time (measured: 32 ms per chunk of 2**18 x 20 instead of 14).
_BLOCK = 8192


def _halving_reduce(ufunc, b, buf):
    """``ufunc.reduce(b, axis=0)`` by pairwise halving of the rows, in ``buf`` (at least half of b's rows).

    The same result as the reduction for an exact operation such as ``np.minimum`` (NaN
    propagates), but whole-block vector operations instead of NumPy's row-by-row loop over a
    C-ordered block: 3 times faster for 8192 x 20.
    """
    m = b
    while m.shape[0] > 1:
        h = m.shape[0] // 2
        odd = m[2 * h :]
        out = ufunc(m[:h], m[h : 2 * h], out=buf[:h])
        if odd.shape[0]:
            ufunc(out[:1], odd, out=out[:1])
        m = out
    return m[0].copy()


def _column_summaries(xb):
    """Column minima, maxima and sums and X'X of a chunk, block by block (each block read from memory once)."""
    k = xb.shape[1]
    colmin, colmax = np.full(k, np.inf), np.full(k, -np.inf)
    colsum, G = np.zeros(k), np.zeros((k, k))
    buf = np.empty((max(1, min(_BLOCK, xb.shape[0]) // 2), k))
    ones = np.ones(min(_BLOCK, xb.shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, xb.shape[0], _BLOCK):
            b = xb[start : start + _BLOCK]
            # NaN propagates through np.minimum / np.maximum: a non-finite entry shows here
            colmin = np.minimum(colmin, _halving_reduce(np.minimum, b, buf))
            colmax = np.maximum(colmax, _halving_reduce(np.maximum, b, buf))
            colsum += ones[: b.shape[0]] @ b
            G += b.T @ b
    return colmin, colmax, colsum, G


def _summary_chunk(xb, yb, start, family, beta=None):
    """First pass: validity counts, X'X, column ranges, y totals and X'(y - 1/2) (logistic score at 0).

    With ``beta`` (starting values on the original design), also the chunk's share of the
    log-likelihood, score and information there (``_newton_chunk``), which the fit uses when the
    design needs no standardisation. The column minima and maxima are NaN or infinite iff the chunk
    has a non-finite entry, so the elementwise finiteness test (and the search for the first bad
    entry) runs only then.
    """
    xb = np.asarray(xb, dtype=float)
    yb = np.asarray(yb, dtype=float)
    out = {"n": xb.shape[0], "badx": 0, "bady": 0, "badsupport": 0}
    colmin, colmax, colsum, G = _column_summaries(xb)
    if xb.shape[0] and not (np.all(np.isfinite(colmin)) and np.all(np.isfinite(colmax))):
        badx = ~np.isfinite(xb)
        r, c = np.nonzero(badx)
        out["badx"] = int(badx.sum())
        out["badx_first"] = (start + int(r[0]), int(c[0]), float(xb[r[0], c[0]]))
    if not np.all(np.isfinite(yb)):
        bady = ~np.isfinite(yb)
        i = int(np.flatnonzero(bady)[0])
        out["bady"] = int(bady.sum())
        out["bady_first"] = (start + i, float(yb[i]))
    if out["badx"] or out["bady"]:
        return out
    ok = (yb == 0) | (yb == 1) if family == _LOGISTIC else (yb >= 0) & (yb == np.floor(yb))
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        out["badsupport"] = int((~ok).sum())
        out["badsupport_first"] = (start + i, float(yb[i]))
        return out
    out["G"] = G
    out["colmin"], out["colmax"] = colmin, colmax
    out["absmax"] = np.maximum(np.abs(colmin), np.abs(colmax)) if xb.shape[0] else np.zeros(xb.shape[1])
    out["colsum"] = colsum
    out["ysum"] = float(yb.sum())
    out["ymin"], out["ymax"] = (float(yb.min()), float(yb.max())) if yb.size else (np.inf, -np.inf)
    # the log-likelihood at beta = 0 (for Poisson regression minus the saturated one, as _newton_chunk)
    if family == _LOGISTIC:
        out["ll0"] = -yb.size * np.log(2.0)
        out["g0"] = xb.T @ ((2.0 * yb - 1.0) * 0.5)
    else:
        from .regression import _MAX_COUNT, _poisson_saturated_loglik

        out["ll0"] = _kernel(_family(family), yb).objective(np.zeros(yb.size))
        # sum [y log y - y - log y!], without cancellation (as regression.fit_poisson); only for counts
        # float64 holds exactly (larger ones are refused after this pass)
        out["satconst"] = _poisson_saturated_loglik(yb) if out["ymax"] <= _MAX_COUNT else np.nan
    if beta is not None:
        out["start"] = _newton_chunk(xb, yb, None, beta, family)
    return out


def _gram_chunk(xb, tr):
    """Z'Z and the column sums of the standardised chunk."""
    zb = _standardised(xb, tr)
    return zb.T @ zb, zb.sum(axis=0)


def _colsum_chunk(xb, tr):
    """Column sums of the standardised chunk (the second centring pass)."""
    return _standardised(xb, tr).sum(axis=0)


def _ones_qr_chunk(xb, tr, norms, plain):
    """R factors of [Z[:, plain] / norms, 1] and [Z / norms, 1] (the implied-intercept least squares)."""
    zb = _standardised(xb, tr) / norms
    one = np.ones((zb.shape[0], 1))
    return (
        np.linalg.qr(np.hstack([zb[:, plain], one]), mode="r"),
        np.linalg.qr(np.hstack([zb, one]), mode="r"),
    )


def _qr_chunk(xb, tr):
    """R of the chunk of the standardised design (at most k rows)."""
    return np.linalg.qr(_standardised(xb, tr), mode="r")


def _poisson_start_chunk(xb, yb, tr, ybar):
    """The pieces of one IRLS step from mu0 = (y + ybar)/2 (regression._poisson_start)."""
    from .regression import _weighted_gram

    zb = _standardised(xb, tr)
    yb = np.asarray(yb, dtype=float)
    mu0 = (yb + ybar) / 2
    z = np.log(mu0) + (yb - mu0) / mu0
    return zb.T @ (mu0 * z), _weighted_gram(zb, mu0)


def _newton_chunk(xb, yb, tr, beta, family):
    """One chunk's share of the log-likelihood, score and information at beta (one read of the chunk).

    The same elementwise formulas as the in-memory fitters (regression.fit_logistic /
    fit_poisson), block by block. Also returns the smallest logistic margin s_i x_i'beta (complete
    separation).
    """
    zb = _standardised(xb, tr)
    yb = np.asarray(yb, dtype=float)
    k = zb.shape[1]
    ll, g, H, mmin = 0.0, np.zeros(k), np.zeros((k, k)), np.inf
    fam = _family(family)
    buf = np.empty((min(_BLOCK, zb.shape[0]), k))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, zb.shape[0], _BLOCK):
            Zb, yy = zb[start : start + _BLOCK], yb[start : start + _BLOCK]
            eta = Zb @ beta
            kernel = _kernel(fam, yy)  # the in-memory fitters' elementwise formulas (mlelib.glm)
            ll += kernel.objective(eta)
            if not np.isfinite(ll):
                break
            r, w = kernel.working(eta)
            if family == _LOGISTIC:
                mmin = min(mmin, float((kernel.s * eta).min()))
            g += Zb.T @ r
            root = np.multiply(Zb, np.sqrt(w)[:, None], out=buf[: Zb.shape[0]])
            H += root.T @ root
    if family != _LOGISTIC:
        mmin = np.nan
    if not np.isfinite(ll):  # a rejected trial point: no information needed
        return -np.inf, None, None, mmin
    return ll, g, H, mmin


def _family(family):
    from .families import Binomial, Poisson

    return Binomial() if family == _LOGISTIC else Poisson()


def _kernel(fam, y):
    from .glm import _kernel as kernel

    return kernel(fam, y, None, "newton")


def _directions_chunk(xb, yb, tr, D, family):
    """Reductions of the margins along the columns of D (candidate directions of unbounded increase).

    Logistic: margins s_i z_i'b; returns their minimum and max |.|. Poisson: z_i'b; returns the max
    |.| over all rows, over rows with y > 0, and the max over rows with y = 0.
    """
    zb = _standardised(xb, tr)
    yb = np.asarray(yb, dtype=float)
    M = zb @ D
    absmax = np.abs(M).max(axis=0)
    if family == _LOGISTIC:
        M = (2.0 * yb - 1.0)[:, None] * M
        return M.min(axis=0), absmax, None
    pos = yb > 0
    ninf = np.full(D.shape[1], -np.inf)
    pos_abs = np.abs(M[pos]).max(axis=0) if pos.any() else np.zeros(D.shape[1])
    zero_max = M[~pos].max(axis=0) if (~pos).any() else ninf
    return zero_max, absmax, pos_abs


def _count_chunk(xb, yb, tr, b, thresh, family):
    """Rows on the boundary |margin| <= thresh (logistic) / zero counts with z_i'b < -thresh (Poisson)."""
    zb = _standardised(xb, tr)
    yb = np.asarray(yb, dtype=float)
    v = zb @ b
    if family == _LOGISTIC:
        return int(np.sum(np.abs(v) <= thresh))
    return int(np.sum((yb == 0) & (v < -thresh)))


def _negloglik_chunk(xb, yb, shift, beta, family):
    xb = np.asarray(xb, dtype=float)
    yb = np.asarray(yb, dtype=float)
    eta = (xb - shift) @ beta + float(shift @ beta) if shift.any() else xb @ beta
    with np.errstate(over="ignore", invalid="ignore"):
        return -_kernel(_family(family), yb).objective(eta)


# ----------------------------------------------------------------------------------------------
# passes over the data


def _apply_block(xb, yb, starts, chunk_func, with_y, with_start, chunk_args):
    """One chunk's task: ``chunk_func(x_chunk[, y_chunk][, first row], *chunk_args)``, boxed in a 1-element object array."""
    head = (xb, yb) if with_y else (xb,)
    if with_start:
        head = head + (int(starts[0]),)
    out = np.empty(1, dtype=object)
    out[0] = chunk_func(*head, *chunk_args)
    return out


class _Data:
    """Row-aligned Dask arrays X, y; each pass maps a chunk function and returns the list of results.

    A pass is one ``dask.array.blockwise`` over the row chunks of X and y: Dask fuses the reading
    of a chunk (e.g. from a zarr store) with the function applied to it into one task, so each chunk
    is read, used and released by the same worker, never sent between workers.
    """

    def __init__(self, X, y):
        import dask.array as da

        self.X, self.y = X, y
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(int)
        self.starts = da.from_array(starts, chunks=1)
        self.passes = 0

    @property
    def nchunks(self):
        return len(self.X.chunks[0])

    def map(self, func, *args, with_y=True, with_start=False):
        import dask.array as da

        out = da.blockwise(
            _apply_block,
            "i",
            self.X,
            "ij",
            self.y,
            "i",
            self.starts,
            "i",
            chunk_func=func,
            with_y=with_y,
            with_start=with_start,
            chunk_args=args,
            concatenate=True,
            align_arrays=False,  # the block index pairs the chunks (starts has one entry per chunk)
            adjust_chunks={"i": 1},
            dtype=object,
            meta=np.empty(0, dtype=object),
        )
        self.passes += 1
        return list(out.compute())

    def nbytes_float64(self):
        return int(self.X.shape[0]) * int(self.X.shape[1]) * 8


def _sym(A):
    return (A + A.T) / 2


def _summarise(data, family, n, k, beta=None):
    """The first pass; raise DataError for non-finite entries or responses outside the support.

    With starting values ``beta``, ``out["start"]`` is the state (ll, g, H, min margin) there on the
    original design, as ``_ChunkedModel`` takes it.
    """
    parts = data.map(_summary_chunk, family, beta, with_start=True)
    for key, name in (("badx", "X"), ("bady", "y")):
        total = sum(p[key] for p in parts)
        if total:
            first = next(p[key + "_first"] for p in parts if p[key])
            where = f"at row {first[0]}, column {first[1]}" if name == "X" else f"at position {first[0]}"
            raise DataError(
                f"{name} contains {total} non-finite value(s) (NaN or inf), first {first[-1]} {where}; "
                "every entry must be a finite real number"
            )
    bad = sum(p["badsupport"] for p in parts)
    if bad:
        pos, val = next(p["badsupport_first"] for p in parts if p["badsupport"])
        family_name, support = (
            ("Logistic-regression", "labels 0 or 1 (booleans are accepted)")
            if family == _LOGISTIC
            else ("Poisson", "non-negative integer counts (2.0 is fine, 2.5 is not)")
        )
        raise DataError(
            f"{family_name} data must be {support}; y has {bad} value(s) outside the support, "
            f"first {val:g} at position {pos}"
        )
    out = {"n": n}
    with np.errstate(over="ignore", invalid="ignore"):
        out["G"] = _sym(sum(p["G"] for p in parts))
    out["colmin"] = np.min([p["colmin"] for p in parts], axis=0)
    out["colmax"] = np.max([p["colmax"] for p in parts], axis=0)
    out["absmax"] = np.max([p["absmax"] for p in parts], axis=0)
    out["colsum"] = sum(p["colsum"] for p in parts)
    out["ysum"] = float(sum(p["ysum"] for p in parts))
    out["ymin"] = min(p["ymin"] for p in parts)
    out["ymax"] = max(p["ymax"] for p in parts)
    out["ll0"] = float(sum(p["ll0"] for p in parts))
    if family == _LOGISTIC:
        out["g0"] = sum(p["g0"] for p in parts)
    else:
        from .regression import _check_max_count

        _check_max_count(out["ymax"])
        out["satconst"] = float(sum(p["satconst"] for p in parts))
    if beta is not None:
        out["start"] = _reduce_state([p["start"] for p in parts])
    return out


def _gram_pass(data, tr):
    parts = data.map(_gram_chunk, tr, with_y=False)
    return _sym(sum(p[0] for p in parts)), sum(p[1] for p in parts)


def _implied_constant_from_r(R, norms, n):
    """regression._implied_constant from the R factor of [Z0 / norms, 1] (a tall-skinny QR).

    The least-squares coefficients of 1 on the unit columns solve R11 c = r12 (gelsy, as in
    memory); the residual norm is |R (c, -1)|, exactly as |Z0 c - 1| since Q is orthonormal.
    """
    from .regression import _EPS

    k = norms.size
    R = np.vstack([R, np.zeros((max(0, k + 1 - R.shape[0]), k + 1))])[: k + 1]
    try:
        cn = linalg.lstsq(R[:k, :k], R[:k, k], lapack_driver="gelsy", check_finite=False)[0]
    except (linalg.LinAlgError, ValueError):  # pragma: no cover - LAPACK failure on finite input
        return None
    r = float(np.linalg.norm(R @ np.append(cn, -1.0)))
    c = cn / norms
    bound = 8 * (k + 1) * _EPS * (float(np.abs(c) @ norms) + np.sqrt(n))
    return (c, r) if r <= bound else None


def _standardise(data, summ, k):
    """regression._standardise, decided from reductions. Returns (tr, std, G) with G = Z'Z.

    The first pass gives X'X, the column ranges (constant columns) and sums. Extra passes, only when
    needed: the Gram matrix and sums of X / s0 (extreme scales), the R factor of [Z0, 1] (an
    intercept implied by the columns, when a column has a large offset and there is no constant
    column), the second centring pass, and the Gram matrix of the centred design.
    """
    from .regression import _CENTRE_RATIO, _EPS, _pow2, _safe_gram, _Standardisation

    n = summ["n"]
    G = summ["G"]
    colsum = summ["colsum"]
    absmax = summ["absmax"]
    s0 = np.ones(k)
    transformed = False
    if not _safe_gram(G, n, lambda j: absmax[j : j + 1]):
        with np.errstate(over="ignore"):
            s0 = _pow2(absmax)
        transformed = True
        G, colsum = _gram_pass(data, _transform(k, s0=s0))
    rms0 = np.sqrt(np.diag(G) / n)
    with np.errstate(over="ignore"):
        rms = rms0 * s0
    T = np.eye(k)
    shift = np.zeros(k)
    data_tol = 0.0
    ones = None
    constants = [int(j) for j in np.flatnonzero((summ["colmin"] == summ["colmax"]) & (summ["colmin"] != 0))]
    const = constants[0] if constants else None
    if const is not None:
        value = float(summ["colmin"][const] / s0[const])
        mean = G[const] / (value * n)
    else:
        mean = colsum / n
    var = np.diag(G) / n - mean**2
    offset = mean**2 > _CENTRE_RATIO**2 * var
    offset[constants] = False
    p = None
    if const is not None:
        c, p, resid = np.eye(k)[const] / value, const, 0.0
    elif offset.any() and k > 1:
        plain = np.flatnonzero(~offset)
        norms = np.sqrt(np.diag(G))
        norms[norms == 0] = 1.0
        parts = data.map(_ones_qr_chunk, _transform(k, s0=s0), norms, plain, with_y=False)
        found = None
        if plain.size:
            R = np.linalg.qr(np.vstack([q[0] for q in parts]), mode="r")
            found = _implied_constant_from_r(R, norms[plain], n)
            if found is not None:
                c_plain, resid = found
                c = np.zeros(k)
                c[plain] = c_plain
                found = (c, resid)
        if found is None:
            R = np.linalg.qr(np.vstack([q[1] for q in parts]), mode="r")
            found = _implied_constant_from_r(R, norms, n)
        if found is None:
            offset[:] = False
        else:
            c, resid = found
            p = int(np.argmax(np.abs(c) * rms0))
            value = 1.0
    else:
        offset[:] = False
    tr_p = None  # the column replaced by the constant vector in Z (an implied intercept only)
    if offset.any():
        offset[p] = False
        S = np.flatnonzero(offset)
        transformed = True
        if const is None:
            tr_p = p
            T[:, p] = c * value
        m1 = np.zeros(k)
        m1[S] = colsum[S] / n
        for j in S:
            T[:, j] -= m1[j] * c
        sums = sum(data.map(_colsum_chunk, _transform(k, s0=s0, p=tr_p, value=value, m1=m1), with_y=False))
        m2 = np.zeros(k)
        m2[S] = sums[S] / n
        for j in S:
            T[:, j] -= m2[j] * c
        shift = m1 * s0
        natural = rms0 * np.sqrt(n)
        G, _ = _gram_pass(data, _transform(k, s0=s0, p=tr_p, value=value, m1=m1, m2=m2))
        centred = np.sqrt(np.diag(G))
        rel = max(_EPS, resid / np.sqrt(n))
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(centred > 0, rel * natural / centred, 0.0)[S]
        data_tol = float(4 * np.sqrt(np.sum(delta**2) + (resid / np.sqrt(n)) ** 2))
        ones = np.zeros(k)
        ones[p] = 1.0 / value
    else:
        m1 = m2 = None
        if const is not None:
            ones = np.eye(k)[const] / value
    tr = None
    if transformed:
        s = _pow2(np.sqrt(np.diag(G) / n))
        G = G / np.outer(s, s)
        T = T / s
        if ones is not None:
            ones = ones * s
        tr = _transform(k, s0=s0, p=tr_p, value=value if tr_p is not None else 1.0, m1=m1, m2=m2, s=s)
    T = T / s0[:, None]
    std = _Standardisation(T, shift, const, ones, rms, data_tol, transformed)
    return tr, std, G


def _full_rank_factor(data, tr, names, G, n, k, std):
    """regression._full_rank_factor(..., orthogonalise=True) on reduced quantities.

    The Cholesky factor of G when it is clearly well conditioned, otherwise the R factor of a
    tall-skinny QR pass and the rank rule; for a full-rank but ill-conditioned design (condition
    number of the column-normalised Z above 1e4) the chunks are further mapped by R^-1 sqrt(n), as
    in memory, and one more pass forms their Gram matrix. Returns (R, G, tr, std).
    """
    from .regression import _EPS, _GRAM_LAMBDA_MIN, _check_rank, _Standardisation

    d = np.sqrt(np.diag(G))
    floor = max(2 * k * n * _EPS, (2 * std.data_tol) ** 2, _GRAM_LAMBDA_MIN)
    if np.all(d > 0) and np.all(np.isfinite(G)):
        lam_min = np.linalg.eigvalsh(G / np.outer(d, d))[0]
        if lam_min > floor:
            try:
                return linalg.cholesky(G), G, tr, std
            except linalg.LinAlgError:
                pass
    Rs = data.map(_qr_chunk, tr, with_y=False)
    R = np.linalg.qr(np.vstack(Rs), mode="r")
    rcond = _check_rank(R, n, names, std.data_tol, std)
    if rcond >= np.sqrt(_GRAM_LAMBDA_MIN):
        return R, G, tr, std
    Rinv = linalg.solve_triangular(R, np.eye(k)) * np.sqrt(n)
    ones = None if std.ones is None else linalg.solve_triangular(Rinv, std.ones)
    std = _Standardisation(std.T @ Rinv, std.shift, std.const, ones, std.rms, std.data_tol, True)
    tr = _transform(k, A=Rinv) if tr is None else tr[:-1] + (Rinv,)
    G, _ = _gram_pass(data, tr)
    return linalg.cholesky(G), G, tr, std


def _reduce_state(parts):
    """(ll, g, H, min margin) from the chunks' ``_newton_chunk`` shares; (-inf, None, None, nan) if not finite."""
    ll = float(sum(p[0] for p in parts))
    if not np.isfinite(ll) or any(p[1] is None for p in parts):
        return -np.inf, None, None, np.nan
    return ll, sum(p[1] for p in parts), _sym(sum(p[2] for p in parts)), min(p[3] for p in parts)


class _ChunkedModel:
    """The log-likelihood on chunked data for :func:`mlelib.regression._newton` (the one Newton loop).

    Each point is evaluated in one pass over the data (log-likelihood, score and information
    together: a pass costs far more than the k x k algebra). ``state`` = (ll, g, H, min margin) at
    ``beta0``, if already known.
    """

    def __init__(self, data, tr, family, beta0, state, logistic):
        self.data, self.tr, self.family, self.logistic = data, tr, family, logistic
        self._known = (beta0, state)
        self._current = None

    def value(self, beta):
        known_beta, state = self._known
        if state is not None and beta is known_beta:
            ll, g, H, mmin = state
            self._known = (None, None)
        else:
            ll, g, H, mmin = _reduce_state(self.data.map(_newton_chunk, self.tr, beta, self.family))
        self._current = (g, H, mmin)
        return ll if np.isfinite(ll) else -np.inf

    def derivatives(self):
        return self._current[0], self._current[1]

    def certificate(self):
        return self.logistic and self._current[2] > 0

    def floor(self):
        return 0.0


def _newton(data, tr, family, beta, state, tol, maxiter, logistic):
    """regression._newton (the one Newton loop) with each trial point evaluated in one pass."""
    from .regression import _newton as newton

    model = _ChunkedModel(data, tr, family, beta, state, logistic)
    beta, ll, H, niter, converged, reason, dec, last_step = newton(model, beta, tol, maxiter)
    return beta, ll, H, niter, converged, reason, dec, last_step


# ----------------------------------------------------------------------------------------------
# starting values from a subsample

# The subsample of the starting values: about 1/16 of the rows, at most 2**19 (a start within its
# sampling error leaves Newton on the full data two quadratic steps from the tolerance: measured at
# n = 5e7, k = 20, the log-likelihood is about 1e-3 below its maximum after the first step and
# within rounding of it after the second), from at most a quarter of the chunks, and only when
# there are at least 8 chunks. It is read into the client, so at most 128 MiB of it is aimed for (fewer rows when k is
# large), and none is used when the chunks are too coarse to stay within twice that. It is fitted
# to tol _START_TOL, well within its own sampling error.
_START_FRACTION = 16
_START_MAX_ROWS = 2**19
_START_MAX_BYTES = 128 * 2**20
_START_TOL = 1e-2
_START_MIN_CHUNKS = 8


def _subsample_chunks(rows, k):
    """Indices of evenly spread chunks holding about n/16 rows (at most 2**19 and 128 MiB), or None."""
    rows = np.asarray(rows, dtype=int)
    nch, n = rows.size, int(rows.sum())
    if nch < _START_MIN_CHUNKS:
        return None
    target = min(_START_MAX_ROWS, n // _START_FRACTION, _START_MAX_BYTES // (8 * k))
    for c in range(1, nch // 4 + 1):
        idx = np.unique(((np.arange(c) + 0.5) * nch / c).astype(int))
        if rows[idx].sum() >= target:
            return idx if rows[idx].sum() * 8 * k <= 2 * _START_MAX_BYTES else None
    return None


def _subsample_start(data, family, n, k):
    """Starting values: the in-memory fit on a few evenly spread chunks (β on X), and its rows.

    Newton's iterations from β = 0 are spent getting near the estimate, each a pass over the data;
    an estimate from n/16 (at most 2**19) rows is already within its sampling error of it and
    leaves the full-data Newton about two quadratic steps from the tolerance. The subsample costs a
    read of its chunks, not a pass. Returns (None, 0) when there are too few chunks, or when the
    subsample has no usable fit (separated or rank-deficient there, invalid data, not converged):
    the fit then starts as in memory, and validation errors come from the full first pass.
    """
    import warnings

    import dask
    import dask.array as da

    from .regression import fit_logistic, fit_poisson

    idx = _subsample_chunks(data.X.chunks[0], k)
    if idx is None:
        return None, 0
    Xs, ys = dask.compute(
        da.concatenate([data.X.blocks[int(i)] for i in idx]), da.concatenate([data.y.blocks[int(i)] for i in idx])
    )
    fitter = fit_logistic if family == _LOGISTIC else fit_poisson
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = fitter(np.asarray(Xs), np.asarray(ys), tol=_START_TOL)
        except ValueError:  # DataError, SeparationError, NoFiniteMLEError, LinAlgError
            return None, 0
    if not res.converged or not np.all(np.isfinite(res.params)):
        return None, 0
    return np.asarray(res.params, dtype=float), int(ys.shape[0])


def _start_state(data, tr, std, family, summ, start):
    """(gamma0, state) at the subsample start on the fit's design Z, or (None, None) to start as in memory.

    Without standardisation the first pass already evaluated it; otherwise one pass on Z at
    gamma0 = T^-1 β. Kept only when its log-likelihood is finite and not below the one at 0
    (from the first pass): a start that far off (a subsample unlike the rest of the data) could
    cost more Newton iterations than it saves, and for Poisson regression from a large linear
    predictor each iteration gains only about one unit of it.
    """
    if start is None:
        return None, None
    if tr is None:
        gamma, state = start, summ["start"]
    else:
        try:
            gamma = linalg.solve(std.T, start)
        except (linalg.LinAlgError, ValueError):
            return None, None
        if not np.all(np.isfinite(gamma)):
            return None, None
        state = _evaluate_state(data, tr, gamma, family)
    if not np.isfinite(state[0]) or state[0] < summ["ll0"]:
        return None, None
    return gamma, state


# ----------------------------------------------------------------------------------------------
# no finite MLE: the linear program on gathered data, or a certificate from reductions


def _gather(data, tr):
    """The standardised design and y in memory (only below _LP_MAX_BYTES)."""
    import dask

    X, y = dask.compute(data.X, data.y)
    data.passes += 1
    return _standardised(X, tr), np.asarray(y, dtype=float)


def _weakest_direction(R, H):
    """b with R b = v, v the eigenvector of Q'WQ (= R^-T H R^-1) with the smallest eigenvalue."""
    try:
        A = linalg.solve_triangular(R, H, trans="T")
        M = linalg.solve_triangular(R, A.T, trans="T")
        _, V = np.linalg.eigh(_sym(M))
        return linalg.solve_triangular(R, V[:, 0])
    except (linalg.LinAlgError, ValueError):
        return None


def _certified_direction(data, tr, family, candidates):
    """The first candidate direction b (either sign) that certifies no finite MLE, or None.

    Logistic: every margin s_i z_i'b >= -1e-7 max|z_i'b| (b separates, up to the boundary tolerance).
    Poisson: |z_i'b| <= 1e-7 max|z'b| where y_i > 0, z_i'b <= 1e-7 max|z'b| where y_i = 0, and
    some zero count strictly below -1e-7 max|z'b|: its fitted mean is driven to 0.
    """
    cols = []
    for b in candidates:
        if b is not None and np.all(np.isfinite(b)) and np.any(b != 0):
            b = b / np.abs(b).max()
            cols += [b, -b]
    if not cols:
        return None
    D = np.column_stack(cols)
    parts = data.map(_directions_chunk, tr, D, family)
    absmax = np.max([p[1] for p in parts], axis=0)
    if family == _LOGISTIC:
        mmin = np.min([p[0] for p in parts], axis=0)
        ok = (absmax > 0) & (mmin >= -_BOUNDARY * absmax)
    else:
        zero_max = np.max([p[0] for p in parts], axis=0)
        pos_abs = np.max([p[2] for p in parts], axis=0)
        ok = (absmax > 0) & (pos_abs <= _BOUNDARY * absmax) & (zero_max <= _BOUNDARY * absmax)
        # some zero count is driven down (else every |z'b| would be below the tolerance)
    hits = np.flatnonzero(ok)
    if not hits.size:
        return None
    j = int(hits[0])
    b, thresh = D[:, j], _BOUNDARY * float(absmax[j])
    count = sum(data.map(_count_chunk, tr, b, thresh, family))
    return b, count


def _no_finite_mle(data, tr, family, std, names, n, candidates):
    """Raise SeparationError / NoFiniteMLEError if a certificate is found; return whether one was sought in full.

    Returns True if the in-memory linear program ran (the verdict is then the in-memory one), False
    if only the reduction certificate was tried and found nothing.
    """
    from .regression import _poisson_recession, _raise_no_poisson_mle, _raise_separation, _separation

    y_like = np.broadcast_to(0.0, (n,))  # _raise_separation needs only y.size
    if data.nbytes_float64() <= _LP_MAX_BYTES:
        Z, y = _gather(data, tr)
        if family == _LOGISTIC:
            found = _separation(Z, y)
            if found is not None:
                _raise_separation(found, y, names, std)
        elif _poisson_recession(Z, y) is not None:
            _raise_no_poisson_mle(Z, y, names, std)
        return True
    found = _certified_direction(data, tr, family, candidates)
    if found is not None:
        b, count = found
        if family == _LOGISTIC:
            kind = "quasi-complete" if count else "complete"
            _raise_separation((b, kind, count), y_like, names, std)
        from .regression import _format_direction

        b = std.params(b)
        raise NoFiniteMLEError(
            f"no finite MLE: along the direction b = {_format_direction(b, names, std.rms)} every observation "
            f"with y > 0 keeps its fitted mean (x_i'b = 0) while the fitted means of {count} observation(s) with "
            "y = 0 shrink towards 0, so the log-likelihood increases forever and the coefficients would run off "
            "to +/-inf. Typical cause: a regressor (e.g. a dummy) that is non-zero only where the count is 0; "
            "drop it or merge its categories"
        )
    return False


# ----------------------------------------------------------------------------------------------
# the fitters


def _fit(X, y, family, tol, maxiter, param_names):
    from .regression import (
        _WEAK_DIRECTION_RATIO,
        _check_options,
        _degenerate_labels_message,
        _inverse_information,
        _raise_separation,
        _warn_not_converged,
        _weak_direction_ratio,
        _zero_counts_message,
    )

    tol, maxiter = _check_options(tol, maxiter)
    X, y, n, k, names = _prepare(X, y, param_names)
    data = _Data(X, y)
    logistic = family == _LOGISTIC
    start, start_rows = _subsample_start(data, family, n, k)
    summ = _summarise(data, family, n, k, start)
    tr, std, G = _standardise(data, summ, k)
    R, G, tr, std = _full_rank_factor(data, tr, names, G, n, k, std)
    const = std.const
    func = "fit_logistic" if logistic else "fit_poisson"

    if logistic and summ["ymin"] == summ["ymax"]:
        label = int(summ["ymin"])
        if const is not None:
            raise SeparationError(_degenerate_labels_message(n, label, names[const]))
        _no_finite_mle(data, tr, family, std, names, n, [])
    if not logistic and summ["ymax"] == 0:
        if const is not None:
            raise NoFiniteMLEError(_zero_counts_message(n, names[const]))
        _no_finite_mle(data, tr, family, std, names, n, [])

    beta0, state = _start_state(data, tr, std, family, summ, start)
    if state is None:
        beta0, state = _in_memory_start(data, tr, family, summ, G, n, k)
        start_rows = 0
    beta, ll, H, niter, converged, reason, dec, last_step = _newton(
        data, tr, family, beta0, state, tol, maxiter, logistic
    )
    if not logistic:
        ll += summ["satconst"]
    if reason == "certificate":
        _raise_separation((beta, "complete", 0), np.broadcast_to(0.0, (n,)), names, std)
    # the typical weight: 1/4 (logistic), the mean count (Poisson; in memory the mean fitted mean when
    # every count is 0, here the mean weight with rows weighted by |z_i|^2, as w itself is not kept)
    reference = 0.25 if logistic else (summ["ysum"] / n or float(np.trace(H) / np.trace(G)))
    if not converged or _weak_direction_ratio(R, H, reference) < _WEAK_DIRECTION_RATIO:
        complete = _no_finite_mle(data, tr, family, std, names, n, [beta, last_step, _weakest_direction(R, H)])
        if not complete and converged:
            converged = False
            reason = (
                "the information matrix is nearly singular along a direction of the data (the symptom of "
                "separation or of fitted means driven to 0), and no certificate settled whether a finite MLE "
                f"exists: the linear program needs all rows in memory ({data.nbytes_float64()} bytes > "
                f"{_LP_MAX_BYTES}) and no direction produced by the fit passed the reduction test"
            )
    if not converged:
        _warn_not_converged(func, reason, dec, tol)
    shift = std.shift
    Xd, yd = data.X, data.y
    satconst = summ.get("satconst", 0.0)

    def negloglik(params):
        d = _Data(Xd, yd)
        b = np.asarray(params, dtype=float)
        return float(sum(d.map(_negloglik_chunk, shift, b, family))) - satconst

    return ChunkedMLEResult(
        params=std.params(beta),
        cov=std.cov(_inverse_information(H), names),
        loglik=ll,
        nobs=n,
        converged=converged,
        param_names=names,
        model="logistic regression" if logistic else "Poisson regression (log link)",
        niter=niter,
        negloglik=negloglik,
        passes=data.passes,
        nchunks=data.nchunks,
        start_rows=start_rows,
    )


def _in_memory_start(data, tr, family, summ, G, n, k):
    """(beta0, state) where the in-memory fitters start: 0 for logistic regression, an IRLS step for Poisson."""
    beta0 = np.zeros(k)
    if family == _LOGISTIC:
        if tr is None:  # the first pass already holds the log-likelihood, score and information at 0
            return beta0, (summ["ll0"], summ["g0"], G / 4, np.nan)
        parts = data.map(_newton_chunk, tr, beta0, family)
        # as in memory: the information at 0 is Z'Z / 4
        return beta0, (float(sum(p[0] for p in parts)), sum(p[1] for p in parts), G / 4, np.nan)
    from .regression import _newton_step

    ybar = summ["ysum"] / n
    if ybar > 0:
        parts = data.map(_poisson_start_chunk, tr, ybar)
        beta0, _ = _newton_step(sum(p[0] for p in parts), _sym(sum(p[1] for p in parts)))
    state = _evaluate_state(data, tr, beta0, family)
    if not np.isfinite(state[0]) and beta0.any():
        beta0 = np.zeros(k)
        state = _evaluate_state(data, tr, beta0, family)
    return beta0, state


def _evaluate_state(data, tr, beta, family):
    return _reduce_state(data.map(_newton_chunk, tr, beta, family))


def fit_logistic_chunked(X, y, *, tol=1e-10, maxiter=100, param_names=None):
    """:func:`~mlelib.fit_logistic` on Dask arrays (called by it): see the module docstring."""
    return _fit(X, y, _LOGISTIC, tol, maxiter, param_names)


def fit_poisson_chunked(X, y, *, tol=1e-10, maxiter=100, param_names=None):
    """:func:`~mlelib.fit_poisson` on Dask arrays (called by it): see the module docstring."""
    return _fit(X, y, _POISSON, tol, maxiter, param_names)

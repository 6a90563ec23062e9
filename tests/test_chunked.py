"""fit_logistic / fit_poisson on Dask arrays (mlelib.chunked) against the in-memory fitters.

The oracle is the in-memory path of the same function, itself tested against statsmodels and exact
reparametrisations (test_regression*.py): the chunked path must give the same estimates, standard
errors, log-likelihood and diagnostics, whatever the chunking, on the threaded scheduler and on a
dask.distributed LocalCluster of worker processes (loopback only, started and stopped here).
"""

import os
import re

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_allclose

import mlelib.chunked as chunked
from mlelib import ChunkedMLEResult, DataError, NoFiniteMLEError, SeparationError, fit_glm, fit_logistic, fit_poisson, sigmoid

N = 600
RTOL = 1e-10


def _data(family, seed=0, n=N, offset=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    X = np.column_stack([np.ones(n), x])
    eta = X @ np.array([0.2, 0.6, -0.4, 0.3])
    X[:, 1] += offset
    if family == "logistic":
        return X, rng.binomial(1, sigmoid(eta)).astype(float)
    return X, rng.poisson(np.exp(eta)).astype(float)


FIT = {"logistic": fit_logistic, "poisson": fit_poisson}
# one chunk; uneven chunks; many small chunks (some smaller than the number of columns)
CHUNKS = {
    "one": (N,),
    "uneven": (1, 250, 3, 96, 250),
    "many": (7,) * (N // 7) + (N % 7,),
}


def _dask(X, y, rows):
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=(rows,))


def _assert_same(res, ref, rtol=RTOL):
    assert isinstance(res, ChunkedMLEResult)
    assert_allclose(res.params, ref.params, rtol=rtol, atol=rtol * np.abs(ref.params).max())
    assert_allclose(res.bse, ref.bse, rtol=rtol)
    assert_allclose(res.cov, ref.cov, rtol=rtol, atol=rtol * np.abs(ref.cov).max())
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert res.converged and ref.converged
    assert res.nobs == ref.nobs and res.param_names == ref.param_names and res.model == ref.model


@pytest.fixture
def threads():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.fixture(scope="module")
def cluster():
    # Two worker processes on the loopback interface; the dashboard on a free loopback port (the
    # default 8787 may be taken by another cluster on this machine, which distributed reports with
    # a UserWarning, an error under our warning filter).
    # distributed's nanny writes its pre-spawn environment (OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1,
    # MKL_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_) into this process's os.environ and leaves it there;
    # later tests that start subprocesses (test_portability's thread-count probe) would inherit it,
    # so the environment is restored when the cluster is closed.
    saved = dict(os.environ)
    try:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as lc:
            yield lc
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def client(cluster):
    with Client(cluster) as c:  # the default scheduler of dask.compute while the test runs
        yield c


@pytest.mark.parametrize("family", ["logistic", "poisson"])
@pytest.mark.parametrize("shape", list(CHUNKS))
def test_same_fit_as_in_memory_threads(threads, family, shape):
    X, y = _data(family)
    ref = FIT[family](X, y)
    res = FIT[family](*_dask(X, y, CHUNKS[shape]))
    _assert_same(res, ref)
    assert res.nchunks == len(CHUNKS[shape])
    # every Newton trial point is one pass; logistic needs no other pass but the first
    if family == "logistic":
        assert res.passes == 1 + res.niter
    # with 8 chunks or more, the start is the in-memory fit on a few of them
    assert (res.start_rows > 0) == (len(CHUNKS[shape]) >= 8)
    # the negative log-likelihood is evaluated chunk by chunk as well
    assert res.negloglik(ref.params) == pytest.approx(ref.negloglik(ref.params), rel=1e-12)


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_same_fit_on_a_local_cluster(client, family):
    X, y = _data(family, seed=3)
    ref = FIT[family](X, y)
    with get_task_stream() as ts:
        res = FIT[family](*_dask(X, y, CHUNKS["uneven"]))
    _assert_same(res, ref)
    # the work ran in both worker processes, not in the test process
    workers = {t["worker"] for t in ts.data}
    assert len(workers) == 2 and set(workers) <= set(client.scheduler_info()["workers"])


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_numpy_y_or_numpy_X_with_dask_partner(threads, family):
    X, y = _data(family, seed=5)
    ref = FIT[family](X, y)
    Xd, yd = _dask(X, y, CHUNKS["uneven"])
    _assert_same(FIT[family](Xd, y), ref)
    _assert_same(FIT[family](X, yd), ref)
    # X chunked across columns and y chunked differently are rechunked to whole rows
    _assert_same(FIT[family](da.from_array(X, chunks=(100, 2)), da.from_array(y, chunks=77)), ref)


@pytest.mark.parametrize("shape", ["uneven", "many"])
@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_large_offset_like_issue_15(threads, family, shape):
    # a covariate with offset 1e7 (a timestamp): centred internally on both paths (three extra passes here:
    # second centring pass, Gram, the start on the centred design); with many chunks the subsample start,
    # fitted on X, is mapped to the centred design
    X, y = _data(family, seed=1, offset=1e7)
    ref = FIT[family](X, y)
    res = FIT[family](*_dask(X, y, CHUNKS[shape]))
    _assert_same(res, ref)
    assert (res.start_rows > 0) == (shape == "many")
    assert abs(ref.params[0]) > 1e5  # the intercept absorbed the offset: the case is not trivial


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_intercept_implied_by_dummies_with_offset(threads, family):
    # no column of ones: the constant vector is the sum of three dummies, and a column with offset 1e9
    # is centred through it (T_j = e_j - m_j c): the implied-intercept least squares runs as a QR pass
    rng = np.random.default_rng(11)
    x = rng.normal(size=N)
    D = np.eye(3)[rng.integers(0, 3, N)]
    X = np.column_stack([D, 1e9 + x])
    eta = D @ np.array([0.3, -0.2, 0.1]) + 0.7 * x
    y = rng.binomial(1, sigmoid(eta)).astype(float) if family == "logistic" else rng.poisson(np.exp(eta)).astype(float)
    ref = FIT[family](X, y)
    _assert_same(FIT[family](*_dask(X, y, CHUNKS["uneven"])), ref)
    assert np.abs(ref.params[:3]).min() > 1e8  # each dummy's coefficient absorbed the offset


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_ill_conditioned_design_orthogonalised(threads, family):
    # two nearly collinear columns: condition number of the column-normalised X about 1e6 > 1e4, so both
    # paths fit on Z = X R^-1 sqrt(n). The two R factors differ in rounding (one QR vs a tall-skinny
    # QR), which the conditioning amplifies to about cond * eps = 1e-10: hence rtol 1e-8 here.
    rng = np.random.default_rng(12)
    x = rng.normal(size=N)
    X = np.column_stack([np.ones(N), x, x + 1e-6 * rng.normal(size=N)])
    assert np.linalg.cond(X / np.linalg.norm(X, axis=0)) > 1e5
    eta = 0.2 + 0.5 * x
    y = rng.binomial(1, sigmoid(eta)).astype(float) if family == "logistic" else rng.poisson(np.exp(eta)).astype(float)
    ref = FIT[family](X, y)
    _assert_same(FIT[family](*_dask(X, y, CHUNKS["uneven"])), ref, rtol=1e-8)


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_subsample_start_saves_passes(threads, family, monkeypatch):
    # 40 chunks of 500 rows: the start is the in-memory fit on 3 evenly spread chunks (>= n/16 = 1250
    # rows), within its sampling error of the estimate, so Newton on all rows needs fewer passes (here one
    # fewer for logistic regression; for Poisson the two passes of the IRLS start go; at 2**19 rows of a
    # large data set, see benchmarks/README.md)
    X, y = _data(family, seed=7, n=20_000)
    ref = FIT[family](X, y)
    Xd, yd = _dask(X, y, 500)
    warm = FIT[family](Xd, yd)
    _assert_same(warm, ref)
    assert warm.start_rows == 1500
    assert chunked._subsample_chunks(Xd.chunks[0], 4).tolist() == [6, 20, 33]
    monkeypatch.setattr(chunked, "_START_MIN_CHUNKS", 10**9)
    cold = FIT[family](Xd, yd)
    _assert_same(cold, ref)
    assert cold.start_rows == 0
    assert warm.passes < cold.passes and warm.niter <= cold.niter


@pytest.mark.parametrize("family", ["logistic", "poisson"])
@pytest.mark.parametrize("start", ["far", "near"])
def test_a_poor_subsample_start_is_dropped_or_harmless(threads, family, start, monkeypatch):
    # a start whose log-likelihood is below the one at beta = 0 is dropped for the in-memory start (from
    # Poisson at 40, Newton would need hundreds of iterations); a poor start above it (0.2 off in every
    # coefficient) is kept and only costs iterations
    X, y = _data(family, seed=8)
    ref = FIT[family](X, y)
    b = np.full(X.shape[1], 40.0) if start == "far" else ref.params + 0.2
    monkeypatch.setattr(chunked, "_subsample_start", lambda data, family, n, k: (b, 123))
    res = FIT[family](*_dask(X, y, CHUNKS["many"]))
    _assert_same(res, ref)
    assert res.start_rows == (123 if start == "near" else 0)


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_empty_chunks(threads, family):
    # chunks of no rows (e.g. left by a filter) add nothing, with and without the subsample start
    X, y = _data(family, seed=9)
    ref = FIT[family](X, y)
    for rows, start_rows in [((0, 300, 0, 300), 0), ((0,) * 3 + (60,) * 10, 60)]:
        res = FIT[family](*_dask(X, y, rows))
        _assert_same(res, ref)
        assert res.start_rows == start_rows


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 8191, 8192, 8193, 20_000])
def test_column_summaries_exact(rows):
    # the first pass's block-wise minima and maxima (pairwise halving) are NumPy's, NaN and inf included
    rng = np.random.default_rng(rows)
    X = rng.normal(size=(rows, 3)) * 10.0 ** rng.integers(-300, 300, size=3)
    if rows > 5:
        X[rows // 2, 0], X[-1, 1], X[0, 2] = np.nan, -np.inf, np.inf
    colmin, colmax, colsum, G = chunked._column_summaries(X)
    np.testing.assert_array_equal(colmin, X.min(axis=0))
    np.testing.assert_array_equal(colmax, X.max(axis=0))


def test_subsample_chunks_rule():
    # fewer than 8 chunks: no subsample; otherwise evenly spread chunks with >= n/16 rows (at most 2**19 and 128 MiB),
    # from at most a quarter of the chunks
    assert chunked._subsample_chunks([100] * 7, 4) is None
    assert chunked._subsample_chunks([100] * 16, 4).tolist() == [8]
    assert chunked._subsample_chunks([2**18] * 191, 20).tolist() == [47, 143]
    assert chunked._subsample_chunks([1] * 7 + [10**6], 4) is None  # one chunk holds nearly all rows
    # the client holds the subsample: at k = 1000, 128 MiB is 16 777 rows; chunks of 2**18 rows are too coarse
    assert chunked._subsample_chunks([10_000] * 100, 1000).tolist() == [25, 75]
    assert chunked._subsample_chunks([2**18] * 191, 1000) is None


def test_offset_on_the_cluster(client):
    X, y = _data("logistic", seed=2, offset=1e7)
    _assert_same(fit_logistic(*_dask(X, y, CHUNKS["uneven"])), fit_logistic(X, y))


def _complete_separation():
    # sorted by x: chunks of 37 rows cut the y = 0 and the y = 1 regions, one chunk holds the threshold
    x = np.linspace(-3, 3, 200)
    return np.column_stack([np.ones(x.size), x]), (x > 0.1).astype(float)


def _quasi_separation():
    # x > 0 -> y = 1, x < 0 -> y = 0, and both labels at x = 0: quasi-complete separation
    x = np.concatenate([np.linspace(-3, -0.5, 60), np.zeros(10), np.linspace(0.5, 3, 60)])
    y = np.concatenate([np.zeros(60), np.tile([0.0, 1.0], 5), np.ones(60)])
    return np.column_stack([np.ones(x.size), x]), y


def _message(func, *args):
    with pytest.raises((SeparationError, NoFiniteMLEError, DataError)) as info:
        func(*args)
    return info.type, str(info.value)


@pytest.mark.parametrize("case", [_complete_separation, _quasi_separation])
def test_separation_detected_the_same_way(threads, case):
    X, y = case()
    ref = _message(fit_logistic, X, y)
    assert ref[0] is SeparationError
    # 7-row chunks: the subsample of the start is separated too, and skipped
    for rows in [7, 37, (1, 99, X.shape[0] - 100), X.shape[0]]:
        assert _message(fit_logistic, *_dask(X, y, rows)) == ref


def test_separation_on_the_cluster(client):
    X, y = _quasi_separation()
    assert _message(fit_logistic, *_dask(X, y, 37)) == _message(fit_logistic, X, y)


def test_quasi_separation_certified_by_reductions(threads, monkeypatch):
    # data "too large" for the linear program: the directions produced by the fit are checked by
    # reductions instead; the verdict is the same, the direction reported may be scaled differently
    monkeypatch.setattr(chunked, "_LP_MAX_BYTES", 0)
    X, y = _quasi_separation()
    kind, msg = _message(fit_logistic, *_dask(X, y, 37))
    assert kind is SeparationError
    assert "quasi-complete separation" in msg and "with 10 of 130 observations on the boundary" in msg
    assert "with b = [x1=1]," in msg  # the direction (0, 1), x itself (a negligible intercept is not shown)


def _poisson_no_mle():
    # a dummy that is 1 only where the count is 0: its coefficient runs off to -inf
    X, y = _data("poisson", seed=4, n=300)
    d = np.zeros(300)
    zeros = np.flatnonzero(y == 0)[:8]
    d[zeros] = 1.0
    return np.column_stack([X, d]), y


def test_poisson_no_finite_mle_the_same_way(threads, monkeypatch):
    X, y = _poisson_no_mle()
    ref = _message(fit_poisson, X, y)
    assert ref[0] is NoFiniteMLEError
    assert _message(fit_poisson, *_dask(X, y, 41)) == ref
    monkeypatch.setattr(chunked, "_LP_MAX_BYTES", 0)
    kind, msg = _message(fit_poisson, *_dask(X, y, 41))
    assert kind is NoFiniteMLEError and "fitted means of 8 observation(s) with y = 0" in msg


@pytest.mark.parametrize("family", ["logistic", "poisson"])
def test_rank_deficient_same_error(threads, family):
    X, y = _data(family, seed=6)
    X = np.column_stack([X, X[:, 1] - 2 * X[:, 2]])  # the last column is a combination of two others
    kind, ref = _message(FIT[family], X, y)
    assert kind is DataError and "rank-deficient" in ref
    kind, msg = _message(FIT[family], *_dask(X, y, CHUNKS["uneven"]))
    assert kind is DataError
    # the same verdict and the same collinear columns (the printed singular value is rounding-level)
    collinear = re.compile(r"numerical matrix rank \d+ < \d+ columns|columns [x\d, ]+ is")
    assert collinear.findall(msg) == collinear.findall(ref) and len(collinear.findall(ref)) == 2


def test_all_labels_equal_and_zero_counts(threads):
    X, y = _data("logistic", n=50)
    for func, yy in [(fit_logistic, np.ones(50)), (fit_poisson, np.zeros(50))]:
        assert _message(func, *_dask(X, yy, 17)) == _message(func, X, yy)


@pytest.mark.parametrize(
    "change, pattern",
    [
        (lambda X, y: (X, np.where(np.arange(y.size) == 5, 2.0, y)), "outside the support, first 2 at position 5"),
        (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 9, np.nan, X), y), "row 2, column 1"),
        (lambda X, y: (X, y[:-1]), "X has 600 rows but y has 599 entries"),
        (lambda X, y: (X[:, 1], y), "2-D design matrix"),
        (lambda X, y: (X.astype(complex), y), "must be real"),
        (lambda X, y: (X[:3], y[:3]), "fewer rows"),
    ],
)
def test_bad_input_clear_errors(threads, change, pattern):
    X, y = change(*_data("logistic"))
    Xd = da.from_array(X, chunks=100) if X.ndim else X
    yd = da.from_array(y, chunks=100)
    with pytest.raises(DataError, match=re.escape(pattern)):
        fit_logistic(Xd, yd)
    with pytest.raises(DataError):
        fit_logistic(X, y)  # the in-memory path refuses it too


def test_not_converged_warns_like_in_memory(threads):
    X, y = _data("logistic", seed=7)
    with pytest.warns(RuntimeWarning, match="maxiter=2"):
        ref = fit_logistic(X, y, maxiter=2)
    with pytest.warns(RuntimeWarning, match="maxiter=2"):
        res = fit_logistic(*_dask(X, y, 100), maxiter=2)
    assert not res.converged and not ref.converged
    assert_allclose(res.params, ref.params, rtol=RTOL)


def test_against_statsmodels(threads):
    # an oracle independent of mlelib: statsmodels' Logit and GLM(Poisson) on the same rows
    import statsmodels.api as sm

    for family, model in [("logistic", lambda X, y: sm.Logit(y, X)), ("poisson", lambda X, y: sm.Poisson(y, X))]:
        X, y = _data(family, seed=8)
        sm_res = model(X, y).fit(disp=0, method="newton", tol=1e-12)
        res = FIT[family](*_dask(X, y, CHUNKS["uneven"]))
        assert_allclose(res.params, sm_res.params, rtol=1e-8)
        assert_allclose(res.bse, sm_res.bse, rtol=1e-6)
        assert res.loglik == pytest.approx(sm_res.llf, rel=1e-10)


def test_huge_counts_same_as_in_memory(threads):
    """Counts near 1e12: y*eta - exp(eta) cancelled (about 0.6 of the log-likelihood lost); the chunked path
    now uses the in-memory cancellation-free form (half-deviance via expm1 + saturated log-likelihood),
    so log-likelihood and negloglik agree to 1e-10 relative (the in-memory path is the oracle)."""
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = rng.poisson(np.exp(np.log(1e12) + 0.01 * x)).astype(float)
    ref = fit_poisson(X, y)
    res = fit_poisson(*_dask(X, y, 150))
    assert ref.converged and res.converged
    assert_allclose(res.params, ref.params, rtol=1e-10)
    assert_allclose(res.bse, ref.bse, rtol=1e-8)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-10)
    b = ref.params * (1 + 1e-9)
    assert res.negloglik(b) == pytest.approx(ref.negloglik(b), rel=1e-10)
    assert res.negloglik(ref.params) == pytest.approx(-ref.loglik, rel=1e-10)


def test_counts_above_2_53_refused_like_in_memory(threads):
    X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    y = np.array([1.0, 2.0, 2.0**54, 3.0])
    with pytest.raises(DataError) as mem:
        fit_poisson(X, y)
    with pytest.raises(DataError) as chk:
        fit_poisson(*_dask(X, y, 2))
    assert str(chk.value) == str(mem.value)
    assert "above 2**53" in str(chk.value)


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_fit_glm_on_dask_arrays_is_the_chunked_fit(threads, family):
    """fit_glm on dask arrays: the canonical binomial and Poisson models run the map-reduce Newton."""
    X, y = _data("logistic" if family == "binomial" else "poisson", seed=11)
    ref = fit_glm(X, y, family)
    res = fit_glm(*_dask(X, y, 97), family)
    assert isinstance(res, ChunkedMLEResult)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.cov, ref.cov, rtol=1e-10)
    assert res.loglik == pytest.approx(ref.loglik, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(family="binomial", link="probit"), dict(family="gamma"), dict(family="poisson", offset=np.zeros(N))],
)
def test_fit_glm_on_dask_arrays_refuses_what_the_chunked_path_cannot_fit(threads, kwargs):
    X, y = _data("poisson", seed=12)
    with pytest.raises(DataError, match="fit_glm on dask arrays fits the canonical binomial"):
        fit_glm(*_dask(X, y + 1.0, 97), **kwargs)

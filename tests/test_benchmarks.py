"""Smoke test of benchmarks/run.py: it runs at tiny sizes and reports what it should.

No timing assertions here (timings live in benchmarks/); this only keeps the script from rotting.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mle_benchmarks_run", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regression_rows_agree_with_references(bench, tmp_path):
    """At tiny sizes every model yields one row, mlelib's estimates equal the reference's, plot and tables render."""
    rows = bench.bench_regression([400], [3], repeats=1, log=lambda *a: None)
    assert [r["model"] for r in rows] == list(bench.MODELS)
    for r in rows:
        assert r["t_mlelib_s"] > 0 and r["t_ref_s"] > 0 and r["floor_per_iter_s"] > 0
        assert r["peak_mb_mlelib"] >= 0 and r["rss_mb_mlelib"] >= 0
        # the same MLE: statsmodels' Newton stops at |change| < 1e-8, so agreement to 1e-6 is ample
        assert r["max_abs_param_diff"] < 1e-6
    assert rows[0]["niter_mlelib"] >= 1 and rows[0]["niter_ref"] >= 1
    tables = bench.regression_tables(rows)
    assert tables.count("###") == 3
    bench.plot(rows, tmp_path / "ratios.png")
    assert (tmp_path / "ratios.png").stat().st_size > 1000


def test_fused_elementwise_matches_current(bench):
    """The one-exp elementwise step timed as today's equals the previous logaddexp + expit one to rounding."""
    rng = np.random.default_rng(0)
    eta = np.concatenate([rng.normal(0, 5, 1000), [-800.0, -40.0, 0.0, 40.0, 800.0]])
    y = (rng.random(eta.size) < 0.5).astype(float)
    s, positive = 2 * y - 1, y > 0.5
    ll_a, r_a, w_a = bench._elementwise_current(eta, s, positive)
    ll_b, r_b, w_b = bench._elementwise_fused(eta, s, positive)
    np.testing.assert_allclose(ll_b, ll_a, rtol=1e-13)
    np.testing.assert_allclose(r_b, r_a, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(w_b, w_a, rtol=1e-13, atol=1e-300)


def test_chunked_gram_matches_plain_product(bench):
    """The chunked syrk Gram X'WX equals X.T @ (X * w) up to rounding (summation order only)."""
    rng = np.random.default_rng(1)
    X, w = rng.standard_normal((20_000, 4)), rng.random(20_000)
    np.testing.assert_allclose(bench._gram_chunked_syrk(X, w, block=4096), X.T @ (X * w[:, None]), rtol=1e-12)


def test_dask_scale_smoke(tmp_path):
    """benchmarks/dask_scale.py at a tiny size: every fitter agrees with mlelib, the table renders.

    Skipped where the benchmark-only packages (benchmarks/requirements.txt) are not installed, as in CI.
    """
    for name in ("zarr", "dask_glm"):
        pytest.importorskip(name)
    spec = importlib.util.spec_from_file_location("mle_dask_scale", RUN.parent / "dask_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # dask-ml is skipped here: importing it (scikit-learn, numba) takes longer than the rest of the test
    out = module.run(tmp_path / "data", 6000, 4, 1500, subsample=3000, skip=("dask_ml",), log=lambda *a: None)
    assert out["mlelib"]["converged"] and out["mlelib"]["passes"] == 1 + out["mlelib"]["niter"]
    assert out["dask_glm"]["max_abs_diff_vs_mlelib"] < 1e-6  # dask-glm stops at |change| < 1e-8
    assert out["subsample"]["max_rel_param_diff"] < 1e-10 and out["subsample"]["max_rel_bse_diff"] < 1e-10
    assert "| mlelib `fit_logistic` (Dask) |" in module.markdown(out)

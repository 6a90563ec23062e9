#!/usr/bin/env python3
r"""Benchmarks for mlelib and for the course build, as ratios measured in one run on one machine.

Run it with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). Sections:

``regression``
    ``fit_logistic`` vs statsmodels ``Logit(y, X).fit(disp=0)``, ``fit_poisson`` vs statsmodels
    ``Poisson(y, X).fit(disp=0)`` and ``fit_linear`` vs ``numpy.linalg.lstsq`` at n = 1e4, 1e5, 1e6
    rows and k = 10, 50 columns: wall-time ratio (best of ``--repeats`` for n < 1e6, one run at
    1e6), Newton iterations, peak traced memory (``tracemalloc``, in a separate untimed run; numpy
    registers its array buffers with tracemalloc) and the ratio to the *Newton floor*: the time of
    the two matrix products one Newton iteration needs, :math:`X^\top W X` (as
    ``X.T @ (X * w[:, None])``) and :math:`X^\top r`, times the number of iterations.
    For ``fit_linear`` the "floor" is one pass of the normal equations (``X.T @ X`` and ``X.T @ y``).
``profile``
    Where ``fit_logistic`` spends its time (cProfile, one fit at n = 1e6, k = 50 by default).
``gamma``
    The generic fitter ``mlelib.fit`` vs ``scipy.stats.gamma.fit(x, floc=0)`` on the same data
    (skipped, and reported as a gap, while ``mlelib.fit`` does not exist).
``notebooks``
    Wall time of executing each ``chapters/*.ipynb`` once with nbclient (not written back).
``build`` (only with ``--full``: heavy)
    Wall time of ``make test`` and of a forced book build (``make book-strict``), run once each in
    a temporary copy of the tree (so the shared ``_build`` is left alone; ``--in-place`` runs them
    in the checkout itself).
``dask`` (only when asked: ``--sections dask``; writes 8 GB to ``--dask-dir`` and takes tens of minutes)
    ``fit_logistic`` on a Dask array read from disk (n = 5e7 x k = 20 float64 zarr by default) on a
    LocalCluster, against dask-glm's and dask-ml's Newton and the I/O floor; run as a subprocess of
    ``benchmarks/dask_scale.py`` (see its docstring), so that the peak memory measured is its own.
``venv`` (only with ``--venv``: needs the wheels, takes minutes)
    Wall time of ``python3 -m venv`` + ``pip install -r requirements.txt`` + the editable install,
    in a temporary directory.

Results go to ``benchmarks/results/``: ``results.json`` (every section, each with its own date;
running a subset of sections keeps the others' last figures), ``regression.csv``, ``notebooks.csv``,
``summary.md`` (the tables printed) and ``ratios.png``. Timings depend on the machine and on whatever
else runs on it: compare ratios, and read the recorded load average.
"""

import argparse
import contextlib
import cProfile
import csv
import datetime as dt
import gc
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SECTIONS = ("regression", "profile", "gamma", "notebooks", "dask", "build", "venv")
DEFAULT_SECTIONS = ("regression", "profile", "gamma", "notebooks")
MODELS = ("logistic", "poisson", "linear")
SEED = 20261125
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_ORIGINAL_ENV = dict(os.environ)


# ----------------------------------------------------------------------------------------------
# small helpers


def _now():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _fmt(x, spec=".3g", none="-"):
    if x is None or (isinstance(x, float) and x != x):
        return none
    return format(x, spec)


def _table(headers, rows):
    """A GitHub-flavoured markdown table (also readable as plain text)."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    out = [line(headers), "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _best_time(func, repeats, budget=0.25, max_repeats=100):
    """Best wall time (seconds) of at least `repeats` calls, and the last return value.

    Fast calls are repeated until `budget` seconds have been spent (at most `max_repeats` calls):
    the best of many is a steadier estimate of a millisecond-scale call on a shared machine.
    """
    best, value, spent, count = float("inf"), None, 0.0, 0
    while count < repeats or (spent < budget and count < max_repeats):
        value = None
        if count < repeats:
            gc.collect()
        t0 = time.perf_counter()
        value = func()
        elapsed = time.perf_counter() - t0
        best, spent, count = min(best, elapsed), spent + elapsed, count + 1
    return best, value


def _peak_bytes(func):
    """Peak traced memory (bytes) allocated while func() runs, above what was allocated before.

    tracemalloc sees every numpy array buffer (numpy registers them), but not the work buffers
    that LAPACK wrappers malloc in C (``np.linalg.qr``/``lstsq`` copy X into one): see
    :func:`_peak_rss_bytes` for those.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        value = func()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del value
    return peak


def _rss_bytes():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes(func, interval=0.002):
    """Peak growth of the resident set size while func() runs, sampled every `interval` seconds.

    Sees everything the process touches (numpy arrays, LAPACK work buffers, BLAS buffers); a spike
    shorter than the interval can be missed, and freed memory kept by the allocator can hide a later
    allocation, so read it as a lower bound, to the nearest few MB.
    """
    import threading

    gc.collect()
    base = _rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        value = func()
    finally:
        done.set()
        thread.join()
    peak[0] = max(peak[0], _rss_bytes())
    del value
    return peak[0] - base


def _peak_memory(func):
    """(peak traced bytes, peak RSS growth in bytes) of one call of func()."""
    traced = []
    rss = _peak_rss_bytes(lambda: traced.append(_peak_bytes(func)))
    return traced[0], rss


def machine_description():
    import numpy as np

    info = {
        "date": _now(),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "mem_total_gib": _mem_total_gib(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas_threads_env": {v: os.environ.get(v) for v in _THREAD_VARS if os.environ.get(v)},
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    for mod in ("scipy", "statsmodels"):
        with contextlib.suppress(ImportError):
            info[mod] = __import__(mod).__version__
    return info


def _cpu_model():
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gib():
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


# ----------------------------------------------------------------------------------------------
# regression: mlelib vs statsmodels / numpy


def make_data(n, k, rng):
    """Design with an intercept and k-1 standard-normal columns; responses for the three models.

    Coefficients are scaled by 1/sqrt(k) so that the linear predictor has a moderate spread
    (standard deviation about 0.5-0.7) whatever k: no separation, no huge counts.
    """
    import numpy as np

    X = np.empty((n, k))
    X[:, 0] = 1.0
    X[:, 1:] = rng.standard_normal((n, k - 1))
    beta = rng.normal(0.0, 1.0, size=k) / np.sqrt(k)
    beta[0] = 0.3
    eta = X @ beta
    y_logistic = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    y_poisson = rng.poisson(np.exp(0.5 + 0.5 * (eta - 0.3))).astype(float)
    y_linear = eta + rng.standard_normal(n)
    return X, {"logistic": y_logistic, "poisson": y_poisson, "linear": y_linear}


def _fitters(model):
    """(mlelib fitter, reference fitter, reference name); each takes (X, y) and returns (params, niter)."""
    import numpy as np
    import statsmodels.api as sm

    import mlelib

    def ours(fit):
        def run(X, y):
            res = fit(X, y)
            return res.params, res.niter

        return run

    def sm_fit(cls):
        def run(X, y):
            res = cls(y, X).fit(disp=0)
            return np.asarray(res.params), int(res.mle_retvals["iterations"])

        return run

    if model == "logistic":
        return ours(mlelib.fit_logistic), sm_fit(sm.Logit), "statsmodels Logit.fit"
    if model == "poisson":
        return ours(mlelib.fit_poisson), sm_fit(sm.Poisson), "statsmodels Poisson.fit"
    return ours(mlelib.fit_linear), (lambda X, y: (np.linalg.lstsq(X, y, rcond=None)[0], None)), "numpy.linalg.lstsq"


def newton_floor(X, model, repeats):
    r"""Best time (s) of the products one Newton iteration needs: X.T @ (X * w[:, None]) and X.T @ r.

    For the linear model: X.T @ X and X.T @ y (one pass of the normal equations).
    """
    import numpy as np

    n = X.shape[0]
    w = np.full(n, 0.25) if model != "linear" else None
    r = np.linspace(-0.5, 0.5, n)

    def products():
        H = X.T @ X if w is None else X.T @ (X * w[:, None])
        g = X.T @ r
        return H, g

    return _best_time(products, repeats)[0]


def bench_regression(sizes, ks, repeats, models=MODELS, memory=True, log=print):
    import numpy as np

    rows = []
    rng = np.random.default_rng(SEED)
    # warm-up: first calls pay for imports and caches
    Xw, yw = make_data(500, 3, rng)
    for model in models:
        ours, ref, _ = _fitters(model)
        ours(Xw, yw[model])
        ref(Xw, yw[model])
    for n in sizes:
        for k in ks:
            X, ys = make_data(n, k, np.random.default_rng([SEED, n, k]))
            reps = repeats if n < 10**6 else 1
            for model in models:
                y = ys[model]
                ours, ref, ref_name = _fitters(model)
                t_ours = t_ref = float("inf")
                for _ in range(reps):  # interleaved, so a burst of load hits both alike
                    t, (b_ours, it_ours) = _best_time(lambda: ours(X, y), 1, budget=0.1 / reps)
                    t_ours = min(t_ours, t)
                    t, (b_ref, it_ref) = _best_time(lambda: ref(X, y), 1, budget=0.1 / reps)
                    t_ref = min(t_ref, t)
                floor_iter = newton_floor(X, model, max(reps, 2))
                it_floor = 1 if model == "linear" else it_ours
                # one untimed run each, traced and RSS-sampled at once
                mem_ours, rss_ours = _peak_memory(lambda: ours(X, y)) if memory else (None, None)
                mem_ref, rss_ref = _peak_memory(lambda: ref(X, y)) if memory else (None, None)
                row = {
                    "model": model,
                    "n": n,
                    "k": k,
                    "reference": ref_name,
                    "repeats": reps,
                    "t_mlelib_s": t_ours,
                    "t_ref_s": t_ref,
                    "time_ratio": t_ours / t_ref,
                    "niter_mlelib": it_ours,
                    "niter_ref": it_ref,
                    "floor_per_iter_s": floor_iter,
                    "floor_ratio_mlelib": t_ours / (floor_iter * it_floor) if it_floor else None,
                    "floor_ratio_ref": (t_ref / (floor_iter * it_ref)) if it_ref else None,
                    "peak_mb_mlelib": mem_ours / 2**20 if memory else None,
                    "peak_mb_ref": mem_ref / 2**20 if memory else None,
                    "peak_per_X_mlelib": mem_ours / X.nbytes if memory else None,
                    "peak_per_X_ref": mem_ref / X.nbytes if memory else None,
                    "rss_mb_mlelib": rss_ours / 2**20 if memory else None,
                    "rss_mb_ref": rss_ref / 2**20 if memory else None,
                    "X_mb": X.nbytes / 2**20,
                    "max_abs_param_diff": float(np.max(np.abs(b_ours - b_ref))),
                }
                rows.append(row)
                log(
                    f"  {model:8s} n={n:>8d} k={k:>2d}: mlelib {t_ours:8.4f} s, ref {t_ref:8.4f} s, "
                    f"ratio {row['time_ratio']:.2f}, floor ratio {_fmt(row['floor_ratio_mlelib'], '.2f')}"
                )
                del b_ours, b_ref
            del X, ys
            gc.collect()
    return rows


def regression_tables(rows):
    out = []
    for model in MODELS:
        sel = [r for r in rows if r["model"] == model]
        if not sel:
            continue
        ref = sel[0]["reference"]
        is_newton = model != "linear"
        headers = ["n", "k", "mlelib s", "ref s", "time ratio", "iters mlelib/ref", "floor ratio mlelib"]
        if is_newton:
            headers.append("floor ratio ref")
        headers += ["traced MB mlelib/ref", "traced / size(X) mlelib/ref", "RSS MB mlelib/ref", "max |Δβ|"]
        body = []
        for r in sel:
            line = [
                f"{r['n']:.0e}".replace("+0", ""),
                r["k"],
                _fmt(r["t_mlelib_s"], ".4f"),
                _fmt(r["t_ref_s"], ".4f"),
                _fmt(r["time_ratio"], ".2f"),
                f"{_fmt(r['niter_mlelib'], 'd')}/{_fmt(r['niter_ref'], 'd')}",
                _fmt(r["floor_ratio_mlelib"], ".2f"),
            ]
            if is_newton:
                line.append(_fmt(r["floor_ratio_ref"], ".2f"))
            line += [
                f"{_fmt(r['peak_mb_mlelib'], '.0f')}/{_fmt(r['peak_mb_ref'], '.0f')}",
                f"{_fmt(r['peak_per_X_mlelib'], '.2f')}/{_fmt(r['peak_per_X_ref'], '.2f')}",
                f"{_fmt(r['rss_mb_mlelib'], '.0f')}/{_fmt(r['rss_mb_ref'], '.0f')}",
                _fmt(r["max_abs_param_diff"], ".1e"),
            ]
            body.append(line)
        title = {
            "logistic": "fit_logistic vs " + ref,
            "poisson": "fit_poisson vs " + ref,
            "linear": "fit_linear vs " + ref + " (floor: one X.T @ X + X.T @ y)",
        }[model]
        out.append(f"### {title}\n\n" + _table(headers, body))
    return "\n\n".join(out)


# ----------------------------------------------------------------------------------------------
# profile of fit_logistic


def _gram_chunked_syrk(X, w, block=8192):
    r""":math:`X^\top W X` summed over row blocks as :math:`(X_b\sqrt{w_b})^\top (X_b\sqrt{w_b})`.

    numpy hands ``A.T @ A`` to BLAS syrk (half the flops of a general product), and the block
    temporary (block x k) stays in cache instead of a fresh n x k array. Here only to measure
    the change proposed for mlelib.regression; not a fitter.
    """
    import numpy as np

    k = X.shape[1]
    H = np.zeros((k, k))
    sw = np.sqrt(w)
    for i in range(0, X.shape[0], block):
        Xb = X[i : i + block] * sw[i : i + block, None]
        H += Xb.T @ Xb
    return H


def _elementwise_current(eta, s, positive):
    """What fit_logistic does per iterate now: logaddexp for the log-likelihood, two expit for p, 1 - p."""
    import numpy as np
    from scipy import special

    ll = -float(np.sum(np.logaddexp(0.0, -s * eta)))
    p, q = special.expit(eta), special.expit(-eta)
    return ll, np.where(positive, q, -p), p * q


def _elementwise_fused(eta, s, positive):
    """The same three results as fit_logistic computes them now (see its loglik/working closures).

    With the margins m = s * eta and z = exp(-|eta|): the softplus is max(-m, 0) + log1p(z), the
    residual y - p is s * sigma(-m), and the weight is z / (1 + z)^2. `positive` is unused here.
    """
    import numpy as np

    m, z = s * eta, np.exp(-np.abs(eta))
    ll = -float(np.maximum(-m, 0.0).sum() + np.log1p(z).sum())
    inv = 1.0 / (1.0 + z)
    z_inv = z * inv
    return ll, s * np.where(m >= 0, z_inv, inv), z_inv * inv


def _tsqr_r(X, block=16384):
    """R of X = QR from the R factors of row blocks (TSQR): same R up to row signs, cache-friendly."""
    import numpy as np

    rs = [np.linalg.qr(X[i : i + block], mode="r") for i in range(0, X.shape[0], block)]
    return np.linalg.qr(np.vstack(rs), mode="r")


def bench_profile(n, k, repeats=3, log=print):
    """Where fit_logistic spends its time at (n, k), and what each of its fast paths saves.

    cProfile of the fitter (averaged over enough calls to last ~0.3 s), then the previous code's
    steps and today's replacements timed side by side on the same X (best of `repeats`).
    """
    import numpy as np
    import statsmodels.api as sm

    import mlelib

    X, ys = make_data(n, k, np.random.default_rng([SEED, n, k]))
    y = ys["logistic"]
    mlelib.fit_logistic(X[:1000], y[:1000])  # warm-up
    total, res = _best_time(lambda: mlelib.fit_logistic(X, y), repeats)
    t_sm, _ = _best_time(lambda: sm.Logit(y, X).fit(disp=0), repeats)
    calls = max(1, min(50, round(0.3 / total)))
    gc.collect()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        mlelib.fit_logistic(X, y)
    prof.disable()
    stats = pstats.Stats(prof)
    wanted = {
        "fit_logistic": "fit_logistic (profiled)",
        "_prepare": "validation: _prepare (asarray + isfinite on X)",
        "_full_rank_factor": "rank check: X.T @ X, k x k eigenvalues, Cholesky",
        "qr": "  np.linalg.qr(X, mode='r') (fallback; should not run here)",
        "_newton": "Newton loop (_newton)",
        "_weighted_gram": "  X'WX (chunked syrk from 16384 rows)",
        "loglik": "  log-likelihood (one exp, one log1p)",
        "working": "  residuals and weights (reusing exp(-|eta|))",
        "strictly_separated": "  separation certificate",
        "_newton_step": "  k x k Cholesky solves",
        "_weak_direction_ratio": "weak-direction check (k x k)",
        "_inverse_information": "covariance (k x k inverse)",
        "_separation": "separation LP (should not run here)",
    }
    found = {}
    for (filename, _line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        if func not in wanted or ("mlelib" not in filename and not (func == "qr" and "linalg" in filename)):
            continue
        if func not in found or ct > found[func]["cum_s"] * calls:
            found[func] = {"step": wanted[func], "calls": nc / calls, "cum_s": ct / calls, "own_s": tt / calls}
    steps = [dict(func=f, **found[f]) for f in wanted if f in found]

    # the candidate replacements, on the same data
    w = np.full(n, 0.2)
    eta = X @ res.params
    s = 2.0 * y - 1.0
    pos = y > 0.5
    t = {
        "qr_r": _best_time(lambda: np.linalg.qr(X, mode="r"), repeats)[0],
        "tsqr_r": _best_time(lambda: _tsqr_r(X), repeats)[0],
        "gram_cholesky": _best_time(lambda: np.linalg.cholesky(X.T @ X), repeats)[0],
        "gram_gemm": _best_time(lambda: X.T @ (X * w[:, None]), repeats)[0],
        "gram_chunked_syrk": _best_time(lambda: _gram_chunked_syrk(X, w), repeats)[0],
        "score": _best_time(lambda: X.T @ w, repeats)[0],
        "elementwise_current": _best_time(lambda: _elementwise_current(eta, s, pos), repeats)[0],
        "elementwise_fused": _best_time(lambda: _elementwise_fused(eta, s, pos), repeats)[0],
    }
    floor_iter = t["gram_gemm"] + t["score"]
    n_gram = found.get("_weighted_gram", {}).get("calls", res.niter)
    n_elem = found.get("loglik", {}).get("calls", res.niter + 1)
    # what the previous code would have cost on top: its QR instead of X'X + Cholesky, the plain
    # product instead of the chunked one for every Gram (plus the first one, now X'X/4), and the
    # logaddexp + 2 expit elementwise work instead of the fused one
    save_qr = t["qr_r"] - t["gram_cholesky"] + t["gram_gemm"]
    save_gram = n_gram * (t["gram_gemm"] - min(t["gram_gemm"], t["gram_chunked_syrk"]))
    save_elem = n_elem * (t["elementwise_current"] - t["elementwise_fused"])
    previous = total + save_qr + save_gram + save_elem
    out = {
        "n": n,
        "k": k,
        "total_s": total,
        "statsmodels_s": t_sm,
        "profiled_calls": calls,
        "niter": res.niter,
        "floor_per_iter_s": floor_iter,
        "floor_s": floor_iter * res.niter,
        "floor_ratio": total / (floor_iter * res.niter),
        "time_ratio": total / t_sm,
        "steps": steps,
        "newton_own_s": found.get("_newton", {}).get("own_s"),
        "components_s": t,
        "gram_calls": n_gram,
        "elementwise_calls": n_elem,
        "saving_drop_qr_s": save_qr,
        "saving_chunked_syrk_s": save_gram,
        "saving_fused_elementwise_s": save_elem,
        "previous_code_s": previous,
        "previous_time_ratio": previous / t_sm,
        "previous_floor_ratio": previous / (floor_iter * res.niter),
    }
    log(
        f"  fit_logistic n={n} k={k}: {total:.4f} s ({res.niter} iterations; statsmodels {t_sm:.4f} s), "
        f"floor {out['floor_s']:.4f} s; the previous code would take ~{previous:.4f} s"
    )
    return out


def profile_table(profiles):
    if not profiles:
        return ""
    if isinstance(profiles, dict):
        profiles = [profiles]
    parts = []
    for p in profiles:
        total = p["total_s"]
        rows = [[st["step"], _fmt(st["calls"], ".0f"), _fmt(1e3 * st["cum_s"], ".2f"), _fmt(100 * st["cum_s"] / total, ".0f")] for st in p["steps"]]
        if p.get("newton_own_s") is not None:
            rows.append(["  own time of _newton (X @ beta, bookkeeping)", "", _fmt(1e3 * p["newton_own_s"], ".2f"), _fmt(100 * p["newton_own_s"] / total, ".0f")])
        rows.append([f"Newton floor: {p['niter']} x (X.T @ (X * w) + X.T @ r)", p["niter"], _fmt(1e3 * p["floor_s"], ".2f"), _fmt(100 * p["floor_s"] / total, ".0f")])
        c = p["components_s"]
        comp = [
            ["np.linalg.qr(X, mode='r') (previous rank check)", _fmt(1e3 * c["qr_r"], ".2f")],
            ["TSQR, 16384-row blocks (same R; not used)", _fmt(1e3 * c["tsqr_r"], ".2f")],
            ["X.T @ X + Cholesky (rank check now)", _fmt(1e3 * c["gram_cholesky"], ".2f")],
            ["X.T @ (X * w[:, None]) (previous, per iteration)", _fmt(1e3 * c["gram_gemm"], ".2f")],
            ["chunked syrk, 8192-row blocks (now, n >= 16384)", _fmt(1e3 * c["gram_chunked_syrk"], ".2f")],
            ["logaddexp + 2 x expit (previous, per iterate)", _fmt(1e3 * c["elementwise_current"], ".2f")],
            ["one exp + one log1p (now, per iterate)", _fmt(1e3 * c["elementwise_fused"], ".2f")],
        ]
        proj = [
            ["measured fit_logistic (best of repeats)", _fmt(1e3 * total, ".2f"), _fmt(p["time_ratio"], ".2f"), _fmt(p["floor_ratio"], ".2f")],
            ["+ QR rank check instead of X'X + Cholesky, first Gram not reused", _fmt(1e3 * p["saving_drop_qr_s"], "+.2f"), "", ""],
            [f"+ plain Gram product instead of chunked syrk ({p['gram_calls']:.0f} calls)", _fmt(1e3 * p["saving_chunked_syrk_s"], "+.2f"), "", ""],
            [f"+ logaddexp + 2 expit instead of fused ({p['elementwise_calls']:.0f} calls)", _fmt(1e3 * p["saving_fused_elementwise_s"], "+.2f"), "", ""],
            ["= the previous code (estimate)", _fmt(1e3 * p["previous_code_s"], ".2f"), _fmt(p["previous_time_ratio"], ".2f"), _fmt(p["previous_floor_ratio"], ".2f")],
        ]
        parts.append(
            f"### Profile: fit_logistic at n = {p['n']:.0e}, k = {p['k']} "
            f"({_fmt(1e3 * total, '.2f')} ms; statsmodels {_fmt(1e3 * p['statsmodels_s'], '.2f')} ms)\n\n"
            + _table(["step (cProfile, mean per fit)", "calls", "ms", "% of fit"], rows)
            + "\n\n"
            + _table(["candidate (same X, best of repeats)", "ms"], comp)
            + "\n\n"
            + _table(["today vs the previous code", "ms", "ratio to statsmodels", "ratio to floor"], proj)
        )
    return "\n\n".join(parts)


# ----------------------------------------------------------------------------------------------
# mlelib.fit vs scipy.stats.gamma.fit


def bench_gamma(sizes, repeats, log=print):
    """mlelib.fit on the gamma negative log-likelihood vs scipy.stats.gamma.fit(x, floc=0)."""
    import inspect

    import numpy as np
    from scipy import special, stats

    import mlelib

    fit = getattr(mlelib, "fit", None)
    if fit is None:  # written but not exported yet?
        with contextlib.suppress(ImportError):
            from mlelib.optimize import fit
    if fit is None:
        log("  mlelib.fit does not exist yet: section skipped (a gap, not a failure)")
        return {"available": False, "rows": [], "note": "mlelib.fit not available when this run started"}
    accepts = inspect.signature(fit).parameters
    rows = []
    for n in sizes:
        x = stats.gamma.rvs(2.5, scale=1.5, size=n, random_state=np.random.default_rng([SEED, n]))

        def nll(theta):
            # theta = (shape a, scale s), natural scale; +inf outside the parameter space. Written per
            # observation, as a reader would: every evaluation passes over the data
            a, sc = theta
            if not (a > 0 and sc > 0):
                return np.inf
            return float(-np.sum((a - 1.0) * np.log(x) - x / sc - special.gammaln(a) - a * np.log(sc)))

        def grad(theta):
            a, sc = theta
            return np.array(
                [n * special.digamma(a) + n * np.log(sc) - np.sum(np.log(x)), n * a / sc - np.sum(x) / sc**2]
            )

        mean, var = float(x.mean()), float(x.var())
        start = np.array([mean**2 / var, var / mean])  # method of moments
        kwargs = {}
        if "nobs" in accepts:
            kwargs["nobs"] = n
        if "transform" in accepts:
            kwargs["transform"] = "log"  # both parameters positive
        elif "bounds" in accepts:
            kwargs["bounds"] = [(1e-8, None), (1e-8, None)]

        def ref():
            a, _loc, sc = stats.gamma.fit(x, floc=0)
            return np.array([a, sc]), None

        variants = [("numerical gradient", {})]
        if "grad" in accepts:
            variants.append(("analytic gradient", {"grad": grad}))
        reps = repeats if n < 10**6 else 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_ref, (b_ref, _) = _best_time(ref, reps)
            for label, extra in variants:

                def ours(extra=extra):
                    res = fit(nll, start, **kwargs, **extra)
                    return np.asarray(res.params), res.niter

                t_ours, (b_ours, it_ours) = _best_time(ours, reps)
                calls = [0]

                def counted(theta, calls=calls):
                    calls[0] += 1
                    return nll(theta)

                fit(counted, start, **kwargs, **extra)  # once more, counting the passes over the data
                t_nll = _best_time(lambda: nll(b_ref), 3, budget=0.05)[0]
                row = {
                    "n": n,
                    "variant": label,
                    "t_mlelib_s": t_ours,
                    "t_scipy_s": t_ref,
                    "time_ratio": t_ours / t_ref,
                    "niter_mlelib": it_ours,
                    "nll_evals_mlelib": calls[0],
                    "t_one_nll_s": t_nll,
                    "nll_mlelib": nll(b_ours),
                    "nll_scipy": nll(b_ref),
                    "max_rel_param_diff": float(np.max(np.abs(b_ours - b_ref) / np.abs(b_ref))),
                }
                rows.append(row)
                log(f"  gamma n={n} ({label}): mlelib.fit {t_ours:.3g} s, scipy {t_ref:.3g} s, ratio {row['time_ratio']:.1f}")
    return {"available": True, "rows": rows, "call": f"fit(nll, x0, {', '.join(f'{k}=...' for k in kwargs)})"}


def gamma_table(g):
    if not g:
        return ""
    if not g.get("available"):
        return "### mlelib.fit vs scipy.stats.gamma.fit\n\nNot measured: " + g.get("note", "mlelib.fit missing")
    rows = [
        [
            f"{r['n']:.0e}".replace("+0", ""),
            r.get("variant", ""),
            _fmt(1e3 * r["t_mlelib_s"], ".3g"),
            _fmt(1e3 * r["t_scipy_s"], ".3g"),
            _fmt(r["time_ratio"], ".2f"),
            _fmt(r["niter_mlelib"], "d"),
            _fmt(r.get("nll_evals_mlelib"), "d"),
            _fmt(1e3 * r["t_one_nll_s"], ".3g") if "t_one_nll_s" in r else "-",
            _fmt(r["nll_mlelib"] - r["nll_scipy"], ".2e"),
            _fmt(r["max_rel_param_diff"], ".1e"),
        ]
        for r in g["rows"]
    ]
    call = g.get("call", "fit(nll, x0)")
    return f"### mlelib.fit vs scipy.stats.gamma.fit(x, floc=0) (shape 2.5, scale 1.5; `{call}`)\n\n" + _table(
        ["n", "mlelib.fit", "mlelib.fit ms", "scipy ms", "time ratio", "iters", "nll calls", "ms per nll", "nll(ours) - nll(scipy)", "max rel |Δθ|"], rows
    )


# ----------------------------------------------------------------------------------------------
# notebooks, test suite, book build, venv


def bench_notebooks(paths, log=print):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    rows = []
    with _environment(_ORIGINAL_ENV):  # kernels inherit os.environ: no BLAS thread limit for them
        for path in paths:
            rows.append(_execute_notebook(path, nbformat, NotebookClient, CellExecutionError, log))
    return rows


@contextlib.contextmanager
def _environment(env):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _execute_notebook(path, nbformat, NotebookClient, CellExecutionError, log):
    """Execute one notebook in its own directory (not written back); wall time and time in cells."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", record_timing=True, resources={"metadata": {"path": str(path.parent)}}
    )
    error = None
    t0 = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()  # drop the traceback's colour codes
        error = text.splitlines()[-1][:200] if text else "CellExecutionError"
    except Exception as exc:  # a kernel that dies or times out is a finding, not a crash of the benchmark
        error = f"{type(exc).__name__}: {exc}"[:200]
    wall = time.perf_counter() - t0
    cells = _cells_seconds(nb)
    log(f"  {path.name}: {wall:.1f} s wall ({cells:.1f} s in cells){'  ERROR ' + error if error else ''}")
    return {
        "notebook": path.name,
        "wall_s": wall,
        "cells_s": cells,
        "code_cells": sum(c.cell_type == "code" for c in nb.cells),
        "error": error,
    }


def _cells_seconds(nb):
    total = 0.0
    for cell in nb.cells:
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if start and end:
            parse = lambda s: dt.datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
            total += (parse(end) - parse(start)).total_seconds()
    return total


def notebook_table(rows, limit=30.0):
    body = [
        [r["notebook"], _fmt(r["wall_s"], ".1f"), _fmt(r["cells_s"], ".1f"), "yes" if r["wall_s"] < limit else "NO", r["error"] or ""]
        for r in rows
    ]
    total = sum(r["wall_s"] for r in rows)
    body.append(["total", _fmt(total, ".1f"), _fmt(sum(r["cells_s"] for r in rows), ".1f"), "", ""])
    return "### Notebook execution (nbclient, one run each, kernel start included in wall)\n\n" + _table(
        ["notebook", "wall s", "in cells s", f"< {limit:.0f} s", "error"], body
    )


def _copy_tree(dest):
    """Copy the checkout to dest (mtimes kept, so make sees the venv as up to date); link .venv."""
    skip = {".git", ".venv", "_build", ".pytest_cache", ".hypothesis", ".ruff_cache", "results", "__pycache__"}
    shutil.copytree(ROOT, dest, ignore=lambda d, names: [n for n in names if n in skip or n.endswith(".egg-info")], symlinks=True)
    (dest / ".venv").symlink_to(ROOT / ".venv")


def _timed(cmd, cwd, log):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_ORIGINAL_ENV)
    wall = time.perf_counter() - t0
    lines = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr).strip().splitlines()
    tail = [ln for ln in lines if "FAILED" in ln or "ERROR" in ln][:20] + lines[-5:]
    log(f"  {' '.join(cmd)}: {wall:.1f} s, exit {proc.returncode}")
    return {"command": " ".join(cmd), "wall_s": wall, "returncode": proc.returncode, "tail": tail}


def bench_build(in_place, steps=("test", "book"), toc_all=False, log=print):
    """make test and make book-strict, once each (never re-made: the venv stamp is treated as old).

    With `toc_all` (copy only), the copy's _toc.yml lists every chapters/*.ipynb, so the forced build
    executes the whole book even while the real _toc.yml lists only some chapters.
    """
    out = {"in_place": in_place, "toc_all_chapters": bool(toc_all and not in_place)}
    with tempfile.TemporaryDirectory(prefix="mle-bench-") as tmp:
        tree = ROOT
        if not in_place:
            tree = Path(tmp) / "tree"
            _copy_tree(tree)
            if toc_all:
                _write_full_toc(tree)
        out["chapters_in_toc"] = sorted(p.name for p in (tree / "chapters").glob("*.ipynb") if f"chapters/{p.stem}" in (tree / "_toc.yml").read_text())
        make = ["make", "-o", ".venv/.installed"]
        if "test" in steps:
            out["make_test"] = _timed(make + ["test"], tree, log)
        if "book" in steps:
            out["make_book_strict"] = _timed(make + ["book-strict"], tree, log)
    return out


def _write_full_toc(tree):
    """A _toc.yml for the copy: intro, every chapter in order, then the other pages the real toc or tree has."""
    chapters = [f"chapters/{p.stem}" for p in sorted((tree / "chapters").glob("*.ipynb"))]
    extra = [name for name in ("notation", "api") if (tree / f"{name}.md").exists()]
    entries = chapters + extra + ["references"]
    text = "format: jb-book\nroot: intro\nchapters:\n" + "".join(f"  - file: {e}\n" for e in entries)
    (tree / "_toc.yml").write_text(text)


def bench_venv(log=print):
    """Fresh venv + pip install -r requirements.txt + editable mlelib, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="mle-venv-") as tmp:
        venv = Path(tmp) / "venv"
        t0 = time.perf_counter()
        steps = [
            ["python3", "-m", "venv", str(venv)],
            [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements.txt")],
        ]
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=_ORIGINAL_ENV)
            if proc.returncode:
                log(f"  {' '.join(cmd)} failed: {proc.stderr.strip()[-300:]}")
                return {"wall_s": None, "error": proc.stderr.strip()[-300:]}
        wall = time.perf_counter() - t0
    log(f"  fresh venv + pip install -r requirements.txt: {wall:.1f} s")
    return {"wall_s": wall}


def build_table(b, v):
    rows = []
    b = b or {}
    for key, label, limit in (("make_test", "make test", 120), ("make_book_strict", "make book-strict (forced build)", 120)):
        r = b.get(key)
        if not r:
            continue
        status = "ok" if r["returncode"] == 0 else f"exit {r['returncode']}: " + "; ".join(
            ln.strip()[:120] for ln in r.get("tail", []) if "FAILED" in ln or "failed" in ln
        )[:300]
        rows.append([label, _fmt(r["wall_s"], ".0f"), f"< {limit}", "yes" if r["wall_s"] < limit else "NO", status])
    if v and v.get("wall_s"):
        rows.append(["fresh venv (venv + pip install -r requirements.txt)", _fmt(v["wall_s"], ".0f"), "", "", v.get("note", "")])
        if b.get("make_test"):
            fresh = v["wall_s"] + b["make_test"]["wall_s"]
            rows.append(["fresh make test = venv + make test", _fmt(fresh, ".0f"), "< 300", "yes" if fresh < 300 else "NO", ""])
    if not rows:
        return ""
    where = "a temporary copy of the tree" if not b.get("in_place") else "the checkout"
    toc = ""
    if b.get("chapters_in_toc") is not None:
        toc = f" The book build executed the chapters in the toc: {', '.join(b['chapters_in_toc']) or 'none'}."
    return (
        f"### Test suite, book build and venv (one run each, in {where}; indicative: the machine was shared)\n\n"
        + _table(["what", "wall s", "target s", "met", "status"], rows)
        + toc
    )


# ----------------------------------------------------------------------------------------------
# plot


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (matplotlib.ticker used below)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    colors = {"logistic": "#c44e52", "poisson": "#4c72b0", "linear": "#55a868"}
    for model in MODELS:
        for k, style in zip(sorted({r["k"] for r in rows}), ("-o", "--s", ":^")):
            sel = [r for r in rows if r["model"] == model and r["k"] == k]
            if not sel:
                continue
            n = [r["n"] for r in sel]
            ax1.plot(n, [r["time_ratio"] for r in sel], style, color=colors[model], label=f"{model}, k={k}")
            if model != "linear":
                ax2.plot(n, [r["floor_ratio_mlelib"] for r in sel], style, color=colors[model], label=f"{model}, k={k}")
    ax1.axhline(0.5, color="grey", lw=1, ls="--")
    ax1.axhline(1.0, color="grey", lw=0.8)
    ax1.text(1.0, 0.5, " target (logistic)", transform=ax1.get_yaxis_transform(), fontsize=7, va="bottom", ha="right")
    ax1.set(xscale="log", yscale="log", xlabel=r"rows $n$", ylabel="time mlelib / time reference", title="vs statsmodels / lstsq")
    ax1.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax1.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax1.set_yticks([0.25, 0.5, 1, 2, 4])
    ax2.axhline(2.0, color="grey", lw=1, ls="--")
    ax2.axhline(1.0, color="grey", lw=0.8)
    ax2.text(1.0, 2.0, "target (n >= 1e5) ", transform=ax2.get_yaxis_transform(), fontsize=7, va="bottom", ha="right")
    ax2.set(xscale="log", xlabel=r"rows $n$", ylabel="time / Newton floor", title="vs the Newton floor")
    ax2.set_ylim(bottom=0)
    ax1.legend(fontsize=7)
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ----------------------------------------------------------------------------------------------
# main


def bench_dask(n, data_dir, skip, out_dir, log=print):
    """Run benchmarks/dask_scale.py in a subprocess (its own process tree is what it measures)."""
    import sys

    out_file = Path(tempfile.mkdtemp()) / "dask_scale.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "dask_scale.py"), "--n", str(n), "--data-dir", str(data_dir),
           "--skip", skip, "--out", str(out_file)]
    env = dict(_ORIGINAL_ENV, PYTHONPATH=str(ROOT))
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    result = json.loads(out_file.read_text())
    if out_dir is not None and out_dir.resolve() == RESULTS.resolve():
        (out_dir / "dask_scale.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def summary_markdown(res):
    parts = [f"Measured {res['machine']['date']} on {res['machine']['cpu']} ({res['machine']['cpus']} CPUs, "
             f"{res['machine']['mem_total_gib']} GiB), load average at start {res['machine']['loadavg_start']}."]
    sec = res.get("sections", {})
    if "regression" in sec:
        parts.append(f"_regression measured {sec['regression']['date']}_\n\n" + regression_tables(sec["regression"]["rows"]))
    if "profile" in sec:
        parts.append(profile_table(sec["profile"]["result"]))
    if "gamma" in sec:
        parts.append(gamma_table(sec["gamma"]["result"]))
    if "notebooks" in sec:
        parts.append(f"_notebooks measured {sec['notebooks']['date']}_\n\n" + notebook_table(sec["notebooks"]["rows"]))
    if "dask" in sec and sec["dask"]["result"].get("markdown"):
        parts.append(f"### Dask at scale\n\n_measured {sec['dask']['date']}_\n\n" + sec["dask"]["result"]["markdown"])
    b = sec.get("build", {}).get("result")
    v = sec.get("venv", {}).get("result")
    if b or v:
        parts.append(build_table(b, v))
    return "\n\n".join(p for p in parts if p)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sections", default=",".join(DEFAULT_SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    p.add_argument("--full", action="store_true", help="also time make test and a forced book build (heavy: run once)")
    p.add_argument("--venv", action="store_true", help="also time a fresh venv + pip install -r requirements.txt")
    p.add_argument("--in-place", action="store_true", help="run make test / book-strict in the checkout, not a copy")
    p.add_argument("--build-steps", default="test,book", help="with --full: which of test,book to time")
    p.add_argument("--toc-all-chapters", action="store_true", help="with --full: the copy's toc lists every chapter")
    p.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run, seconds)")
    p.add_argument("--sizes", default="1e4,1e5,1e6", help="rows n for the regression section")
    p.add_argument("--ks", default="10,50", help="columns k for the regression section")
    p.add_argument("--repeats", type=int, default=3, help="repeats (best of) for n < 1e6")
    p.add_argument("--profile-sizes", default="1e4x10,1e5x50,1e6x50", help="n x k of the fit_logistic profiles")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads for the library sections (default 1: steadier on a shared machine; 0 = library default). "
        "Notebooks, make test and the book build always run with the environment as given",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    p.add_argument("--dask-n", default="5e7", help="rows of the dask section (5e7 x 20 float64 = 8 GB)")
    p.add_argument("--dask-dir", default=os.environ.get("MLELIB_BIGDATA", "/work/bigdata/i20"),
                   help="where the dask section writes its data (outside the repository; reused when present)")
    p.add_argument("--dask-skip", default="", help="dask section: comma-separated fitters to skip (dask_glm, dask_ml)")
    p.add_argument("--out", default=str(RESULTS), help="results directory")
    p.add_argument("--no-write", action="store_true", help="print only, write no files")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = sorted(set(sections) - set(SECTIONS))
    if bad:
        raise SystemExit(f"unknown section(s) {bad}; choose from {SECTIONS}")
    if args.full and "build" not in sections:
        sections.append("build")
    if args.venv and "venv" not in sections:
        sections.append("venv")
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    ks = [int(s) for s in args.ks.split(",")]
    profile_sizes = [tuple(int(float(v)) for v in s.split("x")) for s in args.profile_sizes.split(",") if s]
    if args.quick:
        sizes, ks, args.repeats, profile_sizes = [1000, 5000], [3, 10], 1, [(5000, 10)]
    if args.threads > 0:
        # before numpy is imported (everything imports it lazily); subprocesses get the original env
        for var in _THREAD_VARS:
            os.environ[var] = str(args.threads)

    out_dir = Path(args.out)
    previous = {}
    if not args.no_write and (out_dir / "results.json").exists():
        with contextlib.suppress(ValueError, OSError):
            previous = json.loads((out_dir / "results.json").read_text()).get("sections", {})
    res = {"machine": machine_description(), "sections": dict(previous)}
    print(f"mlelib benchmarks, {res['machine']['date']}, {res['machine']['cpu']}, load {res['machine']['loadavg_start']}")
    t_start = time.perf_counter()

    if "regression" in sections:
        print("regression (time ratios: mlelib / reference; floor ratio: mlelib / (Newton products x iterations))")
        rows = bench_regression(sizes, ks, args.repeats, memory=not args.no_memory)
        res["sections"]["regression"] = {"date": _now(), "rows": rows}
    if "profile" in sections:
        print("profile")
        res["sections"]["profile"] = {"date": _now(), "result": [bench_profile(n, k, max(args.repeats, 2)) for n, k in profile_sizes]}
    if "gamma" in sections:
        print("gamma")
        res["sections"]["gamma"] = {"date": _now(), "result": bench_gamma([10**4, 10**6] if not args.quick else [1000], args.repeats)}
    if "notebooks" in sections:
        print("notebooks")
        paths = sorted((ROOT / "chapters").glob("*.ipynb"))
        res["sections"]["notebooks"] = {"date": _now(), "rows": bench_notebooks(paths)}
    if "dask" in sections:
        print("dask (fit_logistic from disk on a LocalCluster vs dask-glm, dask-ml and the I/O floor)")
        res["sections"]["dask"] = {"date": _now(), "result": bench_dask(args.dask_n, args.dask_dir, args.dask_skip, None if args.no_write else out_dir)}
    if "build" in sections:
        print("build (make test, make book-strict: once each)")
        steps = [x.strip() for x in args.build_steps.split(",") if x.strip()]
        result = bench_build(args.in_place, steps, args.toc_all_chapters)
        previous_build = (previous.get("build") or {}).get("result") or {}
        for key in ("make_test", "make_book_strict"):  # keep the last figure of a step not re-run
            if key not in result and key in previous_build:
                result[key] = dict(previous_build[key], date=(previous.get("build") or {}).get("date"))
        res["sections"]["build"] = {"date": _now(), "result": result}
    if "venv" in sections:
        print("venv")
        res["sections"]["venv"] = {"date": _now(), "result": bench_venv()}

    res["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["machine"]["run_seconds"] = round(time.perf_counter() - t_start, 1)
    res["machine"]["sections_run"] = sections
    md = summary_markdown(res)
    print()
    print(md)
    print(f"\nrun time {res['machine']['run_seconds']} s, load average at end {res['machine']['loadavg_end']}")
    if args.no_write:
        return res
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(res, indent=1, default=float) + "\n")
    (out_dir / "summary.md").write_text(md + "\n")
    reg = res["sections"].get("regression", {}).get("rows")
    if reg:
        with open(out_dir / "regression.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(reg[0]))
            writer.writeheader()
            writer.writerows(reg)
        plot(reg, out_dir / "ratios.png")
    nbs = res["sections"].get("notebooks", {}).get("rows")
    if nbs:
        with open(out_dir / "notebooks.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(nbs[0]))
            writer.writeheader()
            writer.writerows(nbs)
    readme = ROOT / "benchmarks" / "README.md"
    if out_dir.resolve() == RESULTS.resolve() and readme.exists():
        _update_readme(readme, md)
    print(f"wrote {out_dir}/results.json, summary.md, regression.csv, notebooks.csv, ratios.png")
    return res


def _update_readme(readme, md):
    """Replace the text between the 'latest figures' markers of benchmarks/README.md with `md`."""
    start, end = "<!-- latest figures: start (written by benchmarks/run.py) -->", "<!-- latest figures: end -->"
    text = readme.read_text()
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        readme.write_text(f"{head}{start}\n\n{md}\n\n{end}{tail}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
r"""Logistic regression beyond memory: ``fit_logistic`` on a Dask array read from disk, at scale.

Not part of ``make test`` or CI (it writes n x k float64 to disk: 8 GB at the default n = 5e7,
k = 20, and reads it some twenty-five times). Run it through ``make bench BENCH_ARGS="--sections dask"``
(which passes ``--dask-n``/``--dask-dir`` on) or directly::

    .venv/bin/python benchmarks/dask_scale.py --n 5e6 --data-dir /work/bigdata/i20   # a quick run
    .venv/bin/python benchmarks/dask_scale.py --n 5e7 --data-dir /work/bigdata/i20   # the full size

What it does, on one ``dask.distributed`` ``LocalCluster`` (2 worker processes x 1 thread, loopback):

1. writes, once, X (intercept + k - 1 standard-normal columns) and y ~ Bernoulli(sigmoid(X beta))
   as uncompressed zarr arrays chunked by rows, chunk by chunk from a seeded generator (chunk i
   uses ``default_rng([seed, i])``, so the data do not depend on the chunk order or the machine's
   memory); an existing data set with the same parameters is reused;
2. the **I/O floor**: the time of one pass that only reads every chunk of X and y on the workers
   (measured twice before the fits, to fill the page cache, and once after; the smallest is used),
   times the number of passes a fit needs;
3. ``mlelib.fit_logistic(X, y)`` on the Dask arrays (map-reduce Newton, ``mlelib.chunked``), first
   and again after the other fitters (its time is the mean of the two);
4. ``dask_glm.algorithms.newton(X, y, family=Logistic)`` (twice: after mlelib's first run and
   after its second, so the ratio of the two means is paired) and dask-ml's
   ``LogisticRegression(penalty=None, solver="newton").fit(X[:, 1:], y)`` (it adds the intercept
   itself) on the same arrays and cluster; their iterations are counted as their calls of
   ``dask.array.compute`` (one per Newton iteration, plus one for the column means and standard
   deviations of their ``normalize`` step);
5. peak resident memory of the whole process tree (this process, which runs the scheduler, plus the
   nannies and workers), sampled every 50 ms with psutil, and the load average;
6. the estimates of the chunked fit against the in-memory ``fit_logistic`` on a subsample (the first
   2e5 rows) read from the same store, and against dask-glm's and dask-ml's full-data estimates.

Results: ``benchmarks/results/dask_scale.json`` and the markdown table printed (``--markdown``).
"""

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SEED = 20261125


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def true_beta(k, seed=SEED):
    """The coefficients of the simulation: intercept -0.5, slopes N(0, 1/k) (a well-posed fit)."""
    rng = np.random.default_rng([seed, 2**31])
    beta = rng.normal(size=k) / np.sqrt(k)
    beta[0] = -0.5
    return beta


def generate(data_dir, n, k, chunk_rows, seed=SEED, log=print):
    """Write X.zarr and y.zarr (uncompressed float64, chunked by rows) unless they already exist."""
    import zarr

    data_dir = Path(data_dir)
    meta_path = data_dir / "meta.json"
    meta = {"n": n, "k": k, "chunk_rows": chunk_rows, "seed": seed, "format": "zarr, uncompressed float64"}
    if meta_path.exists() and json.loads(meta_path.read_text()) == meta:
        log(f"reusing {data_dir} ({meta})")
        return meta
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    beta = true_beta(k, seed)
    kw = {"chunks": None, "dtype": "f8", "compressors": None, "overwrite": True}
    X = zarr.create_array(store=str(data_dir / "X.zarr"), shape=(n, k), **dict(kw, chunks=(chunk_rows, k)))
    y = zarr.create_array(store=str(data_dir / "y.zarr"), shape=(n,), **dict(kw, chunks=(chunk_rows,)))
    t0 = time.perf_counter()
    for i, start in enumerate(range(0, n, chunk_rows)):
        m = min(chunk_rows, n - start)
        rng = np.random.default_rng([seed, i])
        xb = np.empty((m, k))
        xb[:, 0] = 1.0
        xb[:, 1:] = rng.standard_normal((m, k - 1))
        X[start : start + m] = xb
        y[start : start + m] = (rng.random(m) < _sigmoid(xb @ beta)).astype(float)
        if i % 20 == 0:
            log(f"  wrote rows {start + m:,} of {n:,} ({time.perf_counter() - t0:.0f} s)")
    meta_path.write_text(json.dumps(meta))
    log(f"wrote {n * k * 8 / 1e9:.2f} GB of X to {data_dir} in {time.perf_counter() - t0:.0f} s")
    return meta


class TreeMemory:
    """Peak total RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, interval=0.05):
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self._peak = 0
        self._stop = threading.Event()
        self.load_peak = 0.0

    def total(self):
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            with contextlib.suppress(Exception):
                total += p.memory_info().rss
        return total

    @contextlib.contextmanager
    def measure(self, out):
        self._peak = self.total()
        base = self._peak
        self._stop.clear()
        load = [os.getloadavg()[0]]

        def run():
            while not self._stop.is_set():
                self._peak = max(self._peak, self.total())
                load.append(os.getloadavg()[0])
                self._stop.wait(self.interval)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            out["seconds"] = time.perf_counter() - t0
            self._stop.set()
            t.join()
            out["peak_rss_gb"] = max(self._peak, self.total()) / 1e9
            out["baseline_rss_gb"] = base / 1e9
            out["load_mean"] = float(np.mean(load))


def _touch(xb, yb):
    """Read one chunk of X and of y and return a number that depends on both (so nothing is skipped)."""
    return float(xb[-1, -1]) + float(yb[-1])


def read_pass(X, y):
    import dask

    tasks = [dask.delayed(_touch, pure=True)(xb, yb) for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel())]
    return sum(dask.compute(*tasks))


@contextlib.contextmanager
def count_da_compute(counter):
    """Count calls of dask.array.compute (dask-glm calls it once per Newton iteration)."""
    import dask.array as da

    original = da.compute

    def counting(*args, **kwargs):
        counter[0] += 1
        return original(*args, **kwargs)

    da.compute = counting
    try:
        yield
    finally:
        da.compute = original


def reference_fit(name, X, y, mem, beta_ours):
    """dask-glm's Newton or dask-ml's LogisticRegression on the Dask arrays: time, memory, iterations."""
    rec, counter = {}, [0]
    with count_da_compute(counter), mem.measure(rec):
        if name == "dask_glm":
            from dask_glm.algorithms import newton
            from dask_glm.families import Logistic

            beta = np.asarray(newton(X, y, family=Logistic))
        else:
            from dask_ml.linear_model import LogisticRegression

            est = LogisticRegression(penalty=None, solver="newton").fit(X[:, 1:], y)
            beta = np.concatenate([[est.intercept_], est.coef_])
    rec["da_compute_calls"] = counter[0]
    rec["niter"] = counter[0] - 1  # one compute is the normalize step's mean/std
    rec["max_abs_diff_vs_mlelib"] = float(np.abs(beta - beta_ours).max())
    return rec


def run(data_dir, n, k, chunk_rows, subsample=200_000, skip=(), log=print):
    import dask.array as da
    from distributed import Client, LocalCluster

    import mlelib

    generate(data_dir, n, k, chunk_rows, log=log)
    out = {
        "n": n,
        "k": k,
        "chunk_rows": chunk_rows,
        "nchunks": -(-n // chunk_rows),
        "data_gb": n * k * 8 / 1e9,
        "cpu_count": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    mem = TreeMemory()
    saved_env = dict(os.environ)  # distributed's nanny leaves OMP_NUM_THREADS=1 etc. in os.environ
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster, Client(cluster):
        X = da.from_zarr(str(Path(data_dir) / "X.zarr"))
        y = da.from_zarr(str(Path(data_dir) / "y.zarr"))
        out["cluster_idle_rss_gb"] = mem.total() / 1e9
        # two read passes first: the second shows whether the data now sit in the page cache, so
        # that no fitter pays for (or profits from) the cache being filled during another's run
        reads = []
        for _ in range(2):
            r = {}
            with mem.measure(r):
                read_pass(X, y)
            reads.append(r)
            log(f"read pass: {r['seconds']:.1f} s")

        ours = {}
        with mem.measure(ours):
            res = mlelib.fit_logistic(X, y)
        ours.update(niter=res.niter, passes=res.passes, start_rows=res.start_rows, converged=bool(res.converged))
        out["mlelib"] = ours
        log(f"mlelib: {ours}")
        beta_ours = res.params

        for name in ("dask_glm", "dask_ml"):
            if name not in skip:
                out[name] = reference_fit(name, X, y, mem, beta_ours)
                log(f"{name}: {out[name]}")

        # mlelib and dask-glm once more, last: the ratio of their means does not depend on the order,
        # nor on drift in the load or the cache during the run
        again = {}
        with mem.measure(again):
            mlelib.fit_logistic(X, y)
        out["mlelib_repeat"] = again
        log(f"mlelib again: {again}")
        if "dask_glm" not in skip:
            out["dask_glm_repeat"] = reference_fit("dask_glm", X, y, mem, beta_ours)
            log(f"dask_glm again: {out['dask_glm_repeat']}")
        r = {}
        with mem.measure(r):
            read_pass(X, y)
        reads.append(r)
        log(f"read pass: {r['seconds']:.1f} s")
        out["read_pass"] = reads
        out["read_pass_s"] = min(x["seconds"] for x in reads)

        # estimates equal to the in-memory fit on a subsample read from the same store
        m = min(subsample, n)
        chunked = mlelib.fit_logistic(X[:m], y[:m])
        Xs, ys = X[:m].compute(), y[:m].compute()
        mem_fit = mlelib.fit_logistic(Xs, ys)
        out["subsample"] = {
            "rows": m,
            "max_rel_param_diff": float(np.max(np.abs(chunked.params - mem_fit.params) / np.abs(mem_fit.params))),
            "max_rel_bse_diff": float(np.max(np.abs(chunked.bse / mem_fit.bse - 1))),
            "loglik_diff": float(chunked.loglik - mem_fit.loglik),
        }
        out["beta_true_max_abs_err"] = float(np.abs(beta_ours - true_beta(k)).max())
        out["max_bse"] = float(res.bse.max())
    os.environ.clear()
    os.environ.update(saved_env)
    out["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    out["floor_s"] = out["read_pass_s"] * ours["passes"]
    # mlelib's time: the mean of its two runs (first and last), so drift in the load or the cache
    # during the run does not favour it
    out["mlelib_seconds_mean"] = (ours["seconds"] + out["mlelib_repeat"]["seconds"]) / 2
    out["ratio_time_vs_floor"] = out["mlelib_seconds_mean"] / out["floor_s"]
    if "dask_glm" in out:
        runs = [out["dask_glm"]["seconds"]] + ([out["dask_glm_repeat"]["seconds"]] if "dask_glm_repeat" in out else [])
        out["dask_glm_seconds_mean"] = float(np.mean(runs))
        out["ratio_time_vs_dask_glm"] = out["mlelib_seconds_mean"] / out["dask_glm_seconds_mean"]
    if "dask_ml" in out:
        out["ratio_time_vs_dask_ml"] = out["mlelib_seconds_mean"] / out["dask_ml"]["seconds"]
    return out


def markdown(out):
    """The results as a markdown table, with the targets of issue 20."""
    o = out
    rows = [("mlelib `fit_logistic` (Dask)", o["mlelib"])]
    if "mlelib_repeat" in o:
        rows.append(("mlelib `fit_logistic` (Dask), again after the others", dict(o["mlelib"], **o["mlelib_repeat"])))
    for name, label in (
        ("dask_glm", "dask-glm `newton`"),
        ("dask_glm_repeat", "dask-glm `newton`, again after the others"),
        ("dask_ml", "dask-ml `LogisticRegression(solver='newton')`"),
    ):
        if name in o:
            rows.append((label, o[name]))
    lines = [
        f"n = {o['n']:,} rows x k = {o['k']} columns, float64 zarr on disk ({o['data_gb']:.1f} GB, "
        f"{o['nchunks']} chunks of {o['chunk_rows']:,} rows); LocalCluster 2 workers x 1 thread on "
        f"{o['cpu_count']} cores; load average {o['loadavg_start'][0]} at start, {o['loadavg_end'][0]} at end; {o['date']}",
        "",
        "| fitter | time (s) | Newton iterations | passes over the data | peak RSS, all processes (GB) | mean load | max abs diff of estimates vs mlelib |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in rows:
        passes = r.get("passes", r.get("da_compute_calls", "-"))
        diff = f"{r['max_abs_diff_vs_mlelib']:.1e}" if "max_abs_diff_vs_mlelib" in r else "-"
        lines.append(
            f"| {label} | {r['seconds']:.1f} | {r['niter']} | {passes} | {r['peak_rss_gb']:.2f} | {r['load_mean']:.1f} | {diff} |"
        )
    reads = ", ".join(f"{r['seconds']:.1f}" for r in o["read_pass"])
    lines += [
        "",
        f"- I/O floor: one read pass of X and y on the workers takes {o['read_pass_s']:.1f} s (runs: {reads}); "
        f"x {o['mlelib']['passes']} passes = {o['floor_s']:.1f} s.",
        f"- mlelib's time below is the mean of its two runs, {o['mlelib_seconds_mean']:.1f} s"
        + (f", dask-glm's {o['dask_glm_seconds_mean']:.1f} s" if "dask_glm_seconds_mean" in o else "")
        + f"; mlelib's Newton started from the in-memory fit on {o['mlelib'].get('start_rows', 0):,} rows (0: from beta = 0).",
        f"- Ratios: time / I/O floor = **{o['ratio_time_vs_floor']:.2f}** (target <= 1.5)"
        + (f"; time / dask-glm = **{o['ratio_time_vs_dask_glm']:.2f}** (target <= 0.5)" if "ratio_time_vs_dask_glm" in o else "")
        + (f"; time / dask-ml = **{o['ratio_time_vs_dask_ml']:.2f}**" if "ratio_time_vs_dask_ml" in o else "")
        + f"; peak memory {o['mlelib']['peak_rss_gb']:.2f} GB (target <= 2; idle cluster {o['cluster_idle_rss_gb']:.2f} GB).",
        f"- Subsample check (first {o['subsample']['rows']:,} rows, chunked from disk vs in memory): max relative "
        f"difference {o['subsample']['max_rel_param_diff']:.1e} in the estimates, {o['subsample']['max_rel_bse_diff']:.1e} "
        f"in the standard errors, {o['subsample']['loglik_diff']:.1e} in the log-likelihood.",
    ]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", default="5e7", help="rows (default 5e7: 8 GB at k = 20)")
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--chunk-rows", type=int, default=2**18)
    p.add_argument("--data-dir", default=os.environ.get("MLELIB_BIGDATA", "/work/bigdata/i20"))
    p.add_argument("--skip", default="", help="comma-separated: dask_glm, dask_ml")
    p.add_argument("--generate-only", action="store_true")
    p.add_argument("--out", default=str(RESULTS / "dask_scale.json"), help="results file ('' = do not write)")
    args = p.parse_args(argv)
    n = int(float(args.n))
    data_dir = Path(args.data_dir) / f"n{n}_k{args.k}"
    if args.generate_only:
        generate(data_dir, n, args.k, args.chunk_rows)
        return None
    out = run(data_dir, n, args.k, args.chunk_rows, skip=tuple(s for s in args.skip.split(",") if s))
    md = markdown(out)
    out["markdown"] = md
    print(md)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return out


if __name__ == "__main__":
    sys.exit(0 if main() is not None or "--generate-only" in sys.argv else 1)

"""Check that every chapter prints the same text on other numeric code paths: the portability check.

Run from the project root (``make portability`` does):  .venv/bin/python tools/portability.py

The stored outputs of the notebooks are the course's claims. ``make test`` re-runs them on this
machine's default arithmetic; a reader's machine may use other BLAS kernels, other CPU instruction
sets in torch, or another thread count, and those change the last bits of sums and products. This
check re-runs every chapter under other settings of the same machine and compares its text outputs
with the stored ones exactly as nbval does (it *is* nbval: same sanitizing file, same
``# NBVAL_IGNORE_OUTPUT`` markers, same strictness), then reports each cell that differs, with both
texts.

Two steps:

1. **Probe.** Each environment variable used below is tried alone in a fresh interpreter that
   computes a few fingerprints (numpy matmul, dot and solve through OpenBLAS; torch reductions,
   elementwise kernels and matmul). A variable that changes none of them tests nothing on this
   machine; the check says so and fails, so that a green result always means "the chapters were
   re-run on arithmetic that really differs".
2. **Chapters.** For each setting, ``pytest --nbval`` over the notebooks in a subprocess with that
   environment; failures are collected from its JUnit XML and printed per cell.

Options: ``--settings NAME ...`` (default: the two of ``DEFAULT_SETTINGS``), ``--probe-only``, notebooks as positional
arguments (default: ``chapters/*.ipynb``). Exit status 1 if a probe or a cell failed.
"""

import argparse
import json
import os
import re
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
TWO_THREADS = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}

# Each setting is a whole environment change; together they move every numeric library the
# chapters use off the default path: OpenBLAS (numpy, scipy) by kernel and thread count, torch's
# ATen elementwise/reduction kernels by instruction set, torch's MKL BLAS by its reproducibility
# branch (MKL_CBWR; on this AMD machine MKL ignores MKL_ENABLE_INSTRUCTIONS, see the probe).
SETTINGS = {
    "sandybridge-1thread": {"OPENBLAS_CORETYPE": "Sandybridge", **ONE_THREAD},
    "prescott-scalar-torch": {
        "OPENBLAS_CORETYPE": "Prescott",
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_CBWR": "COMPATIBLE",
        **TWO_THREADS,
    },
    "nehalem-avx2-torch": {"OPENBLAS_CORETYPE": "Nehalem", "ATEN_CPU_CAPABILITY": "avx2", **TWO_THREADS},
}
# What `make portability` (and CI) runs: the two settings that between them move every variable off
# this machine's default path. The third (torch's AVX2 kernels; on this machine it changes only
# log_softmax among the probes) is there for `--settings nehalem-avx2-torch`.
DEFAULT_SETTINGS = ["sandybridge-1thread", "prescott-scalar-torch"]

PROBE = r"""
import hashlib, json
import numpy as np
import torch

def h(a):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    return hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()[:12]

rng = np.random.default_rng(0)
A = rng.standard_normal((300, 300))
x = rng.standard_normal(100_001)
g = torch.Generator().manual_seed(0)
T = torch.randn(300, 300, generator=g, dtype=torch.float64)
t = torch.randn(100_001, generator=g, dtype=torch.float32)
print(json.dumps({
    "numpy A @ A (OpenBLAS gemm)": h(A @ A),
    "numpy x @ x (OpenBLAS dot)": h(x @ x),
    "numpy solve (OpenBLAS LAPACK)": h(np.linalg.solve(A, A[0])),
    "torch T @ T float64 (MKL gemm)": h(T @ T),
    "torch T @ v float64 (MKL gemv)": h(T @ T[0]),
    "torch sum float32 (ATen reduction)": h(t.sum()),
    "torch sum float64 (ATen reduction)": h(t.double().sum()),
    "torch tanh float32 (ATen elementwise)": h(torch.tanh(t)),
    "torch log_softmax float64 (ATen)": h(torch.log_softmax(T, 1)),
}))
"""


def _env(extra):
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _fingerprints(extra):
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=_env(extra), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def probe(settings):
    """Try each variable alone; return the list of variables that change nothing here."""
    variables = sorted({(k, v) for s in settings.values() for k, v in s.items()})
    base = _fingerprints({})
    print(f"probe: baseline environment "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
          f"threads={os.environ.get('OMP_NUM_THREADS', 'default')})")
    idle = []
    # Thread counts are probed as one group: alone, OMP_NUM_THREADS=1 steers only torch.
    groups = {}
    for k, v in variables:
        key = ("threads", v) if k.endswith("_NUM_THREADS") else (k, v)
        groups.setdefault(key, {})[k] = v
    for (name, value), extra in sorted(groups.items()):
        default = str(os.cpu_count()) if name == "threads" else None
        if all(os.environ.get(k, default) == v for k, v in extra.items()):
            # Already the baseline (e.g. the thread count of this machine, stated explicitly in a setting
            # so that a machine with more cores runs the same count; or a caller that set it already).
            print(f"  {' '.join(f'{k}={v}' for k, v in sorted(extra.items()))}: already the baseline here (not a change)")
            continue
        fp = _fingerprints(extra)
        changed = [what for what in base if fp[what] != base[what]]
        label = " ".join(f"{k}={v}" for k, v in sorted(extra.items()))
        if changed:
            print(f"  {label}: changes {len(changed)} of {len(base)}: {'; '.join(changed)}")
        else:
            print(f"  {label}: changes NOTHING on this machine")
            idle.append(label)
    return idle


def _failures(junit):
    root = ET.parse(junit).getroot()
    for case in root.iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            # pytest's classname of "chapters/07_neural.ipynb" is "chapters.07_neural.ipynb"
            stem = case.get("classname", "").removesuffix(".ipynb").replace(".", "/")
            where = f"{stem}.ipynb::{case.get('name', '')}"
            text = (bad.text or bad.get("message") or "").strip()
            # JUnit XML keeps nbval's terminal colours as "#x1B[91m": drop them.
            yield where, re.sub(r"(#x1B|\x1b)\[[0-9;]*m", "", text)


def run_setting(name, extra, notebooks):
    """nbval over `notebooks` with the environment `extra`; return the failing cells."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        # -c: the project's nbval options (sanitizing file, strictness) apply wherever the notebooks are.
        paths = [Path(nb).resolve() for nb in notebooks]
        inside = all(ROOT in p.parents for p in paths)
        rootdir = ROOT if inside else Path(os.path.commonpath([p.parent for p in paths]))
        cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(rootdir),
               *notebooks, "-q", "--no-header",
               f"--junitxml={junit}"]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=_env(extra), capture_output=True, text=True)
        took = time.monotonic() - start
        fails = list(_failures(junit)) if junit.exists() else []
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not fails):
        fails.append((f"pytest exit {proc.returncode}", proc.stdout[-3000:] + proc.stderr[-3000:]))
    print(f"setting {name} ({' '.join(f'{k}={v}' for k, v in extra.items())}): "
          f"{'ok' if not fails else f'{len(fails)} cell(s) differ'} ({took:.0f} s)")
    for where, text in fails:
        print(f"--- {where} [{name}]")
        print("\n".join("    " + line for line in text.splitlines()[-40:]))
    return fails


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="default: chapters/*.ipynb")
    parser.add_argument("--settings", nargs="+", choices=sorted(SETTINGS), default=DEFAULT_SETTINGS)
    parser.add_argument("--probe-only", action="store_true")
    parser.add_argument("--skip-probe", action="store_true", help="do not probe the variables first")
    args = parser.parse_args(argv)
    if platform.machine() not in ("x86_64", "AMD64"):
        print(f"the settings are x86-64 kernel names; this machine is {platform.machine()}: nothing to do")
        return 0
    settings = {name: SETTINGS[name] for name in args.settings}
    idle = [] if args.skip_probe else probe(settings)
    failed = bool(idle)
    if idle:
        print(f"FAILED probe: {', '.join(idle)} change(s) no computation here, so they would test nothing")
    if not args.probe_only:
        notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "chapters").glob("*.ipynb"))
        for name, extra in settings.items():
            if run_setting(name, extra, notebooks):
                failed = True
    print("portability check " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

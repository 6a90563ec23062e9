# Two commands for a newcomer: `make book` and `make test`. Both create .venv when it is missing.
# The course is tested on Python 3.11 (what CI runs): use python3.11 from the PATH when there is one,
# so that a machine whose python3 is 3.12-3.14 still works; `make PYTHON=/path/to/python3.11` overrides.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB := $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html

.PHONY: help venv test portability book book-strict check-site bench lint lab execute clean

help:
	@echo "make book         build the HTML site into _build/html (open _build/html/index.html)"
	@echo "make test         unit tests + strict nbval on every notebook"
	@echo "make portability  re-run every chapter under other BLAS kernels, torch CPU kernels and thread counts"
	@echo "make book-strict  rebuild the site, re-executing every notebook (what CI does)"
	@echo "make check-site   check the built site in headless Chromium; screenshots in _build/screenshots"
	@echo "make bench        benchmarks: mlelib vs statsmodels, notebook times (BENCH_ARGS=--full adds test+book)"
	@echo "make lint         the shared notebook lint"
	@echo "make lab          JupyterLab inside the venv, to run the chapters yourself"
	@echo "make execute      re-execute the chapters in place (after changing a chapter or mlelib)"
	@echo "make clean        remove _build"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else f"need Python 3.11 (the version CI tests); $(PYTHON) is {sys.version.split()[0]}. Get 3.11 with `uv python install 3.11` or `pyenv install 3.11`, then run make again (or make PYTHON=/path/to/python3.11 ...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	# Build matplotlib's font cache now, so its one-time notice never lands in a notebook's stderr.
	MPLBACKEND=Agg $(BIN)/python -c "import matplotlib.pyplot"
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

# The stored outputs must be what any machine prints: re-run every chapter under other numeric code
# paths of this machine (OpenBLAS kernels, torch's ATen instruction set, MKL's branch, threads) and
# compare with nbval (tools/portability.py; NB=chapters/NN_x.ipynb for one chapter).
portability: $(STAMP)
	$(BIN)/python tools/portability.py $(NB)

book: $(STAMP)
	$(JB)

# The jupyter-cache does not notice changes to mlelib, so the strict build drops it and re-executes
# everything; --all also re-reads the pages Sphinx believes unchanged (their sources did not change).
book-strict: $(STAMP)
	rm -rf _build/.jupyter_cache
	$(JB) --all

# Check the site built by `make book` / `make book-strict` as a reader sees it: offline, every internal
# link and anchor, the API page complete, math typeset and figures loaded in headless Chromium (Debian's
# package, installed here when missing and running as root), a screenshot of each page; every
# animation plays. Then the browser test of the checker itself (tiny pages with working and broken
# animation players; skipped by `make test` because it starts Chromium). Both run; either fails it.
check-site: $(STAMP)
	@bash tools/install_chromium.sh
	@status=0; \
	$(BIN)/python tools/check_site.py _build/html || status=1; \
	CHECK_SITE_BROWSER=1 $(BIN)/python -m pytest -q tests/test_check_site.py || status=1; \
	exit $$status

# Not part of `make test` or CI: timings, written to benchmarks/results/ (see benchmarks/README.md).
# The benchmark-only reference packages (dask-glm, dask-ml, zarr) are installed first.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

lint:
	$(PYTHON) ../shared/tools/nblint.py

lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=300 \
		--NotebookExporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor \
		$(or $(NB),chapters/*.ipynb)

clean:
	rm -rf _build

# Two commands for a newcomer: `make book` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JB := $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going --builder html

.PHONY: help venv test book book-strict check-site bench lint lab execute clean

help:
	@echo "make book         build the HTML site into _build/html (open _build/html/index.html)"
	@echo "make test         unit tests + strict nbval on every notebook"
	@echo "make book-strict  rebuild the site, re-executing every notebook (what CI does)"
	@echo "make check-site   check the built site in headless Chromium; screenshots in _build/screenshots"
	@echo "make bench        benchmarks: mlelib vs statsmodels, notebook times (BENCH_ARGS=--full adds test+book)"
	@echo "make lint         the shared notebook lint"
	@echo "make lab          JupyterLab inside the venv, to run the chapters yourself"
	@echo "make execute      re-execute the chapters in place (after changing a chapter or mlelib)"
	@echo "make clean        remove _build"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"need Python 3.11, found {sys.version.split()[0]}"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	# Build matplotlib's font cache now, so its one-time notice never lands in a notebook's stderr.
	MPLBACKEND=Agg $(BIN)/python -c "import matplotlib.pyplot"
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest

book: $(STAMP)
	$(JB)

# The jupyter-cache does not notice changes to mlelib, so the strict build drops it and re-executes
# everything; --all also re-reads the pages Sphinx believes unchanged (their sources did not change).
book-strict: $(STAMP)
	rm -rf _build/.jupyter_cache
	$(JB) --all

# Check the site built by `make book` / `make book-strict` as a reader sees it: offline, every internal
# link and anchor, the API page complete, math typeset and figures loaded in headless Chromium (Debian's
# package, installed here when missing and running as root), a screenshot of each page.
check-site: $(STAMP)
	@bash tools/install_chromium.sh
	$(BIN)/python tools/check_site.py _build/html

# Not part of `make test` or CI: timings, written to benchmarks/results/ (see benchmarks/README.md).
bench: $(STAMP)
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

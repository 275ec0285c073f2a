# colorkit: the two set-up commands are `make demo` and `make test` (see README.md).
# Each target creates .venv with `python3 -m venv` and installs colorkit on first use;
# re-running is fast because the install is stamped against pyproject.toml.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.colorkit-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export MPLBACKEND ?= agg
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: browser-deps demo test test-fast lint bench lab explore model-card notebooks-clean clean help wheel install-sizes

help:
	@echo "make demo   - set up .venv and colorize the sample photos into outputs/"
	@echo "make test   - set up .venv and run every test (ruff, pytest, doctests, notebooks)"
	@echo "make bench  - run the benchmarks, write benchmarks/results.md"
	@echo "make lab    - open JupyterLab on notebooks/"
	@echo "make wheel  - build dist/colorkit_course-<version>-py3-none-any.whl"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# The distribution was called "colorkit" before 0.1.0 became colorkit-course.
	@$(BIN)/python -m pip uninstall -q -y colorkit 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --output outputs

lint: $(STAMP)
	$(BIN)/ruff check colorkit tests benchmarks scripts
	$(BIN)/ruff format --check colorkit tests benchmarks scripts

test: $(STAMP) lint browser-deps
	$(BIN)/python scripts/check_notebooks_clean.py notebooks
	$(BIN)/python -m pytest -q --timeout=900

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not notebook and not browser"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --output benchmarks/results.md

# The distribution (pip install dist/colorkit_course-*.whl, extras: README.md "Installing").
wheel: $(STAMP)
	rm -rf build/lib dist/colorkit_course-*.whl
	$(BIN)/python -m pip wheel -q --no-deps --wheel-dir dist .

# Installed size of the core install and of each extra, in fresh virtual environments (slow:
# installs TensorFlow a few times); prints the README table.
install-sizes: wheel
	$(BIN)/python scripts/install_sizes.py dist/colorkit_course-*.whl

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf outputs build .pytest_cache .ruff_cache

# Debian's chromium for the real-browser tests (not a pip download); skipped when present.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The explorer (notebooks/07_explorer.ipynb) as a web app for a class: http://127.0.0.1:8866
explore: $(STAMP)
	$(BIN)/voila notebooks/07_explorer.ipynb --no-browser --Voila.ip=127.0.0.1 --port=8866

# Regenerate docs/MODEL_CARD.md and its figures from the shipped weights (a script, no hand-typed numbers).
model-card: $(STAMP)
	$(BIN)/python scripts/model_card.py $(MODEL_CARD_ARGS)

# The course kit (course/README.md): nbgrader student releases in build/course/release/, with the
# solutions autograded to full marks and blank submissions to 0 (fails otherwise).
.PHONY: assignments book
assignments: $(STAMP)
	$(BIN)/python scripts/make_assignments.py --output build/course --check

# The notebooks with their outputs plus the course pages, as a Jupyter Book (offline):
# build/book/_build/html/index.html. Built from the full-mode runs of `make notebooks-full`
# (build/notebooks-full) when every notebook passed there, else executed in smoke mode here;
# SMOKE=1 forces smoke mode, QUICK=1 reuses test-artifacts/notebooks (or runs 01 only).
book: $(STAMP)
	$(BIN)/python scripts/build_book.py --output build/book $(if $(QUICK),--quick) $(if $(SMOKE),--smoke)

# Every notebook in full mode (SMOKE = False) with the shipped models; the claim cells assert
# their measured directions. Executed copies in build/notebooks-full/, each notebook's wall time
# in build/notebooks-full/timings.json and course/notebook_timings.md (linked by the guide).
# NOTEBOOKS="05 06" runs only those.
.PHONY: notebooks-full
notebooks-full: $(STAMP)
	$(BIN)/python scripts/run_notebooks_full.py --output build/notebooks-full $(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS))

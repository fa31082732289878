# Two commands on a fresh machine:
#   make build   set up the virtualenv and run `dbt build` on the embedded data
#   make test    set up the virtualenv and run every test
# VENV=<path> picks the virtualenv (default .venv); it is created when missing.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

# dbt reads profiles.yml from the project root; no telemetry (the machines have no network).
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
# Small scikit-learn calls busy-wait in OpenMP on 2-core machines; one thread is faster here.
export OMP_NUM_THREADS ?= 1

DBT := $(BIN)/dbt

.PHONY: setup build test clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

# The file BI tools read; `make build` replaces it only after a fully successful dbt build.
SERVING_PATH ?= customer_segmentation_serving.duckdb
# Extra dbt arguments, e.g. make build DBT_ARGS="--vars '{n_segments: 6}'"
DBT_ARGS ?=

# dbt build, then (only if it succeeded: make stops at the first failing line) publish the
# marts to the serving database in one atomic swap. See "Serving BI tools safely" in the README.
build: setup
	$(DBT) build $(DBT_ARGS)
	$(BIN)/customer-segmentation publish --serving-path $(SERVING_PATH)

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf target logs customer_segmentation.duckdb customer_segmentation.duckdb.wal \
		customer_segmentation_serving.duckdb

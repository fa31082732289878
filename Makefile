# Two commands on a fresh machine:
#   make build   set up the virtualenv and run `dbt build` on the embedded data
#   make test    set up the virtualenv and run every test
#   make bench   N customers (default 100000; N=0 = the embedded 3,834): generate, dbt build,
#                print per-model times, wall time, peak memory and SQL scoring time
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

N ?= 100000
SEED ?= 42

.PHONY: setup build test bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

build: setup
	$(DBT) build

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python -m customer_segmentation.benchmark --rows $(N) --seed $(SEED)

clean:
	rm -rf target logs customer_segmentation.duckdb customer_segmentation.duckdb.wal bench-results

# Two commands on a fresh machine:
#   make build   set up the virtualenv and run `dbt build` on the embedded data
#   make test    set up the virtualenv and run every test
# VENV=<path> picks the virtualenv (default .venv); it is created when missing.
# The Spark side (needs Java 17; its own virtualenv VENV_SPARK, default .venv-spark):
#   make build-spark  the whole project, Python models included, on a local Spark
#   make test-spark   that build, its dbt tests, and a comparison with the DuckDB build

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

VENV_SPARK ?= .venv-spark
BIN_SPARK := $(VENV_SPARK)/bin
STAMP_SPARK := $(VENV_SPARK)/.installed-$(shell cat requirements.txt requirements-spark.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup build test setup-spark build-spark test-spark clean

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

$(STAMP_SPARK): requirements.txt requirements-spark.txt pyproject.toml
	@test -x $(BIN_SPARK)/python || $(PYTHON) -m venv $(VENV_SPARK)
	$(BIN_SPARK)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt
	$(BIN_SPARK)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV_SPARK)/.installed-*
	@touch $@

setup-spark: $(STAMP_SPARK)

# Everything (Spark warehouse, Derby metastore, dbt target and logs) goes to target/spark-build.
build-spark: setup-spark
	rm -rf target/spark-build
	$(BIN_SPARK)/python tests/spark/harness.py target/spark-build

test-spark: setup-spark
	$(BIN_SPARK)/python -m pytest tests/spark

clean:
	rm -rf target logs customer_segmentation.duckdb customer_segmentation.duckdb.wal

# Two commands on a fresh machine:
#   make build   set up the virtualenv with what a build needs (requirements.txt) and run
#                `dbt build` on the embedded data
#   make test    add the test and analyst tooling (requirements-dev.txt) and run every test
#   make report  render reports/segmentation_report.html from the marts (builds first if needed)
#   make lint    the style checks alone: ruff (Python), sqlfluff (SQL models and dbt tests) and
#                dbt-score (the project's dbt metadata: descriptions, tests, owners; fails below 9.0)
#   make docs-site  the documentation site (MkDocs, docs/ + mkdocs.yml) into site/, --strict
#   make bench   N customers (default 100000; N=0 = the embedded 3,834): generate, dbt build,
#                print per-model times, wall time, peak memory and SQL scoring time
#                (VERIFY=1: then k-means and two-stage Ward against full-data references)
# The dashboard (Apache Superset in its own virtualenv VENV_SUPERSET, default .venv-superset;
# its state in SUPERSET_HOME, default .superset; both outside git):
#   make dashboard        build and publish if needed, start Superset on 127.0.0.1:SUPERSET_PORT
#                         (default 8088) with the shipped dashboard; prints the URL and login
#   make dashboard-stop   stop it (by the pid it recorded)
#   make dashboard-export write the running dashboard back to dashboard/export (after UI edits)
#   make test-dashboard   start it, check every chart's rows, screenshot it, rebuild, stop
# VENV=<path> picks the virtualenv (default .venv); it is created when missing.
# Packages install with uv (a uv on PATH, else uv==UV_VERSION put into each virtualenv by pip);
# INSTALLER=pip installs with pip instead (e.g. when your package index is set only in pip's
# configuration: uv reads UV_INDEX_URL / UV_DEFAULT_INDEX and uv.toml, not pip.conf).
# The Spark side (needs Java 17; its own virtualenv VENV_SPARK, default .venv-spark):
#   make build-spark  the whole project, Python models included, on a local Spark
#   make test-spark   that build, its dbt tests, and a comparison with the DuckDB build

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-build-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
STAMP_DEV := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | cksum | cut -d' ' -f1)
INSTALLER ?= uv
UV_VERSION ?= 0.13.9

# dbt reads profiles.yml from the project root; no telemetry (the machines have no network).
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
# Small scikit-learn calls busy-wait in OpenMP on 2-core machines; one thread is faster here.
export OMP_NUM_THREADS ?= 1

DBT := $(BIN)/dbt
DATABASE ?= $(or $(DBT_DUCKDB_PATH),customer_segmentation.duckdb)
REPORT ?= reports/segmentation_report.html
CHROMIUM_FLAGS := --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync

N ?= 100000
SEED ?= 42

VENV_SPARK ?= .venv-spark
BIN_SPARK := $(VENV_SPARK)/bin
STAMP_SPARK := $(VENV_SPARK)/.installed-$(shell cat requirements.txt requirements-spark.txt pyproject.toml | cksum | cut -d' ' -f1)

# $(call install,VENV,ARGUMENTS): create the virtualenv VENV when it is missing, then install
# ARGUMENTS (pip's syntax: -r FILE, -e ., NAME==VERSION) into it. uv: a fresh-machine set-up of
# requirements.txt takes seconds instead of about a minute with pip (README, "Five-minute
# start"); --compile-bytecode because these machines set PYTHONDONTWRITEBYTECODE, and without
# .pyc files every dbt command would spend seconds more compiling its imports.
define install
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	@if [ "$(INSTALLER)" = pip ]; then \
	    echo "pip install $(2)"; \
	    $(1)/bin/python -m pip install --quiet --disable-pip-version-check $(2); \
	else \
	    uv=$$(command -v uv || echo $(1)/bin/uv); \
	    test -x "$$uv" || $(1)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); \
	    echo "uv pip install $(2)"; \
	    "$$uv" pip install --quiet --compile-bytecode --python $(1)/bin/python $(2); \
	fi
endef

.PHONY: setup setup-dev build test bench compare clean report report-screenshot chromium lint docs docs-site docs-site-screenshot setup-spark build-spark test-spark old-duckdb-reader
.PHONY: setup-superset chromium-driver dashboard dashboard-stop dashboard-export test-dashboard dashboard-screenshot

# What a build needs: requirements.txt and the package (editable).
$(STAMP): requirements.txt pyproject.toml
	$(call install,$(VENV),-r requirements.txt)
	$(call install,$(VENV),--no-deps -e .)
	@rm -f $(VENV)/.installed-build-*
	@touch $@

# The test, lint, report and analyst tooling on top (requirements-dev.txt).
$(STAMP_DEV): $(STAMP) requirements-dev.txt
	$(call install,$(VENV),-r requirements-dev.txt)
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

# The report test opens the report in headless Chromium: install Debian's package when it is
# missing and we may (root); quick no-op when it is there.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (headless browser for the report test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: chromium not found and cannot install it (not root): the report test will fail"; fi; }

# An older DuckDB reader, in a virtualenv of its own, for the test that opens the serving file
# the way DuckDB 1.x tools (duckdb CLI 1.x, Evidence, JDBC/ODBC drivers) do. 1.0.0 is the oldest
# release the serving file's storage format (v1.0.0) supports. ~10 s on a first install.
OLD_DUCKDB_VERSION ?= 1.0.0
VENV_OLD_DUCKDB ?= .venv-duckdb-$(OLD_DUCKDB_VERSION)
$(VENV_OLD_DUCKDB)/.installed:
	$(call install,$(VENV_OLD_DUCKDB),duckdb==$(OLD_DUCKDB_VERSION))
	@touch $@
old-duckdb-reader: $(VENV_OLD_DUCKDB)/.installed

# `make build` needs only setup; the tests also need the dev tooling, Chromium and the old reader.
setup: $(STAMP)
setup-dev: $(STAMP_DEV) chromium old-duckdb-reader

# The file BI tools read; `make build` replaces it only after a fully successful dbt build.
SERVING_PATH ?= customer_segmentation_serving.duckdb
# Extra dbt arguments, e.g. make build DBT_ARGS="--vars '{n_segments: 6}'"
DBT_ARGS ?=

# dbt build, then (only if it succeeded: make stops at the first failing line) publish the
# marts to the serving database in one atomic swap. See "Serving BI tools safely" in docs/bi.md.
build: setup
	$(DBT) build $(DBT_ARGS)
	$(BIN)/customer-segmentation publish --serving-path $(SERVING_PATH)

# Every test: style first (ruff, seconds; sqlfluff, about a minute), then pytest (package unit
# tests, dbt builds and dbt tests, bad inputs, publishing, report in Chromium, BI
# connectivity, semantic layer). The suite is mostly dbt builds, each on one core: two pytest
# workers (one test file each at a time, so a file's shared builds stay in one worker; the
# slowest files first, in the order of SLOWEST_FILES in tests/python/conftest.py, instead of
# xdist's order by number of tests) share the work on 2 cores. PYTEST_WORKERS=0 runs it in
# one process.
PYTEST_WORKERS ?= 2
test: setup-dev lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

$(DATABASE):
	DBT_DUCKDB_PATH=$(DATABASE) $(MAKE) build

# Render the HTML report from the published serving file (read-only; the last build that passed
# every test), saying which build it shows and whether a later one failed; builds and publishes
# first when there is no serving file yet.
report: $(STAMP_DEV) $(SERVING_PATH)
	$(BIN)/customer-segmentation report --database $(SERVING_PATH) --out $(REPORT)

# Refresh the README's screenshot of the report's first screen.
report-screenshot: report chromium
	chromium $(CHROMIUM_FLAGS) --user-data-dir=$$(mktemp -d) --hide-scrollbars \
	    --window-size=1280,1100 --screenshot=docs/images/report.png file://$(abspath $(REPORT))

# dbt docs (catalog + manifest in target/); `$(DBT) docs serve` shows them.
docs: setup $(DATABASE)
	$(DBT) docs generate

# The documentation site: docs/*.md rendered by MkDocs (Material theme, mkdocs.yml) into
# $(SITE_DIR) (ignored by git); open $(SITE_DIR)/index.html. --strict: any warning (a broken link
# or anchor, a missing image or snippet, a page left out of the nav) fails the build.
# `make test` builds it too (tests/python/test_docs_site.py).
SITE_DIR ?= site
docs-site: $(STAMP_DEV)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(SITE_DIR)

# Refresh docs/images/docs-site.png, the site's home page in headless Chromium.
docs-site-screenshot: docs-site chromium
	chromium $(CHROMIUM_FLAGS) --user-data-dir=$$(mktemp -d) --hide-scrollbars \
	    --window-size=1280,1000 --screenshot=docs/images/docs-site.png file://$(abspath $(SITE_DIR))/index.html

# Lint: Python with ruff (pyproject.toml), SQL with sqlfluff (dbt templater, DuckDB dialect;
# .sqlfluff). sqlfluff renders each model through dbt, so it lints the SQL dbt would run; it
# skips files that only define macros. --processes 0: parsing and linting use every core (dbt
# renders in one). Both are part of `make test`. dbt's connection during the lint goes to a
# scratch file, so it never creates an empty customer_segmentation.duckdb; the code seeds and
# staging views are built there first, because the one-hot feature columns are read from them
# when a model compiles. dbt-score then scores that build's manifest (every node, whatever was
# selected) and fails when the project scores below 9.0 out of 10. sqlfluff's templater uses
# that build's target directory too, so it reads the project through dbt's partial parse
# (target/sqlfluff-target/partial_parse.msgpack, same vars) instead of parsing it afresh.
lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests python_models dashboard
	$(BIN)/ruff format --check src tests python_models dashboard
	@mkdir -p target
	DBT_DUCKDB_PATH=target/sqlfluff.duckdb $(DBT) build --quiet --target-path target/sqlfluff-target \
	    --select +stg_customers --resource-type seed --resource-type model
	DBT_DUCKDB_PATH=target/sqlfluff.duckdb DBT_TARGET_PATH=target/sqlfluff-target \
	    $(BIN)/sqlfluff lint --processes 0 models tests/dbt
	$(BIN)/dbt-score lint --manifest target/sqlfluff-target/manifest.json --show failing-items \
	    --fail-project-under 9.0

$(STAMP_SPARK): requirements.txt requirements-spark.txt pyproject.toml
	$(call install,$(VENV_SPARK),-r requirements-spark.txt)
	$(call install,$(VENV_SPARK),--no-deps -e .)
	@rm -f $(VENV_SPARK)/.installed-*
	@touch $@

setup-spark: $(STAMP_SPARK)

# Everything (Spark warehouse, Derby metastore, dbt target and logs) goes to target/spark-build.
build-spark: setup-spark
	rm -rf target/spark-build
	$(BIN_SPARK)/python tests/spark/harness.py target/spark-build

test-spark: setup-spark
	$(BIN_SPARK)/python -m pytest tests/spark

VENV_SUPERSET ?= .venv-superset
SUPERSET_HOME ?= .superset
SUPERSET_PORT ?= 8088
STAMP_SUPERSET := $(VENV_SUPERSET)/.installed-$(shell cat dashboard/requirements-superset.txt dashboard/constraints-superset.txt | cksum | cut -d' ' -f1)
DASHBOARD_ARGS = --superset-venv $(VENV_SUPERSET) --home $(SUPERSET_HOME) --serving-path $(SERVING_PATH) --port $(SUPERSET_PORT)

# Superset in a virtualenv of its own (~1 min, ~900 MB; see dashboard/requirements-superset.txt).
$(STAMP_SUPERSET): dashboard/requirements-superset.txt dashboard/constraints-superset.txt
	@test -x $(VENV_SUPERSET)/bin/python || $(PYTHON) -m venv $(VENV_SUPERSET)
	$(VENV_SUPERSET)/bin/python -m pip install --quiet --disable-pip-version-check \
	    -r dashboard/requirements-superset.txt -c dashboard/constraints-superset.txt
	@rm -f $(VENV_SUPERSET)/.installed-*
	@touch $@

setup-superset: $(STAMP_SUPERSET)

# The dashboard test drives headless Chromium through Debian's chromedriver (same version).
chromium-driver: chromium
	@command -v chromedriver >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium-driver (drives headless Chromium for the dashboard test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-driver >/dev/null; \
	  else echo "warning: chromedriver not found and cannot install it (not root): the dashboard test will fail"; fi; }

$(SERVING_PATH):
	$(MAKE) build

dashboard: setup setup-superset $(SERVING_PATH)
	$(BIN)/customer-segmentation dashboard start $(DASHBOARD_ARGS)

dashboard-stop: setup
	$(BIN)/customer-segmentation dashboard stop $(DASHBOARD_ARGS)

dashboard-export: setup
	$(BIN)/customer-segmentation dashboard export $(DASHBOARD_ARGS)

# Starts its own Superset (temporary home, free port, its own build and serving file), so a
# dashboard you run is not touched. Measured on 2 cores: see .ci/run.
test-dashboard: $(STAMP_DEV) setup-superset chromium-driver
	VENV_SUPERSET=$(abspath $(VENV_SUPERSET)) $(BIN)/python -m pytest -p no:cacheprovider -rP tests/dashboard

# Refresh the README's screenshot of the dashboard (from the running `make dashboard`).
dashboard-screenshot: setup-superset chromium-driver
	$(VENV_SUPERSET)/bin/python dashboard/screenshot.py --url http://127.0.0.1:$(SUPERSET_PORT) \
	    --password-file $(SUPERSET_HOME)/admin_password --out docs/images/dashboard.png

bench: setup
	$(BIN)/python -m customer_segmentation.benchmark --rows $(N) --seed $(SEED) $(if $(VERIFY),--verify)

# The default build is a contract: compare every mart of two build databases row for row,
#   make compare OLD=/path/to/before.duckdb [NEW=customer_segmentation.duckdb]
# Relations renamed since (docs/renames.md) are compared under their new names.
NEW ?= $(DATABASE)
compare: setup
	$(BIN)/customer-segmentation compare-builds $(OLD) $(NEW) --rename-file docs/renames.md

clean:
	rm -rf target logs customer_segmentation.duckdb customer_segmentation.duckdb.wal \
		customer_segmentation_serving.duckdb bench-results

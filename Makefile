# Two entry points for a fresh machine (only Python 3.11 needed): `make upgrade` and `make test`.
# Both bootstrap .venv from requirements.txt first; release venvs are built on demand and cached.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
ALLURE := .tools/node_modules/.bin/allure
VALIDATOR := .tools/node_modules/.bin/action-validator
ARGS   ?=
# The gate: every SQLite scenario, known product defects included (each judged against its declared problems in
# upgrade_suite/judging/known_defects.py); negative controls (red by design, proving a check can fail) with TAGS=@negative-control.
TAGS   ?= @sqlite and not @negative-control

.PHONY: bootstrap upgrade matrix test test-extended unit lint baseline bench scale flake runbook report report-tools chromium clean docker-setup docker-upgrade docker-teardown cluster-setup

bootstrap: $(STAMP)

$(STAMP): requirements.txt
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	touch $@

## The main job: the upgrade features against real releases on the embedded default database (SQLite), judged by the
## gate: green when every scenario passed or is a known defect with exactly its declared problems.
upgrade: bootstrap
	$(BIN)/python -m upgrade_suite.reporting.gate features/upgrade.feature --tags="$(TAGS)" $(ARGS)

## The upgrade compatibility matrix: every PyPI release from -D matrix_from= (0.9.0) to -D matrix_to=
## (latest), direct / hop / back on SQLite and PostgreSQL; reports/matrix.html and matrix.json. Out of the gate.
## JOBS=N: shards 1/N .. N/N at once, each into reports/matrix-shards/I-of-N, merged into one matrix and Allure dir.
## ARGS="-D engine=kubernetes": the N shards as one Indexed Job on the suite's own node (make cluster-setup), or on
## yours with -D kube_context=<context> -D suite_image=<python -m upgrade_suite.cluster.suite_image, pushed>.
JOBS ?= 1
matrix: bootstrap
ifeq ($(JOBS)$(findstring engine=,$(ARGS)),1)
	nice $(BIN)/behave features/matrix.feature --tags=@matrix $(ARGS)
else
	nice $(BIN)/python -m upgrade_suite.matrix.jobs $(JOBS) $(ARGS)
endif

## The tests (CI's job): make lint first, then the unit tests of the library and the real behave runs (every feature
## through the gate on both databases, today's releases, fault injection, interrupts, the sign-off report read back in
## Chromium, the matrix's shards, the bad-input sweep). What the report needs (Allure 3, chromium) the tests install in
## the background beside the first tests (tests/integration/conftest.py).
test: lint
	$(BIN)/pytest -m "not extended" $(ARGS)

## The tests beyond CI's 30 minutes (pytest marker extended): the Helm chart's rollout (five minutes of four gateways,
## probe timing scaled to 0.1), the docker driver (installs docker.io, starts dockerd, debootstraps the images'
## base) and the suite's own Kubernetes node (what make cluster-setup installs and builds, then a pod behind a Service).
## Run nightly by .github/workflows/extended.yml; make test plus this is every test.
test-extended: bootstrap
	$(BIN)/pytest -m extended $(ARGS)

## Measures FROM -> TO (versions) on DB=sqlite|postgresql, triages each schema difference by its consequence and writes
## a draft of what breaks or behaves differently; with REASONS=<the draft, a reason written on each line> it writes the
## baseline for a person to commit. FORCE=1 replaces an existing file, OUT=dir writes elsewhere. Runs never write one.
baseline: bootstrap
	$(BIN)/python -m upgrade_suite.judging.baseline --from "$(FROM)" --to "$(TO)" --db "$(DB)" $(if $(REASONS),--reasons "$(REASONS)") \
		$(if $(filter 1 yes true,$(FORCE)),--force) $(if $(OUT),--out "$(OUT)")

## The suite's time beside the raw floor (bare gateway starts and Alembic), as ratios, the matrix (serial and JOBS=2)
## beside its cells' floors, UPG-03 at a million rows on PostgreSQL beside its bare script; JSON in reports/bench.
bench: bootstrap
	$(BIN)/python -m benchmarks.bench $(ARGS)

## Migration cost against database size: GA -> latest and RC1 -> GA at 10k, 100k and 1M rows (the
## production profile: mostly metrics and audit rows) on SQLite and PostgreSQL, every revision timed, PostgreSQL's
## blocking locks sampled, every row compared in the database; reports/scale/scale.md, .json and .png.
## ARGS="--rows 10000,100000 --engines sqlite --pairs GA:latest" narrows.
scale: bootstrap
	nice $(BIN)/python -m upgrade_suite.scale $(ARGS)

## The SQLite smoke scenarios 5 times in a row; lists any scenario whose verdict changed.
flake: bootstrap
	$(BIN)/python tools/flake.py $(ARGS)

## reports/runbook.md: the operator's steps with commands and the durations measured by earlier runs; with make scale's
## measurements, the migration time by size, and ROWS=<read-only URL of your database> reads it against your row count.
runbook: bootstrap
	$(BIN)/python -m upgrade_suite.reporting.runbook reports $(if $(ROWS),--rows "$(ROWS)")

$(ALLURE):
	@command -v npm >/dev/null || { echo "make report needs Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm install --prefix .tools --no-fund --no-audit --silent allure@3.18.0

## What the sign-off report needs: Allure 3 (npm, into .tools) and Debian's chromium (apt, when running as root;
## otherwise one line says what to install). Measured on this 2-core machine: npm 29 s, apt 99 s (113 MB fetched).
report-tools: $(ALLURE) chromium

chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium (the sign-off report is read back in it)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q -o DPkg::Lock::Timeout=600 chromium >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=600 chromium >/dev/null; }; \
	  else echo "the sign-off report is checked in Chromium: run 'apt-get install chromium' as root"; exit 1; fi; }

## Offline HTML of the chosen runs (RUNS=last, the default; all; or run ids from reports/runs, comma-separated):
## reports/allure-report/ and one self-contained reports/upgrade-report.html, each scenario's executed result, the
## runs named on the first page, categories, history across reports, the runbook of the pairs they judged, and (with
## chromium) the page read back and checked against the results and the runs' verdicts, with screenshots.
RUNS ?= last
report: bootstrap $(ALLURE)
	$(BIN)/python -m upgrade_suite.reporting.report reports $(ALLURE) --runs "$(RUNS)"

## A Docker engine for -D driver=docker: installs docker.io and debootstrap (apt) and starts dockerd when none answers.
docker-setup:
	sh tools/docker-engine.sh up

## UPG-01, UPG-02, UPG-04 and UPG-06 with every gateway, replica and Alembic run in containers (after make docker-setup).
docker-upgrade: bootstrap
	$(BIN)/behave features/upgrade.feature features/rollback.feature features/rolling.feature -D driver=docker $(ARGS) \
		--tags="(@UPG-01 or @UPG-02 or @UPG-04 or @UPG-06) and not @product-defect and not @negative-control and not @kubernetes"

## Stops the dockerd that docker-setup started (an engine it found running is left alone).
docker-teardown:
	sh tools/docker-engine.sh down

## A single-node Kubernetes of the suite's own: installs containerd, runc, iptables, gcc and busybox-static (apt, when
## missing; tools/cluster-host.sh), builds Kubernetes v1.37.2, etcd, helm, crictl and the CNI plugins from Go
## modules (through the module proxy, Go 1.26.8+) into the suite's cache; resumable, a built binary is kept. Cold: about
## 20 min on one core; warm Go caches: 90 s. ARGS="--gomodcache DIR --gocache DIR" (or UPGRADE_SUITE_GOMODCACHE/GOCACHE).
cluster-setup: bootstrap
	sh tools/cluster-host.sh
	$(BIN)/python -m upgrade_suite.cluster.build $(ARGS)

unit: bootstrap
	$(BIN)/pytest tests/unit $(ARGS)

## ruff over the whole tree (pyproject.toml: line length 120, imports sorted, formatted), mypy over upgrade_suite
## (its probes, run in the release venvs, left out) and the CI workflows against GitHub's schema (action-validator,
## npm, into .tools: the matrix workflow cannot run here); make test runs it first.
LINT_PATHS ?= .
lint: bootstrap $(VALIDATOR)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy upgrade_suite
	for workflow in .github/workflows/*.yml; do $(VALIDATOR) $$workflow || exit 1; done

$(VALIDATOR):
	@command -v npm >/dev/null || { echo "make lint needs Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	npm install --prefix .tools --no-fund --no-audit --silent @action-validator/cli@0.6.0 @action-validator/core@0.6.0

clean:
	rm -rf reports .pytest_cache

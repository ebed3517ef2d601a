# Two commands matter: `make run` (Airflow standalone with the demo project) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# `make lock` keeps every pin of the current lock that still fits (so adding a requirement adds only what
# it needs); `make lock UPGRADE=1` re-resolves everything to the newest releases.
KEEP_PINS = $(if $(UPGRADE),,-c requirements.txt)
KEEP_DEV_PINS = $(if $(UPGRADE),,-c requirements.txt -c requirements-dev.txt)

.PHONY: help run check test bench venv venv-dev js system-deps lock adaptor adaptors check-projects credentials export package clean

help:
	@echo "make run    - start Airflow (standalone, SQLite) with every project under include/jobs"
	@echo "make check  - the fast tests (unit, DAG structure; no PostgreSQL, no Airflow server): the inner loop"
	@echo "make test   - install what is missing (PostgreSQL, Node.js included) and run every test"
	@echo "make bench  - run the benchmarks in bench/ and print their tables"
	@echo "make lock   - lock requirements*.in into requirements*.txt, keeping current pins (UPGRADE=1: newest)"
	@echo "make adaptors - install every adaptor version the projects under include/jobs name and js/ lacks"
	@echo "make adaptor ADD=@openfn/language-http@7.2.10 - add an adaptor version for JavaScript jobs"
	@echo "make check-projects - every error of the projects under include/jobs at once (exit status 1 if any)"
	@echo "make credentials PROJECT=include/jobs/<folder> - move credential values out of project.yaml"
	@echo "make export PROJECT=include/jobs/<folder> [FORMAT=portability] [OUT=file] - a Lightning project, back in Lightning's format"
	@echo "make package - build the wheel and sdist of openfn-airflow into dist/"
	@echo "adaptor(s), check-projects, credentials and export run openfn-airflow from this checkout: scripts/openfn.sh --help"

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found " + sys.version.split()[0] + ")")'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

# Every command below but the test ones is `openfn-airflow` (plugins/openfn/cli), run from this checkout.
OPENFN := scripts/openfn.sh

# The JavaScript runtime and adaptors, from js/package-lock.json (Node.js itself comes from system-deps).
js/node_modules/.installed: js/package.json js/package-lock.json | $(VENV)/.runtime
	scripts/system-deps.sh nodejs
	$(OPENFN) js install

js: js/node_modules/.installed

system-deps:
	scripts/system-deps.sh

run: venv js
	scripts/run.sh

# Only what the fast tier needs: the dev venv and Node.js with the JavaScript runtime (JavaScript unit tests).
check: venv-dev js
	scripts/test.sh -n $${OPENFN_TEST_WORKERS:-2} --dist loadfile -m fast

test: venv-dev system-deps js
	scripts/test.sh

bench: venv-dev system-deps js
	scripts/bench.sh

adaptor: venv js
	@test -n "$(ADD)" || { echo "usage: make adaptor ADD=@openfn/language-http@7.2.10 (or ADD=http for the newest)" >&2; exit 2; }
	$(OPENFN) adaptors add $(ADD)

# Every adaptor version the projects name that js/ lacks, in one go; lists what the registry cannot give.
adaptors: venv js
	$(OPENFN) adaptors install

check-projects: venv js
	$(OPENFN) check $(PROJECT)

# The local deployment's metadata database (the one `make run` uses) receives the Connections.
credentials: venv
	@test -n "$(PROJECT)" || { echo "usage: make credentials PROJECT=include/jobs/<folder> [ARGS=--replace|--dry-run]" >&2; exit 2; }
	source scripts/env.sh && mkdir -p "$$AIRFLOW_HOME" && airflow db migrate >/dev/null
	$(OPENFN) credentials "$(PROJECT)" $(ARGS)

export: venv js
	@test -n "$(PROJECT)" || { echo "usage: make export PROJECT=include/jobs/<folder> [FORMAT=portability] [OUT=project.yaml]" >&2; exit 2; }
	$(OPENFN) export "$(PROJECT)" --format "$(or $(FORMAT),lightning)" $(if $(OUT),--out "$(OUT)")

# The wheel and sdist of `pip install openfn-airflow` (docs/install.md), built with the dev venv's setuptools.
package: venv-dev
	rm -rf dist build
	$(VENV)/bin/python -m build --no-isolation --outdir dist .
	rm -rf build plugins/openfn_airflow.egg-info

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -r requirements.in $(KEEP_PINS)
	{ echo "# Locked runtime set for requirements.in (Python 3.11). Regenerate with: make lock"; .lockenv/bin/pip freeze; } > requirements.txt
	.lockenv/bin/pip install --quiet -r requirements-dev.in $(KEEP_DEV_PINS)
	{ echo "# Locked test/benchmark set for requirements-dev.in, installed on top of requirements.txt. Regenerate with: make lock"; \
	  .lockenv/bin/pip freeze | grep -vxFf <(grep -v '^#' requirements.txt); } > requirements-dev.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .airflow js/node_modules

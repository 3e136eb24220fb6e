# Gongwen — see README.md. `make run` starts the whole suite; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# make test: two workers, each package of tests whole on one (tests/conftest.py)
PYTEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install infra run test bench lint migrate deploy-check clean help web web-test browser alert-rules

help:
	@echo "make run      install what is missing, start the whole suite, print the gateway address"
	@echo "make test     run every test (starts its own isolated stack)"
	@echo "make web      build the web workbench (web/dist) when its sources changed"
	@echo "make bench    run the benchmarks and print their figures"
	@echo "make lint     ruff, ruff format, mypy, the import contract (make test runs it first)"
	@echo "make migrate  create the databases and run every service's migrations"

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is missing (Debian: apt-get install python3 python3-venv)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

infra:
	@bash scripts/ensure-infra.sh

run: install web
	@$(PY) -m devstack

migrate: install infra
	$(PY) -m services.common.migrate

test: install lint alert-rules web-test browser
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: install infra
	$(PY) -m bench $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services gateway devstack bench
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_architecture.py

# -- the web workbench (web/, see README) ---------------------------------------------------
# npm ci when node_modules is missing or package-lock.json changed; the API types are
# generated from the gateway's OpenAPI (in-process, no stack needed; the file is rewritten
# only when the contract changed); the build runs only when a source changed.
WEB_DEPS := web/node_modules/.installed-$(shell sha1sum web/package-lock.json 2>/dev/null | cut -c1-12)
WEB_SOURCES := $(shell find web/src web/public web/scripts -type f 2>/dev/null) \
  web/index.html web/vite.config.ts web/tsconfig.json web/tsconfig.app.json web/package.json

$(WEB_DEPS): web/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 and npm are missing (Debian: apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@rm -f web/node_modules/.installed-*
	@touch $@

web/openapi.json: $(STAMP) FORCE
	@$(PY) web/scripts/dump-openapi.py

web/src/api/schema.d.ts: web/openapi.json $(WEB_DEPS)
	cd web && npx openapi-typescript openapi.json -o src/api/schema.d.ts --silent
	@touch $@

web/dist/.built: $(WEB_DEPS) web/src/api/schema.d.ts $(WEB_SOURCES)
	cd web && npm run --silent build
	@touch $@

web: web/dist/.built

# the type check is part of the build; then the unit tests of the pure parts
web-test: web
	cd web && npx vitest run

# Debian's Chromium for the browser tests (tests/browser)
browser:
	@bash scripts/ensure-browser.sh

# the Prometheus alert rules of deploy/: checked and unit-tested with promtool (Debian's
# `prometheus` package, installed with apt-get when promtool is missing)
alert-rules:
	@bash scripts/ensure-promtool.sh
	promtool check rules deploy/prometheus/rules/*.yml
	promtool test rules deploy/prometheus/tests/*.test.yml

FORCE:

# On a machine with Docker Compose and promtool (Debian: apt-get install prometheus):
deploy-check:
	PLATFORM_ADMIN_PASSWORD=x MINIO_ACCESS_KEY=x MINIO_SECRET_KEY=x MINIO_ROOT_USER=x \
	  MINIO_ROOT_PASSWORD=x PG_ADMIN_PASSWORD=x PG_APP_PASSWORD=x RABBITMQ_USER=x \
	  RABBITMQ_PASSWORD=x REDIS_PASSWORD=x SMTP_PASSWORD=x ALIYUN_ACCESS_KEY_ID=x \
	  ALIYUN_ACCESS_KEY_SECRET=x ALIYUN_SMS_SIGN_NAME=x ALIYUN_SMS_TEMPLATE_CODE=x \
	  GRAFANA_ADMIN_PASSWORD=x \
	  docker compose -f deploy/docker-compose.yml config --quiet
	promtool check config --syntax-only deploy/prometheus/prometheus.yml

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist web/openapi.json web/src/api/schema.d.ts

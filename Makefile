# Gongwen — see README.md. `make run` starts the whole suite; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install infra run test bench lint migrate deploy-check clean help

help:
	@echo "make run      install what is missing, start the whole suite, print the gateway address"
	@echo "make test     run every test (starts its own isolated stack)"
	@echo "make bench    run the benchmarks and print their figures"
	@echo "make lint     ruff and mypy"
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

run: install
	@$(PY) -m devstack

migrate: install infra
	$(PY) -m services.common.migrate

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install infra
	$(PY) -m bench $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy services gateway devstack bench

# On a machine with Docker Compose and promtool (Debian: apt-get install prometheus):
deploy-check:
	PLATFORM_ADMIN_PASSWORD=x MINIO_ACCESS_KEY=x MINIO_SECRET_KEY=x MINIO_ROOT_USER=x \
	  MINIO_ROOT_PASSWORD=x PG_ADMIN_PASSWORD=x PG_APP_PASSWORD=x RABBITMQ_USER=x \
	  RABBITMQ_PASSWORD=x REDIS_PASSWORD=x docker compose -f deploy/docker-compose.yml config --quiet
	promtool check config --syntax-only deploy/prometheus/prometheus.yml

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache

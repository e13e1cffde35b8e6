# Leadloop developer commands. `make help` lists them.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
BROWSER := tests/e2e/browser

.DEFAULT_GOAL := help

help: ## Show this help.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  \033[1m%-8s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv (when missing) and install Leadloop with its dev tools.

demo: $(STAMP) ## Simulate a B2B world, load it into ./leadloop.db, summarise, then serve http://127.0.0.1:8000.
	$(BIN)/leadloop demo

test: $(STAMP) lint browser ## Lint, type-check, then run the whole test suite (SQLite and PostgreSQL).
	$(BIN)/pytest

browser: ## Debian's Chromium and the npm-built Segment browser library, for the browser tests.
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
	  || echo "chromium could not be installed: the browser tests will skip, saying so"
	@test -d $(BROWSER)/node_modules || (cd $(BROWSER) && npm ci --no-audit --no-fund) \
	  || echo "npm ci failed: the analytics-next tests will skip, saying so"
	@test $(BROWSER)/dist/analytics-next.js -nt $(BROWSER)/package-lock.json \
	  || (cd $(BROWSER) && npm run --silent build) || true

lint: $(STAMP) ## ruff (lint + format check), mypy, import contracts.
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP) ## Format and auto-fix.
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

docs: $(STAMP) ## Regenerate docs/cli-reference.md, settings.md and api-routes.md from the code.
	$(PY) docs/gen_reference.py

bench: $(STAMP) ## Run the benchmarks and print their figures (see bench/RESULTS.md).
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/ingest.py
	$(PY) bench/attribution.py
	$(PY) bench/handoff.py

bench-crm: $(STAMP) ## CRM pull (SOQL, Bulk API 2.0) and opportunity CSV import: records/s, peak RSS.
	$(PY) bench/crm.py

clean: ## Remove the demo store.
	rm -f leadloop.db leadloop.db-wal leadloop.db-shm

.PHONY: help install demo test browser lint fmt docs bench bench-crm clean

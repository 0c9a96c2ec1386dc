# One entry point for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.DEFAULT_GOAL := help

.PHONY: help
help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: without axe-core the accessibility checks fail when CI is set, and are skipped otherwise"; fi

.PHONY: install
install: $(BIN)/.installed node_modules/.package-lock.json  ## Create .venv and install the portal with its test tools

.PHONY: run
run: install  ## Run the portal with demo data on http://127.0.0.1:8000
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

.PHONY: test
test: install  ## Run the whole test suite (DATABASE_URL picks the database; SQLite by default)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install  ## ruff check, ruff format --check, and the import layers (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

.PHONY: lock
lock: install  ## Refresh constraints.txt from the current releases allowed by pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade -e ".[dev]"
	@echo '# Exact versions the install uses (pip -c). Refresh with `make lock`.' > constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable >> constraints.txt

.PHONY: bench
bench: install  ## Benchmark the public pages against the floor (needs DATABASE_URL=postgres://…, wrk)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

.PHONY: bench-computed
bench-computed: install  ## Benchmark computed pages, anonymous and signed in, against the floor (PostgreSQL, wrk)
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/signed_in.py $(BENCH_ARGS)

.PHONY: drills
drills: install  ## Failure drills under load: restart PostgreSQL, stop Redis, kill a worker (restarts this machine's services)
	$(BIN)/python bench/drills.py $(DRILL_ARGS)

.PHONY: browser
browser:  ## Install Debian's chromium for the browser journeys (needs root; never a browser download)
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

.PHONY: audit
audit: install  ## Known vulnerabilities in the pinned dependencies (pip-audit; needs its database online)
	$(BIN)/pip-audit --strict --requirement constraints.txt --disable-pip --no-deps --progress-spinner off

.PHONY: bandit
bandit: install  ## Static security checks of the portal's code (findings fixed or explained with nosec)
	$(BIN)/bandit --recursive --quiet lcoo members meetings agreements

.PHONY: format
format: install  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

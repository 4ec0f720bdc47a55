# Two commands on a fresh machine: `make chat` and `make test`. Both create the virtual
# environment and install the project on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test test-fast lint bench serve flows-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## talk to the bot in the terminal, on the embedded SQLite store
	$(BIN)/praktikbot chat

# Tests run in one process per core (pytest-xdist); PYTEST_WORKERS=0 runs them in this one.
PYTEST_WORKERS ?= auto
# Keep compiled byte-code between runs (in __pycache__/, ignored by git) even where the
# environment sets PYTHONDONTWRITEBYTECODE: otherwise every test process, and every
# `praktikbot` process the tests start, compiles the project and re-rewrites the tests.
test test-fast: export PYTHONDONTWRITEBYTECODE :=

# The slow tests run after the others, one file per worker (tests/conftest.py groups
# them), except the in-process suppression and demo-report files, whose tests spread.
test: $(STAMP)  ## the whole test suite (SQLite and PostgreSQL), slow tests included
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow"
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m slow

test-fast: $(STAMP)  ## the quick loop: SQLite only, without the slow tests (concurrency, fuzzing)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow and not postgres"

lint: $(STAMP)  ## ruff and mypy as configured in pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## the benchmark table (turn latency, reminder run, memory, start-up); see README
	$(BIN)/python -m tests.benchmarks $(BENCH_ARGS)

flows-check: $(STAMP)
	$(BIN)/praktikbot flows check
	$(BIN)/praktikbot flows test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

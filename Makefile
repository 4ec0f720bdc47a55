# Two commands on a fresh machine: `make chat` and `make test`. Both create the virtual
# environment and install the project on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: chat test lint bench serve flows-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)  ## talk to the bot in the terminal, on the embedded SQLite store
	$(BIN)/praktikbot chat

test: $(STAMP)  ## the whole test suite (SQLite and PostgreSQL)
	$(BIN)/python -m pytest

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

# The two commands of the README: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint unit integration e2e bench schemas package clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/listmgr up

test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services listmgr

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

bench: $(STAMP)
	$(BIN)/python -m bench

schemas: $(STAMP)
	$(BIN)/python -m shared.events.catalog --write

clean:
	rm -rf $(VENV) .listmgr .pytest_cache .mypy_cache .ruff_cache

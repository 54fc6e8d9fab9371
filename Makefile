# Everything a fresh machine needs: `make demo` and `make test` set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= auto
DEMO_PORT ?= 8000

.PHONY: demo demo-fastapi test lint typecheck services services-stop graphviz bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python examples/demo.py

$(VENV)/.installed-fastapi: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[fastapi]' uvicorn
	touch $@

# examples/fastapi_app.py on SQLite (library-api.db in the current directory) until Ctrl-C.
demo-fastapi: $(VENV)/.installed-fastapi
	@echo "ormada's example FastAPI app on SQLite: http://127.0.0.1:$(DEMO_PORT)/docs (Ctrl-C stops it)"
	ORMADA_URL=sqlite:///library-api.db PORT=$(DEMO_PORT) $(BIN)/python examples/fastapi_app.py

# PostgreSQL, MariaDB, Redis and a one-node Cassandra on 127.0.0.1, installed where safe (scripts/services.sh).
services:
	bash scripts/services.sh

services-stop:
	bash scripts/services.sh stop

# Graphviz's dot draws the SVG/PNG diagrams (scripts/graphviz.sh installs it where safe).
graphviz:
	bash scripts/graphviz.sh

lint: $(VENV)/.installed-dev
	$(BIN)/python scripts/async_to_sync.py --check
	$(BIN)/ruff check src tests examples
	$(BIN)/mypy src

test: $(VENV)/.installed-dev services graphviz lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --cov=ormada --cov-report=term --cov-fail-under=90 tests

bench:
	bash benchmarks/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis

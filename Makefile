# Jianguan — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OFFLINE ?=
PIP_SOURCE := $(if $(OFFLINE),--no-index --find-links wheelhouse,)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-pg check bench wheelhouse install clean-var help

help:
	@echo "make run    install into .venv, migrate, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   run the test suite (SQLite); DATABASE_URL=postgres://... for PostgreSQL"
	@echo "make check  ruff, mypy and import-linter"
	@echo "make bench  slow benchmarks; results in docs/benchmarks.md (ONLY=bench_x,… for some)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(PIP_SOURCE) --upgrade pip
	$(BIN)/python -m pip install -q $(PIP_SOURCE) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/jianguan migrate --no-input -v 0
	$(BIN)/jianguan keys init
	$(BIN)/jianguan collectstatic --no-input -v 0
	$(BIN)/jianguan forms install-builtins
	$(BIN)/jianguan demo --if-empty
	$(BIN)/jianguan serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m tests.bench.run $(if $(ONLY),--only $(ONLY))

wheelhouse: $(STAMP)
	$(BIN)/python -m pip wheel -q -w wheelhouse '.[dev]' "setuptools>=77" wheel pip

clean-var:
	rm -rf var

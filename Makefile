# Beacon: `make demo` runs the gateway on embedded defaults; `make test` runs everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint type policy-test bench opa

$(VENV)/.runtime-installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e .
	touch $@

demo: $(VENV)/.runtime-installed
	$(BIN)/beacon demo

test:
	deploy/run-tests.sh

opa:
	deploy/build-opa.sh

policy-test:
	OPA=$$(deploy/build-opa.sh) && $$OPA fmt --list --fail policies/ && $$OPA check --strict policies/ && $$OPA test policies/ -v

lint:
	$(BIN)/ruff check gateway connectors tests bench && $(BIN)/ruff format --check gateway connectors tests bench

type:
	$(BIN)/mypy gateway connectors

bench:
	$(BIN)/python -m bench.run

# Beacon: `make demo` runs the gateway on embedded defaults; `make test` runs everything.
# Python packages come from the lock files (`make lock` refreshes them), installed with uv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
LOCK := requirements-gateway.lock
CONNECT_LOCK := requirements-connect.lock
COMPILE := $(UV) pip compile pyproject.toml --universal --python-version 3.11 -q

.PHONY: demo test venv lock lint type policy-test bench opa utility

$(UV):
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q "uv==$(UV_VERSION)"

# The gateway + test set, exactly as locked, then the project itself (editable, no resolution).
$(VENV)/.locked: $(LOCK) pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -r $(LOCK)
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

venv: $(VENV)/.locked

demo: $(VENV)/.locked
	$(BIN)/beacon demo

test:
	tests/run.sh

# Re-resolve both lock files from pyproject.toml, keeping current pins where they still fit;
# `make lock UPGRADE=--upgrade` moves everything to the newest allowed versions.
lock: | $(UV)
	$(COMPILE) $(UPGRADE) --extra test -o $(LOCK)
	$(COMPILE) -c $(LOCK) -o $(CONNECT_LOCK)

opa:
	deploy/build-opa.sh

policy-test:
	OPA=$$(deploy/build-opa.sh) && $$OPA fmt --list --fail policies/ && $$OPA check --strict policies/ && $$OPA test policies/ --ignore schema -v

lint:
	$(BIN)/ruff check gateway connectors tests bench && $(BIN)/ruff format --check gateway connectors tests bench && $(BIN)/lint-imports

type:
	$(BIN)/mypy gateway connectors

bench:
	$(BIN)/python -m bench.run

# Utility of the disclosure-control modes on the demo data (issue 7 item 8); not a test.
utility: $(VENV)/.locked
	$(BIN)/python -m bench.utility

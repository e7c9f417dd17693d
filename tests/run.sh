#!/usr/bin/env bash
# The one test command (README, `make test`, .ci/run): installs test needs, starts a real
# PostgreSQL on loopback, checks the Rego policies with a real OPA and runs the whole suite
# (SQLite and PostgreSQL, embedded Rego and OPA server). "No tests collected" is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh
export BEACON_OPA_BIN="$(deploy/build-opa.sh)"

echo "== opa: fmt, check, test" >&2
"$BEACON_OPA_BIN" fmt --list --fail policies/
"$BEACON_OPA_BIN" check --strict policies/
"$BEACON_OPA_BIN" test policies/ --ignore schema -v --coverage --threshold 90 >/tmp/beacon-opa-coverage.json || {
  "$BEACON_OPA_BIN" test policies/ --ignore schema -v; exit 1; }
"$BEACON_OPA_BIN" test policies/ --ignore schema

echo "== lint and types" >&2
.venv/bin/ruff check gateway connectors tests bench
.venv/bin/ruff format --check gateway connectors tests bench
.venv/bin/mypy gateway connectors
.venv/bin/lint-imports --no-cache

echo "== PostgreSQL on loopback" >&2
PG_BIN=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort | tail -n1)")
PG_ROOT=$(mktemp -d /tmp/beacon-pg.XXXXXX)
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PG_ROOT"; runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/log" -w \
  -o "-h 127.0.0.1 -p $PG_PORT -k $PG_ROOT -c fsync=off -c synchronous_commit=off -c max_connections=300" start >/dev/null
trap 'as_pg "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PG_ROOT"' EXIT
export BEACON_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"

echo "== pytest" >&2
set +e
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi
exit "$rc"

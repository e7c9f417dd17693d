#!/usr/bin/env bash
# Install what the test suite needs on a fresh Debian machine: PostgreSQL server binaries,
# the Python test extras (in .venv) and a pinned OPA built from the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if [ ! -f .venv/.test-installed ] || [ pyproject.toml -nt .venv/.test-installed ]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]'
  touch .venv/.test-installed
fi
deploy/build-opa.sh >/dev/null

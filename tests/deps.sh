#!/usr/bin/env bash
# Install what the test suite needs on a fresh Debian machine: PostgreSQL server binaries,
# the locked Python gateway + test set (in .venv, via `make venv`) and a pinned OPA built from
# the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium (Debian package) for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
make --no-print-directory -s venv
deploy/build-opa.sh >/dev/null
tests/fetch-axe.sh >/dev/null
deploy/vendor-docs.sh  # API docs assets from npm (no CDN at run time)

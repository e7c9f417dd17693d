#!/usr/bin/env bash
# Build a pinned `opa` binary from the Go module proxy into a cache folder.
# Usage: deploy/build-opa.sh  -> prints the path of the binary.
# OPA_VERSION must be >= v1.21.3 (earlier releases have a bundle-signing bypass).
set -euo pipefail
OPA_VERSION="${OPA_VERSION:-v1.22.3}"
CACHE="${BEACON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/beacon}"
BIN_DIR="$CACHE/opa-$OPA_VERSION"
BIN="$BIN_DIR/opa"
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "Version: ${OPA_VERSION#v}"; then
  echo "$BIN"; exit 0
fi
mkdir -p "$BIN_DIR"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod"
if ! GOBIN="$BIN_DIR" go install "github.com/open-policy-agent/opa@$OPA_VERSION" >&2; then
  # go install refuses modules whose go.mod has replace directives: build inside the module.
  echo "go install refused; building inside the downloaded module" >&2
  dir=$(go mod download -json "github.com/open-policy-agent/opa@$OPA_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d); cp -r "$dir"/. "$work"; chmod -R u+w "$work"
  (cd "$work" && go build -o "$BIN" .)
  rm -rf "$work"
fi
"$BIN" version >&2
echo "$BIN"

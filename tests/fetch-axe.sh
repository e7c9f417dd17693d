#!/usr/bin/env bash
# Vendor axe-core (accessibility rules, MPL-2.0) from the npm registry into ~/.cache/beacon for
# the browser tests; prints the path of axe.min.js. No CDN: the test injects the local file.
set -euo pipefail
VERSION=4.11.1
DEST="${BEACON_CACHE:-$HOME/.cache/beacon}/axe-core-$VERSION"
if [ ! -s "$DEST/axe.min.js" ]; then
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  (cd "$TMP" && npm pack "axe-core@$VERSION" --silent >/dev/null && tar xzf "axe-core-$VERSION.tgz")
  mkdir -p "$DEST"
  cp "$TMP/package/axe.min.js" "$TMP/package/LICENSE" "$DEST/"
fi
echo "$DEST/axe.min.js"

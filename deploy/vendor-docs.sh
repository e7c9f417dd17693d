#!/usr/bin/env bash
# Vendor the API-docs assets (Swagger UI, ReDoc) from npm into the package, so /docs and /redoc
# load nothing from a CDN at run time. Pinned versions; idempotent (skips when present).
# Run by tests/deps.sh (and so by `make test`); `make docs-assets` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
SWAGGER_UI=5.35.0
REDOC=2.5.2
DEST=gateway/static/docs/vendor
STAMP="$DEST/.versions"
WANT="swagger-ui-dist@$SWAGGER_UI redoc@$REDOC"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then exit 0; fi
command -v npm >/dev/null || { echo "npm is needed to vendor the API docs assets" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI" "redoc@$REDOC" >/dev/null)
mkdir -p "$TMP/swagger" "$TMP/redoc"
tar xzf "$TMP/swagger-ui-dist-$SWAGGER_UI.tgz" -C "$TMP/swagger"
tar xzf "$TMP/redoc-$REDOC.tgz" -C "$TMP/redoc"
rm -rf "$DEST" && mkdir -p "$DEST"
cp "$TMP/swagger/package/swagger-ui-bundle.js" "$TMP/swagger/package/swagger-ui.css" \
   "$TMP/swagger/package/favicon-32x32.png" "$TMP/swagger/package/LICENSE" "$DEST/"
mv "$DEST/LICENSE" "$DEST/swagger-ui.LICENSE"
cp "$TMP/redoc/package/bundles/redoc.standalone.js" "$DEST/"
cp "$TMP/redoc/package/LICENSE" "$DEST/redoc.LICENSE"
echo "$WANT" > "$STAMP"
echo "vendored $WANT into $DEST" >&2

#!/usr/bin/env bash
# Vendor uPlot from npm into static/vendor/ (the dashboard uses no CDN).
# Usage: src/cardiowatch/dashboard/vendor_uplot.sh [VERSION]   (default: the pinned version below)
# Writes uPlot.iife.min.js, uPlot.min.css, LICENSE-uPlot and VERSION-uPlot (version, licence, sha256).
set -euo pipefail
VERSION="${1:-1.6.32}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DEST="$HERE/static/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack "uplot@$VERSION" --silent >/dev/null && tar xzf "uplot-$VERSION.tgz")
mkdir -p "$DEST"
cp "$TMP/package/dist/uPlot.iife.min.js" "$TMP/package/dist/uPlot.min.css" "$DEST/"
cp "$TMP/package/LICENSE" "$DEST/LICENSE-uPlot"
LICENSE_ID="$(node -e "console.log(require('$TMP/package/package.json').license)")"
{
  echo "uPlot $VERSION (npm: uplot@$VERSION), licence $LICENSE_ID, https://github.com/leeoniya/uPlot"
  (cd "$DEST" && sha256sum uPlot.iife.min.js uPlot.min.css)
} > "$DEST/VERSION-uPlot"
echo "vendored uPlot $VERSION into $DEST"

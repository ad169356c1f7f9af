#!/usr/bin/env bash
# Builds a Go command from the module proxy once per version, then from the cache, and
# prints its path: scripts/go-tool.sh <name> <package path> <version>.
set -euo pipefail
NAME=$1 PACKAGE=$2 VERSION=$3
CACHE=${HOTEL_TOOLCHAIN_CACHE:-$HOME/.cache/hotel-stack/toolchain}
BIN=$CACHE/$NAME-$VERSION/$NAME
if [ ! -x "$BIN" ]; then
  echo "$NAME: building $VERSION from $PACKAGE (cold: ~1 min)" >&2
  mkdir -p "$(dirname "$BIN")"
  GOBIN=$(dirname "$BIN") GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go install "$PACKAGE@$VERSION" >&2
fi
echo "$BIN"

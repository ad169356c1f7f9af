#!/usr/bin/env bash
# Builds (once per version, then from cache) tsenart/vegeta from the Go module proxy,
# the load generator of npm run rehearse (a constant request rate, open model). Prints the binary's path.
set -euo pipefail
VERSION=v12.13.0
CACHE=${HOTEL_TOOLCHAIN_CACHE:-$HOME/.cache/hotel-stack/toolchain}
BIN=$CACHE/vegeta-$VERSION/vegeta
if [ ! -x "$BIN" ]; then
  echo "vegeta: building $VERSION from github.com/tsenart/vegeta (cold: ~1 min)" >&2
  mkdir -p "$(dirname "$BIN")"
  GOBIN=$(dirname "$BIN") GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@$VERSION" >&2
fi
echo "$BIN"

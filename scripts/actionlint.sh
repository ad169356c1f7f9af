#!/usr/bin/env bash
# Builds (once per version, then from cache) rhysd/actionlint from the Go module proxy,
# for linting .github/workflows in npm test. Prints the binary's path.
set -euo pipefail
VERSION=v1.7.12
CACHE=${HOTEL_TOOLCHAIN_CACHE:-$HOME/.cache/hotel-stack/toolchain}
BIN=$CACHE/actionlint-$VERSION/actionlint
if [ ! -x "$BIN" ]; then
  echo "actionlint: building $VERSION from github.com/rhysd/actionlint (cold: ~1 min)" >&2
  mkdir -p "$(dirname "$BIN")"
  GOBIN=$(dirname "$BIN") GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >&2
fi
echo "$BIN"

#!/usr/bin/env bash
# Builds (once, then from cache) the Pulumi engine pieces this project runs offline:
#   - the pulumi CLI at the version of the pinned @pulumi/pulumi (Go module pkg/v3),
#   - a Node.js language host (lab/toolchain/language-host: our own, see docs/ENGINE.md),
#   - the Kubernetes provider plugin for the pinned @pulumi/kubernetes.
# Only the Go module proxy is used. A `pulumi` already on PATH at the right version
# is preferred. Prints the bin directory to put first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# One node start for both versions: every engine command runs this script (warm: a check).
read -r PULUMI_VERSION K8S_VERSION < <(node -e "const v = (p) => require('./node_modules/' + p + '/package.json');
console.log(v('@pulumi/pulumi').version, v('@pulumi/kubernetes').pulumi.version)")
# The only pseudo-version of provider/v4 the module proxy serves here (see docs/ENGINE.md).
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260115033456-f47bc2d6f199
K8S_SDK_VERSION=v4.24.0
CLIPBOARD_FORK=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

CACHE=${HOTEL_TOOLCHAIN_CACHE:-$HOME/.cache/hotel-stack/toolchain}
HOST_HASH=$(cat lab/toolchain/language-host/go.mod lab/toolchain/language-host/*.go | sha256sum | cut -c1-12)
BIN=$CACHE/bin-pulumi-v$PULUMI_VERSION-host-$HOST_HASH-k8s-v$K8S_VERSION
mkdir -p "$BIN"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "toolchain: $*" >&2; }
started=$(date +%s)

# 1. pulumi CLI
if [ ! -x "$BIN/pulumi" ]; then
  if command -v pulumi >/dev/null && [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    ln -sf "$(command -v pulumi)" "$BIN/pulumi"
    log "using pulumi v$PULUMI_VERSION from PATH"
  else
    log "building pulumi v$PULUMI_VERSION from github.com/pulumi/pulumi/pkg/v3 (cold: ~4 min)"
    W=$(mktemp -d)
    (
      cd "$W"
      printf 'module hotel.local/pulumi-cli\n\ngo 1.25\n' > go.mod
      go mod edit -require=github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION -require=github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION \
        -replace=github.com/atotto/clipboard=$CLIPBOARD_FORK
      go get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION
      go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    )
    mv "$BIN/pulumi.tmp" "$BIN/pulumi"
    rm -rf "$W"
  fi
fi

# 2. Node.js language host (and the dynamic-provider shim the SDK ships)
if [ ! -x "$BIN/pulumi-language-nodejs" ]; then
  log "building the Node.js language host (lab/toolchain/language-host)"
  (cd lab/toolchain/language-host && go build -trimpath -ldflags "-s -w -X main.version=$PULUMI_VERSION" -o "$BIN/pulumi-language-nodejs.tmp" .)
  mv "$BIN/pulumi-language-nodejs.tmp" "$BIN/pulumi-language-nodejs"
fi
cp "$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$BIN/" 2>/dev/null || true
cp "$ROOT/node_modules/@pulumi/pulumi/pulumi-analyzer-policy" "$BIN/" 2>/dev/null || true

# 3. Kubernetes provider (kept off PATH: the engine gets it through `pulumi plugin install --file`)
mkdir -p "$BIN/plugins"
if [ -x "$BIN/pulumi-resource-kubernetes" ] && [ ! -e "$BIN/plugins/pulumi-resource-kubernetes" ]; then mv "$BIN/pulumi-resource-kubernetes" "$BIN/plugins/"; fi
if [ ! -x "$BIN/plugins/pulumi-resource-kubernetes" ]; then
  log "building pulumi-resource-kubernetes $K8S_VERSION from $K8S_PROVIDER_MODULE (cold: ~10 min)"
  W=$(mktemp -d)
  (
    cd "$W"
    go mod download -json "$K8S_PROVIDER_MODULE" > dl.json
    SRC=$(node -p "require('./dl.json').Dir")
    cp -r "$SRC" provider && chmod -R u+w provider
    cd provider
    # The module's only replace points at ../sdk inside the monorepo: use the published tag.
    go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 -require=github.com/pulumi/pulumi-kubernetes/sdk/v4@$K8S_SDK_VERSION
    (cd cmd/pulumi-resource-kubernetes && VERSION=$K8S_VERSION go run generate.go)
    go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_VERSION" \
      -o "$BIN/plugins/pulumi-resource-kubernetes.tmp" ./cmd/pulumi-resource-kubernetes
  )
  mv "$BIN/plugins/pulumi-resource-kubernetes.tmp" "$BIN/plugins/pulumi-resource-kubernetes"
  rm -rf "$W"
fi

# The Automation API finds the CLI as <root>/bin/pulumi: make the bin folder its own root.
ln -sfn . "$BIN/bin"

log "ready in $(( $(date +%s) - started )) s: $BIN"
echo "$BIN"

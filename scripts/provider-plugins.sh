#!/usr/bin/env bash
# Builds (once per provider version and Go version, then from cache) the dev stage's
# provider plugins, docker and postgresql, from the offline source mirror in
# ../shared/third_party (release archives of pulumi-docker / pulumi-postgresql and the
# Terraform providers they bridge; see its README). Prints the folder holding
#   pulumi-resource-docker, pulumi-resource-postgresql
# When the mirror is absent it prints nothing and exits 0: the engine then takes
# Pulumi's normal route (automatic plugin acquisition). docs/ENGINE.md says which.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "provider-plugins: $*" >&2; }
# The mirror sits beside the checkout (../shared/third_party); a checkout placed deeper
# (a CI workspace) finds it in the nearest ancestor that has one.
find_mirror() {
  local dir
  dir=$(cd .. && pwd)
  while :; do
    if [ -f "$dir/shared/third_party/SHA256SUMS" ]; then echo "$dir/shared/third_party"; return; fi
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
  echo "$(cd .. && pwd)/shared/third_party"
}
MIRROR=${HOTEL_THIRD_PARTY:-$(find_mirror)}
if [ ! -f "$MIRROR/SHA256SUMS" ]; then
  log "no source mirror at $MIRROR: plugins come from Pulumi's normal route"
  exit 0
fi

sdkver() { node -p "require('./node_modules/@pulumi/$1/package.json').version"; }
GO_VERSION=$(go env GOVERSION)
CACHE=${HOTEL_TOOLCHAIN_CACHE:-$HOME/.cache/hotel-stack/toolchain}
OUT=$CACHE/providers
mkdir -p "$OUT"
export GOTOOLCHAIN=local CGO_ENABLED=0

# build <name> <version> <pulumi archive> <upstream archive> <extra step>
build() {
  local name=$1 version=$2 pulumi_tgz=$3 upstream_tgz=$4 extra=$5
  local dir=$OUT/$name-v$version-$GO_VERSION
  if [ -x "$dir/pulumi-resource-$name" ]; then echo "$dir"; return; fi
  (cd "$MIRROR" && sha256sum --check --quiet --ignore-missing SHA256SUMS) || { log "checksums of $MIRROR do not match"; return 1; }
  [ -f "$MIRROR/$pulumi_tgz" ] && [ -f "$MIRROR/$upstream_tgz" ] || { log "$MIRROR lacks $pulumi_tgz or $upstream_tgz"; return 1; }
  log "building pulumi-resource-$name $version from $MIRROR (cold: docker ~9 min, postgresql ~3 min)"
  local started W
  started=$(date +%s)
  W=$(mktemp -d)
  tar -C "$W" -xzf "$MIRROR/$pulumi_tgz" --strip-components=1
  mkdir "$W/upstream"
  tar -C "$W/upstream" -xzf "$MIRROR/$upstream_tgz" --strip-components=1
  # The provider's go.mod replaces the Terraform provider with ../upstream, patched as the release was.
  for p in "$W"/patches/*.patch; do
    [ -e "$p" ] || continue
    patch -s -p1 -d "$W/upstream" < "$p"
  done
  (
    cd "$W/provider"
    $extra
    (cd "cmd/pulumi-resource-$name" && VERSION=$version go generate ./...)
    local module
    module=$(go list -m)
    go build -trimpath -ldflags "-s -w -X $module/pkg/version.Version=$version" \
      -o "$W/pulumi-resource-$name" "./cmd/pulumi-resource-$name"
  ) >&2
  mkdir -p "$dir"
  mv "$W/pulumi-resource-$name" "$dir/"
  rm -rf "$W"
  log "pulumi-resource-$name $version built in $(( $(date +%s) - started )) s"
  echo "$dir"
}

# pulumi-docker 5.0.0 pins pulumi-terraform-bridge v3.126.0, which the module proxy
# refuses; v3.127.0 is served and compiles (../shared/third_party/README.md).
bump_bridge() {
  export GOFLAGS="-mod=mod -buildvcs=false"
  go mod edit -require=github.com/pulumi/pulumi-terraform-bridge/v3@v3.127.0
  go get github.com/pulumi/pulumi-terraform-bridge/v3@v3.127.0
}
as_is() { export GOFLAGS="-mod=mod -buildvcs=false"; }

DOCKER_VERSION=$(sdkver docker)
POSTGRESQL_VERSION=$(sdkver postgresql)
docker_dir=$(build docker "$DOCKER_VERSION" "pulumi-docker-v$DOCKER_VERSION.tar.gz" terraform-provider-docker-619686dd.tar.gz bump_bridge)
pg_dir=$(build postgresql "$POSTGRESQL_VERSION" "pulumi-postgresql-v$POSTGRESQL_VERSION.tar.gz" terraform-provider-postgresql-ff936b95.tar.gz as_is)

# One folder with both, as the engine expects.
BIN=$OUT/bin-docker-v$DOCKER_VERSION-postgresql-v$POSTGRESQL_VERSION-$GO_VERSION
mkdir -p "$BIN"
ln -sf "$docker_dir/pulumi-resource-docker" "$BIN/pulumi-resource-docker"
ln -sf "$pg_dir/pulumi-resource-postgresql" "$BIN/pulumi-resource-postgresql"
echo "$BIN"

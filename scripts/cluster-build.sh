#!/usr/bin/env bash
# Builds (once per version, then from cache) the local Kubernetes control plane the
# project runs its `up` tests against, from the Go module proxy only:
#   - kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes),
#   - etcd (go.etcd.io/etcd/server/v3, through a one-line main),
#   - kwok (sigs.k8s.io/kwok: the node; it runs no containers) and its stage files,
#   - the prometheus-operator (cmd/operator), its config reloader and its CRDs,
#   - the real node's parts: kubelet, kube-proxy, CoreDNS and the sandbox's pause program,
#   - Prometheus v3 for the operator's pods (Debian's 2.42 lacks Kubernetes discovery).
# Prints the folder holding bin/, stages/ and crds/.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
KWOK_VERSION=v0.8.0
OPERATOR_VERSION=v0.85.0
COREDNS_VERSION=v1.15.0
PROMETHEUS_MODULE_VERSION=v0.316.0 # Prometheus v3.16.0
GO_VERSION=$(go env GOVERSION)

CACHE=${HOTEL_CLUSTER_CACHE:-$HOME/.cache/hotel-stack/cluster}
OUT=$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-operator-$OPERATOR_VERSION-$GO_VERSION
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "cluster-build: $*" >&2; }
started=$(date +%s)
mkdir -p "$OUT/bin" "$OUT/stages" "$OUT/crds"

module_dir() { # the unpacked source of a module version
  go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})'
}

# 1. Kubernetes: a wrapper module (kubernetes' own go.mod replaces its staging modules
#    with ./staging paths, which a dependent module must pin to their published versions).
#    The control plane and kubectl, and the node's kubelet and kube-proxy (issue 20).
K8S_COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy"
missing=""
for cmd in $K8S_COMMANDS; do [ -x "$OUT/bin/$cmd" ] || missing="$missing $cmd"; done
if [ -n "$missing" ]; then
  log "building$missing $K8S_VERSION (cold: ~5 min for the control plane, ~3 min more for the node)"
  W=$(mktemp -d)
  (
    cd "$W"
    printf 'module hotel.local/k8s\n\ngo 1.26\n' > go.mod
    go mod edit -require=k8s.io/kubernetes@$K8S_VERSION
    gomod=$(go mod download -json k8s.io/kubernetes@$K8S_VERSION | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')
    staging_version=v0.${K8S_VERSION#v1.}
    for m in $(sed -n 's#^\s*\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' "$gomod"); do
      go mod edit -replace="$m=$m@$staging_version"
    done
    printf 'package main\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\t_ "k8s.io/kubernetes/cmd/kubelet/app"\n\t_ "k8s.io/kubernetes/cmd/kube-proxy/app"\n)\n' > tools.go
    go mod tidy >/dev/null 2>&1 || true
    pkg=k8s.io/component-base/version
    cgo=k8s.io/client-go/pkg/version
    minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
    ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $cgo.gitVersion=$K8S_VERSION -X $cgo.gitMajor=1 -X $cgo.gitMinor=$minor"
    for cmd in $missing; do
      go build -trimpath -ldflags "$ldflags" -o "$OUT/bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$OUT/bin/$cmd.tmp" "$OUT/bin/$cmd"
    done
  )
  rm -rf "$W"
fi

# Builds one binary in a throwaway module that requires <module>@<version>:
#   build_in_module <output name> <module@version> <package to build> <a Go file of the module>
build_in_module() {
  local name=$1 requirement=$2 pkg=$3 source=$4 W
  W=$(mktemp -d)
  (
    cd "$W"
    printf 'module hotel.local/%s\n\ngo 1.26\n' "$name" > go.mod
    printf '%b' "$source" > main.go
    go get "$requirement" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1 || true
    go build -trimpath -tags "${BUILD_TAGS:-}" -ldflags "-s -w" -o "$OUT/bin/$name.tmp" "$pkg"
  )
  mv "$OUT/bin/$name.tmp" "$OUT/bin/$name"
  rm -rf "$W"
}

# 2. etcd: its server module's etcdmain, behind a one-line main.
if [ ! -x "$OUT/bin/etcd" ]; then
  log "building etcd $ETCD_VERSION"
  build_in_module etcd go.etcd.io/etcd/server/v3@$ETCD_VERSION . \
    'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n'
fi

# 3. kwok and the stages it needs (node heartbeat, pod lifecycle, volumes).
if [ ! -x "$OUT/bin/kwok" ]; then
  log "building kwok $KWOK_VERSION"
  GOBIN="$OUT/bin" go install sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION
fi
if [ ! -e "$OUT/stages/.done" ]; then
  src=$(module_dir sigs.k8s.io/kwok@$KWOK_VERSION)
  cp -r "$src/kustomize/stage/." "$OUT/stages/"
  chmod -R u+w "$OUT/stages"
  touch "$OUT/stages/.done"
fi

# 4. The Prometheus operator and its CRDs.
if [ ! -x "$OUT/bin/prometheus-operator" ]; then
  log "building prometheus-operator $OPERATOR_VERSION (cmd/operator)"
  build_in_module prometheus-operator github.com/prometheus-operator/prometheus-operator@$OPERATOR_VERSION \
    github.com/prometheus-operator/prometheus-operator/cmd/operator \
    'package main\n\nimport _ "github.com/prometheus-operator/prometheus-operator/cmd/operator"\n'
fi
if [ ! -e "$OUT/crds/.done" ]; then
  src=$(module_dir github.com/prometheus-operator/prometheus-operator@$OPERATOR_VERSION)
  cp "$src"/example/prometheus-operator-crd/*.yaml "$OUT/crds/"
  chmod -R u+w "$OUT/crds"
  touch "$OUT/crds/.done"
fi

# 5. The real node's own parts: CoreDNS (cluster DNS, no upstream), the operator's
#    config reloader (a container of every Prometheus pod) and the pause program.
if [ ! -x "$OUT/bin/coredns" ]; then
  log "building coredns $COREDNS_VERSION (cold: ~3 min)"
  GOBIN="$OUT/bin" go install -trimpath -ldflags "-s -w" github.com/coredns/coredns@$COREDNS_VERSION
fi
if [ ! -x "$OUT/bin/prometheus-config-reloader" ]; then
  log "building prometheus-config-reloader $OPERATOR_VERSION"
  build_in_module prometheus-config-reloader github.com/prometheus-operator/prometheus-operator@$OPERATOR_VERSION \
    github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader \
    'package main\n\nimport _ "github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader"\n'
fi
if [ ! -x "$OUT/bin/pause" ] || [ lab/cluster/pause/main.go -nt "$OUT/bin/pause" ]; then
  ( cd lab/cluster/pause && GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$OUT/bin/pause" main.go )
fi

# 6. Prometheus for the pods the operator creates: the operator's generated config finds
#    targets with kubernetes_sd_configs, which Debian's prometheus 2.42 is built without.
#    Only the Kubernetes discovery is compiled in (Prometheus' own build tags).
if [ ! -x "$OUT/bin/prometheus" ]; then
  log "building prometheus (module $PROMETHEUS_MODULE_VERSION, Kubernetes discovery only; cold: ~5 min)"
  BUILD_TAGS=remove_all_sd,enable_kubernetes_sd build_in_module prometheus github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION \
    github.com/prometheus/prometheus/cmd/prometheus \
    'package main\n\nimport _ "github.com/prometheus/prometheus/cmd/prometheus"\n'
fi

log "ready in $(( $(date +%s) - started )) s: $OUT"
echo "$OUT"

#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: Node packages (from the lockfile);
# with --node, what the local cluster's real node runs (Debian's containerd, runc, CNI
# plugins, iptables); with --servers, that and the real servers the tests run. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

need=()
mode=${1:-}
# With a kubeconfig of one's own (CI's deploy hands it over as HOTEL_KUBECONFIG_DATA), an
# `up` never starts the local cluster: its node's packages are not needed there.
if [ "$mode" = "--node" ] && { [ -n "${HOTEL_KUBECONFIG_DATA:-}" ] || [ -n "${KUBECONFIG:-}" ]; }; then mode=""; fi
if [ "$mode" = "--node" ] || [ "$mode" = "--servers" ]; then
  # The local cluster's node (docs/CLUSTER.md): containerd 1.6 with CRI, runc, the
  # bridge/host-local/loopback CNI plugins, and the netfilter tools kube-proxy drives.
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v iptables >/dev/null || need+=(iptables)
  command -v conntrack >/dev/null || need+=(conntrack)
fi
if [ "$mode" = "--servers" ]; then
  command -v redis-server >/dev/null || need+=(redis-server)
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
  command -v promtool >/dev/null || need+=(prometheus)
  command -v amtool >/dev/null || need+=(prometheus-alertmanager)
  # The dev stage's Docker daemon and the base of its local stand-in images (docs/DOCKER.md).
  [ -x /usr/sbin/dockerd ] || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  # The real exporters the alerts scrape (the end-to-end alert tests run them).
  command -v prometheus-redis-exporter >/dev/null || need+=(prometheus-redis-exporter)
  command -v prometheus-postgres-exporter >/dev/null || need+=(prometheus-postgres-exporter)
  # The stand-in app's libraries, for the tests that run it as a local process (Debian's python3).
  /usr/bin/python3 -c "import sqlalchemy, psycopg2, redis" 2>/dev/null || need+=(python3-sqlalchemy python3-psycopg2 python3-redis)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (Debian packages)" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

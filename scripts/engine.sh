#!/usr/bin/env bash
# Runs the real Pulumi engine, offline, on one stage:
#   bash scripts/engine.sh preview --stack staging      # preview with the policy pack
#   bash scripts/engine.sh up --stack staging           # apply (to the cluster in kubeconfig)
#   bash scripts/engine.sh render --stack staging       # up in render mode -> rendered/staging/
# State lives in .pulumi-state/ (git-ignored), plugins in .pulumi-home/; no Pulumi Cloud,
# no update checks, no plugin downloads. The password comes from HOTEL_POSTGRES_PASSWORD,
# or is generated once per stage into .pulumi-state/ (never committed).
# For tests and what-ifs: HOTEL_STATE_DIR (default .pulumi-state), HOTEL_STAGE_FILE
# (default Pulumi.<stage>.yaml) and HOTEL_RENDER_DIR (default rendered/<stage>/manifests).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cmd=${1:?usage: engine.sh preview|up|render|destroy --stack <stage> [pulumi flags]}; shift
stage=""; rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --stack|-s) stage=$2; shift 2 ;;
    --stack=*) stage=${1#--stack=}; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
stage=${stage:-${PULUMI_STACK:-staging}}

bash scripts/setup.sh
BIN=$(bash scripts/toolchain.sh)
export PATH="$BIN:$PATH"
export PULUMI_HOME="$ROOT/.pulumi-home"
STATE=$(realpath -m "${HOTEL_STATE_DIR:-$ROOT/.pulumi-state}")
export PULUMI_BACKEND_URL="file://$STATE"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_CONFIRMATIONS=true
mkdir -p "$STATE" "$PULUMI_HOME"
STAGE_FILE=$(realpath "${HOTEL_STAGE_FILE:-Pulumi.$stage.yaml}")
export HOTEL_STAGE_FILE="$STAGE_FILE" HOTEL_STATE_DIR="$STATE"

K8S_VERSION=$(node -p "require('./node_modules/@pulumi/kubernetes/package.json').pulumi.version")
if ! pulumi plugin ls 2>/dev/null | grep -qE "^kubernetes\s+resource\s+$K8S_VERSION"; then
  pulumi plugin install resource kubernetes "$K8S_VERSION" --file "$BIN/plugins/pulumi-resource-kubernetes" >&2
fi

platform=$(node -e "const y=require('yaml');const c=y.parse(require('fs').readFileSync('$STAGE_FILE','utf8')).config;console.log(c['hotel:platform'])")
if [ "$platform" = "docker" ]; then
  echo "engine.sh: stage $stage runs on Docker: its providers (docker, postgresql) are Terraform-bridged and cannot be built here," >&2
  echo "and no Docker daemon runs here. Use 'npm run policy -- --stack $stage' (the program under mocks + the policy pack). See docs/ENGINE.md." >&2
  exit 3
fi

# Creating a stack writes its passphrase salt into Pulumi.<stage>.yaml: keep the committed
# file as it is and move the salt to the work config instead.
salt=""
if ! pulumi stack select "$stage" >/dev/null 2>&1; then
  cp "Pulumi.$stage.yaml" "$STATE/Pulumi.$stage.yaml.orig"
  pulumi stack init "$stage" >/dev/null
  salt=$(sed -n 's/^encryptionsalt: //p' "Pulumi.$stage.yaml")
  mv "$STATE/Pulumi.$stage.yaml.orig" "Pulumi.$stage.yaml"
fi
export HOTEL_ENCRYPTION_SALT="$salt"

render_dir=$(realpath -m "${HOTEL_RENDER_DIR:-$ROOT/rendered/$stage/manifests}")
if [ "$cmd" = "render" ]; then
  cfg=$(npx tsx scripts/workConfig.ts "$stage" --render "$render_dir")
else
  cfg=$(npx tsx scripts/workConfig.ts "$stage")
fi
# The password: HOTEL_POSTGRES_PASSWORD when given, else the one already in the work
# config, else one generated now and kept in the state folder.
password=${HOTEL_POSTGRES_PASSWORD:-}
if [ -z "$password" ] && ! grep -q "hotel:postgresPassword" "$cfg"; then
  pw_file=$STATE/$stage.pgpass
  [ -s "$pw_file" ] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$pw_file"
  password=$(cat "$pw_file")
fi
if [ -n "$password" ]; then
  pulumi config set --secret hotel:postgresPassword "$password" --stack "$stage" --config-file "$cfg" >/dev/null
fi

case "$cmd" in
  preview) exec pulumi preview --stack "$stage" --config-file "$cfg" --policy-pack "$ROOT/policies" --diff "${rest[@]}" ;;
  up) exec pulumi up --stack "$stage" --config-file "$cfg" --policy-pack "$ROOT/policies" --yes --skip-preview "${rest[@]}" ;;
  render)
    # Redact whatever the provider wrote, even when the update fails part-way.
    status=0
    pulumi up --stack "$stage" --config-file "$cfg" --policy-pack "$ROOT/policies" --yes --skip-preview "${rest[@]}" || status=$?
    npx tsx scripts/redact.ts "$render_dir"
    exit "$status" ;;
  destroy) exec pulumi destroy --stack "$stage" --config-file "$cfg" --yes "${rest[@]}" ;;
  *) exec pulumi "$cmd" --stack "$stage" --config-file "$cfg" "${rest[@]}" ;;
esac

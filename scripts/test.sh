#!/usr/bin/env bash
# The whole test suite: installs what it needs, type-checks, runs every ava test
# (unit, program-under-mocks, policy, and the real Redis/PostgreSQL/Prometheus tests),
# and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# The number of tests the suite holds: a full run that executes fewer (a file that
# crashed at load, a test deleted by mistake) or more fails.
EXPECTED_TESTS=510
bash scripts/setup.sh --servers || { echo "0 passed, 1 failed"; exit 1; }
# The engine tests need the Pulumi CLI, language host and Kubernetes provider: built
# once per version into ~/.cache (cold: ~13 min), then reused.
bash scripts/toolchain.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# The engine tests also apply the stages to a real control plane (etcd, kube-apiserver,
# controller-manager, scheduler, kwok, prometheus-operator), and test/node/ to one with a
# real node (kubelet, kube-proxy, CoreDNS, Prometheus for the operator's pods), built
# once per version into ~/.cache (cold: ~21 min), then reused.
bash scripts/cluster-build.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# The dev stage runs on Docker: its provider plugins (docker, postgresql) built from the
# offline source mirror (cold: ~4 min), a Docker daemon (ours is started if none answers,
# and stopped at the end only if this run started it), and the local stand-in images
# built from Debian packages (cold: ~3 min), all cached by version.
bash scripts/provider-plugins.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# actionlint for the CI workflows users get (cold: seconds to a minute, then cached).
bash scripts/actionlint.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
# vegeta, the rehearsal's load generator (cold: about a minute, then cached).
bash scripts/vegeta.sh >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
docker_outcome=$(node --require ./lib/transpileHook.js ops/dockerCommand.ts start | tail -1) || { echo "0 passed, 1 failed"; exit 1; }
# Silent: nothing may follow the summary line, whichever way the script ends.
HOTEL_TEST_CLUSTER=
stop_services() {
  case "$docker_outcome" in started*) node --require ./lib/transpileHook.js ops/dockerCommand.ts stop >/dev/null 2>&1 ;; esac; docker_outcome=
  [ -n "$HOTEL_TEST_CLUSTER" ] && node --require ./lib/transpileHook.js test/fixtures/sharedCluster.ts stop "$HOTEL_TEST_CLUSTER" >/dev/null 2>&1; HOTEL_TEST_CLUSTER=
}
trap stop_services EXIT
# One control plane for the run's engine tests (each file in namespaces of its own).
HOTEL_TEST_CLUSTER=$(node --require ./lib/transpileHook.js test/fixtures/sharedCluster.ts start) || { echo "0 passed, 1 failed"; exit 1; }
export HOTEL_TEST_CLUSTER
node --require ./lib/transpileHook.js ops/dockerCommand.ts images >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export HOTEL_DOCKER_HOST=${docker_outcome#* }

failed_extra=0
if ! npx tsc -p .; then
  echo "typecheck failed" >&2
  failed_extra=1
fi

# A full run goes in three lanes side by side, each one file at a time. Most of a lane's
# time is waiting on an engine, a pod or a server: with two lanes the 2 cores were busy
# about 56 % of a 25-min run (docs/BUDGET.md). Files may go in any lane: no engine run
# writes a committed stage file (docs/ENGINE.md), and each file has namespaces, stacks,
# servers and databases of its own. One constraint: the real node's tests run after,
# never beside, the tests that create Docker networks (dev and the rehearsal), so all
# three are in the first lane. Docker puts its DOCKER-USER jump back at the top of
# FORWARD whenever it sets up a network, above the node's counting drop, which the node
# tier checks is first (docs/CLUSTER.md). The real tier uses no Docker.
DOCKER_LANE=(test/engine/dev.test.ts test/engine/rehearse.test.ts test/node/staging.test.ts)
SERVERS_LANE=(test/engine/recovery.test.ts test/engine/sharedState.test.ts)
mapfile -t -O "${#SERVERS_LANE[@]}" SERVERS_LANE < <(find test/real -name '*.test.ts' | sort)
# With HOTEL_TEST_TIMES=<folder>, each lane's TAP lines also go to <folder>/lane-N.tap,
# each prefixed with the second it arrived: where a run's time goes, per file
# (docs/BUDGET.md). Without it the lines pass through untouched.
stamped() {
  if [ -z "${HOTEL_TEST_TIMES:-}" ]; then cat; return; fi
  mkdir -p "$HOTEL_TEST_TIMES"
  tee >(while IFS= read -r line; do printf '%(%s)T %s\n' -1 "$line"; done >"$HOTEL_TEST_TIMES/lane-$1.tap")
}
out=$(mktemp)
if [ $# -eq 0 ]; then
  docker_lane=$(mktemp)
  servers_lane=$(mktemp)
  # Every other file: the control plane's engine files and the fast tier. A file missing
  # from every lane shows in the count below.
  mapfile -t other_lane < <(find test -name '*.test.ts' | sort | grep -vxF -f <(printf '%s\n' "${DOCKER_LANE[@]}" "${SERVERS_LANE[@]}"))
  npx ava --tap "${DOCKER_LANE[@]}" | stamped 1 >"$docker_lane" &
  docker_pid=$!
  npx ava --tap "${SERVERS_LANE[@]}" | stamped 3 >"$servers_lane" &
  servers_pid=$!
  npx ava --tap "${other_lane[@]}" | stamped 2 | tee "$out"
  wait "$docker_pid" "$servers_pid"
  tee -a "$out" <"$docker_lane"
  tee -a "$out" <"$servers_lane"
  rm -f "$docker_lane" "$servers_lane"
else
  npx ava --tap "$@" | tee "$out"
fi
# The count: a skipped, todo or taken-down test is a failure, and a full run must execute
# exactly EXPECTED_TESTS tests (update it in the commit that adds or removes tests).
expect=(); [ $# -eq 0 ] && expect=(--expect "$EXPECTED_TESTS")
summary=$(node --require ./lib/transpileHook.js ops/testSummary.ts "${expect[@]}" < "$out")
rm -f "$out"
passed=$(echo "$summary" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p')
failed=$(echo "$summary" | sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p')
[ -n "$passed" ] || { passed=0; failed=1; }
failed=$((failed + failed_extra))
stop_services
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Where a test run's CPU went, by kind of process (bench/testCpu.ts): runs the suite (or
# the files given) under the kernel's process accounting, written to <folder>/pacct, then
# prints the table. Needs Debian's acct (accton, dump-acct); accounting is switched off
# again however the run ends. Figures to compare, not to assert (docs/BUDGET.md).
set -uo pipefail
cd "$(dirname "$0")/.."
folder=${1:?usage: scripts/test-cpu.sh <folder> [test files]}
shift
command -v accton >/dev/null && command -v dump-acct >/dev/null || {
  echo "scripts/test-cpu.sh needs process accounting: apt-get install acct" >&2
  exit 2
}
mkdir -p "$folder"
log=$(realpath "$folder")/pacct
: >"$log"
accton "$log" >/dev/null || exit 2
trap 'accton off >/dev/null' EXIT
bash scripts/test.sh "$@"
status=$?
accton off >/dev/null
trap - EXIT
dump-acct "$log" >"$log.txt"
node --require ./lib/transpileHook.js bench/testCpu.ts "$log.txt"
exit "$status"

#!/usr/bin/env bash
# Where a full run's time went, per test file, from the lane logs that
# `HOTEL_TEST_TIMES=<folder> npm test` writes (scripts/test.sh): for each lane, its
# files in the order they ran, when each ended (seconds after the lane's first line)
# and how long it took (from the previous file's end). Figures to compare, not to assert.
set -euo pipefail
folder=${1:?usage: scripts/test-times.sh <folder given as HOTEL_TEST_TIMES>}
for log in "$folder"/lane-*.tap; do
  echo "== $(basename "$log" .tap)"
  awk '
    NR == 1 { start = $1 }
    match($0, / - [a-zA-Z]+ › [A-Za-z0-9]+ /) {
      file = substr($0, RSTART + 3, RLENGTH - 4)
      if (!(file in last)) order[++n] = file
      last[file] = $1
    }
    END {
      previous = start
      for (i = 1; i <= n; i++) {
        f = order[i]
        printf "%-32s ends %5d s  takes %5d s\n", f, last[f] - start, last[f] - previous
        previous = last[f]
      }
    }' "$log"
done

/**
 * The test command's closing line, from ava's TAP output: `N passed, N failed`, where a
 * test that did not pass for any reason is failed: a failed assertion, a skipped or todo
 * test, a test a failed hook took down ("N tests remaining"), and a test that never ran
 * at all (fewer executed than the committed count). Used by scripts/test.sh:
 *
 *   npx ava --tap | node --require tsx/cjs ops/testSummary.ts --expect <count>
 */
import * as fs from "fs";
import { flagValue } from "../lib/flags";

export interface TapCount {
  passed: number;
  failed: number;
  /** Why each failure counted, one line each (printed before the summary). */
  reasons: string[];
}

const HOOK = /› (before|after|beforeEach|afterEach)(\.always)? hook$/;

/** Counts a TAP text; `expected` is the number of tests the suite holds (undefined: not checked). */
export function countTap(tap: string, expected?: number): TapCount {
  let passed = 0;
  let failed = 0;
  let broken = 0;
  const reasons: string[] = [];
  for (const line of tap.split("\n")) {
    const ok = /^ok \d+ - (.*)$/.exec(line);
    const notOk = /^not ok \d+ - (.*)$/.exec(line);
    const remaining = /^# (\d+) tests? remaining in (.*)$/.exec(line);
    if (ok && / # SKIP\b/.test(ok[1])) {
      failed++;
      reasons.push(`skipped (a test that does not run is not a pass): ${ok[1]}`);
    } else if (ok) passed++;
    else if (notOk && / # TODO\b/.test(notOk[1])) {
      failed++;
      reasons.push(`todo: ${notOk[1]}`);
    } else if (notOk && (HOOK.test(notOk[1]) || / exited with a non-zero exit code|^(Error|Uncaught|Unhandled)/.test(notOk[1]))) {
      broken++;
      reasons.push(`broken: ${notOk[1]}`);
    } else if (notOk) {
      failed++;
    } else if (remaining) {
      failed += Number(remaining[1]);
      reasons.push(`${remaining[1]} test(s) taken down in ${remaining[2]} (a failed hook or a crash)`);
    }
  }
  if (expected !== undefined) {
    const ran = passed + failed;
    if (ran < expected) {
      failed += expected - ran;
      reasons.push(`${expected - ran} test(s) never ran: ${ran} counted, ${expected} expected (scripts/test.sh EXPECTED_TESTS)`);
    } else if (ran > expected) {
      failed++;
      reasons.push(`${ran} tests ran but ${expected} are expected: update EXPECTED_TESTS in scripts/test.sh in the commit that adds tests`);
    }
  }
  // A broken hook or file never passes, even when no test was lost to it.
  if (broken && failed === 0) failed = broken;
  return { passed, failed, reasons };
}

if (require.main === module) {
  const expect = flagValue(process.argv, "--expect");
  const { passed, failed, reasons } = countTap(fs.readFileSync(0, "utf8"), expect === undefined ? undefined : Number(expect));
  for (const r of reasons) console.error(r);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

/**
 * The test command's closing line, from ava's TAP output: `N passed, N failed`, where a
 * test that did not pass for any reason is failed: a failed assertion, a skipped or todo
 * test, a test a failed hook took down ("N tests remaining"), and a test that never ran
 * at all (fewer executed than the committed count). Used by scripts/test.sh:
 *
 *   npx ava --tap | node --require ./lib/transpileHook.js ops/testSummary.ts --expect <count>
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
const MAX_REASON = 300;

/**
 * One line on why a test failed, from ava's YAML block under its `not ok`: a thrown
 * error's first line and the first engine `error:` line in it, or the assertion with its
 * message and the first lines of its difference. CI shows the tail of the output: this
 * line must say enough there.
 */
export function failureReason(block: string[]): string {
  const text = block.join("\n");
  const thrown = /message: `([^`]*)/.exec(text)?.[1];
  if (thrown !== undefined) {
    // The message's lines, as ava quotes them: "␊" then an escaped newline.
    const lines = thrown.split("␊").map((l) => oneLine(l.replace(/^\\n/, "")));
    const engineError = lines.find((l) => /\berror: /.test(l));
    // A failed CLI call's first line is its whole command: the engine's error must still show.
    return [lines[0].slice(0, MAX_REASON / 2), engineError].filter(Boolean).join(" … ").slice(0, MAX_REASON);
  }
  const field = (name: string) => new RegExp(`^\\s+${name}: (.*)$`, "m").exec(text)?.[1].replace(/^''$/, "") ?? "";
  const diff = block
    .filter((l) => /^\s+[-+] /.test(l))
    .slice(0, 2)
    .map(oneLine);
  return [field("assertion"), field("message"), diff.join(" ")].filter(Boolean).join(": ").slice(0, MAX_REASON);
}

const oneLine = (s: string) => s.trim().replace(/\s+/g, " ");

/** The YAML block ava prints under the line at `at` (until its closing "..."). */
function blockAfter(lines: string[], at: number): string[] {
  if (lines[at + 1]?.trim() !== "---") return [];
  const end = lines.findIndex((l, i) => i > at && l.trim() === "...");
  return lines.slice(at + 2, end === -1 ? undefined : end);
}

/** Counts a TAP text; `expected` is the number of tests the suite holds (undefined: not checked). */
export function countTap(tap: string, expected?: number): TapCount {
  let passed = 0;
  let failed = 0;
  let broken = 0;
  const reasons: string[] = [];
  const lines = tap.split("\n");
  const why = (at: number) => {
    const reason = failureReason(blockAfter(lines, at));
    return reason ? `: ${reason}` : "";
  };
  for (const [at, line] of lines.entries()) {
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
      reasons.push(`broken: ${notOk[1]}${why(at)}`);
    } else if (notOk) {
      failed++;
      reasons.push(`failed: ${notOk[1]}${why(at)}`);
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

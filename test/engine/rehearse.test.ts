/**
 * `npm run rehearse -- --stack dev --quick`, end to end on the real engine and Docker:
 * the before config and the five quick wins applied in order on a stack of its own, a
 * 5-second load at 291 req/s around each, and a planted pool of 1. Asserted: the path
 * (every step applied, each a small change) and the count-based signals read at their
 * source (sequential scans, pool waits, the cache hit ratio), never latency: latency
 * verdicts belong to the full run (docs/REHEARSAL.md).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR, stageFilePath } from "../../config/stages";
import { Rehearsal, StepResult } from "../../ops/rehearse/report";
import { tempDir } from "../fixtures/files";

let run: { status: number | null; stderr: string; stdout: string };
let report: Rehearsal;
let userFileBefore: string;

test.before(() => {
  const out = tempDir("rehearsal");
  userFileBefore = fs.readFileSync(stageFilePath("dev"), "utf8");
  run = spawnSync(process.execPath, ["--import", "tsx", "ops/rehearse/command.ts", "--stack", "dev", "--quick", "--plant", "pool-of-1", "--out", out], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, ...(process.env.HOTEL_DOCKER_HOST ? { DOCKER_HOST: process.env.HOTEL_DOCKER_HOST } : {}) },
  });
  report = JSON.parse(fs.readFileSync(path.join(out, "rehearsal-quick.json"), "utf8"));
});

const step = (n: number): StepResult => report.steps.find((s) => s.n === n)!;
const hitRatio = (s: StepResult) => s.counts.cacheHits / (s.counts.cacheHits + s.counts.cacheMisses);

test("rehearse --quick: every step applied through up and the policy pack, each a small change, the user's stage file untouched", (t) => {
  t.is(run.status, 0, run.stderr.slice(-3000));
  t.deepEqual(
    report.steps.map((s) => [s.n, s.planted]),
    [
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, false],
      [5, false],
      [6, true],
    ],
  );
  // The before config's 33 resources and the stack; then what each quick win's block moves.
  t.deepEqual(
    report.steps.map((s) => s.changes),
    [
      { create: 34 },
      { replace: 1, same: 33 },
      { replace: 1, same: 33 },
      { replace: 2, same: 32 },
      { create: 2, delete: 1, replace: 2, same: 32 },
      { create: 3, replace: 1, same: 34 },
      { replace: 1, same: 37 },
    ],
  );
  t.is(fs.readFileSync(stageFilePath("dev"), "utf8"), userFileBefore);
  for (const s of report.steps) t.deepEqual(Object.keys(s.client.statusCodes), s.planted ? Object.keys(s.client.statusCodes) : ["200"], `step ${s.n}: every answer 200`);
});

test("rehearse --quick: the app's tables are scanned sequentially until quick win 4's indexes, and not after", (t) => {
  for (const n of [0, 1, 2, 3]) t.true(step(n).counts.seqScans > 50, `step ${n}: ${step(n).counts.seqScans} sequential scans`);
  for (const n of [4, 5, 6]) t.is(step(n).counts.seqScans, 0, `step ${n}`);
  t.true(step(4).counts.idxScans > step(3).counts.idxScans);
});

test("rehearse --quick: the pool never waits at the stage's sizes, and a planted pool of 1 does", (t) => {
  for (const n of [0, 1, 2, 3, 4, 5]) {
    t.true(step(n).counts.poolCheckouts > 0, `step ${n} used the pool`);
    t.is(step(n).counts.poolWaits, 0, `step ${n}`);
  }
  t.true(step(6).counts.poolWaits > 0, `planted: ${step(6).counts.poolWaits} waits of ${step(6).counts.poolCheckouts}`);
});

test("rehearse --quick: the warmer (quick win 5) loads its key classes, and the cache hit ratio from a cold start rises by more than 20 points", (t) => {
  for (const n of [0, 1, 2, 3, 4]) t.is(step(n).warmer, undefined);
  t.regex(step(5).warmer ?? "", /warmed, 5000 availability, 5000 roomDetails, 5000 rates/);
  t.true(hitRatio(step(5)) > hitRatio(step(4)) + 0.2, `hit ratio ${hitRatio(step(4)).toFixed(3)} -> ${hitRatio(step(5)).toFixed(3)}`);
});

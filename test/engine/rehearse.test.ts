/**
 * `npm run rehearse -- --stack dev --quick`, end to end on the real engine and Docker:
 * the before config and the five quick wins applied in order on a stack of its own, a
 * 5-second load at 291 req/s around each, and a planted index removal. Asserted: the path
 * (every step applied, each a small change) and the count-based signals read at their
 * source (sequential scans, the cache hit ratio), never latency: latency verdicts belong
 * to the full run (docs/REHEARSAL.md). Pool waits are not asserted here: with the indexes
 * in and the cache warm, a pool of 1 waited 3 to 40 times in 448 checkouts over 5 s, too
 * few to tell apart; the full run (134 in 6 763) and test/real/standInApp.test.ts (a
 * smaller pool exhausted under the same load) show them.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR, stageFilePath } from "../../config/stages";
import { Rehearsal, StepResult } from "../../ops/rehearse/report";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

let run: { status: number | null; stderr: string; stdout: string };
let report: Rehearsal;
let userFileBefore: string;
let beside: { status: number | null; stderr: string };

const ARGS = [...TS_ENTRY_ARGS, "ops/rehearse/command.ts", "--stack", "dev", "--quick"];
const ENV = { ...process.env, ...(process.env.HOTEL_DOCKER_HOST ? { DOCKER_HOST: process.env.HOTEL_DOCKER_HOST } : {}) };
const rehearse = (args: string[]) => spawnSync(process.execPath, [...ARGS, ...args], { cwd: PROJECT_DIR, encoding: "utf8", timeout: 600_000, env: ENV });

/**
 * A rehearsal killed hard (SIGKILL: no clean-up) during its first load; a second one
 * started beside it while it ran is refused.
 */
async function killedDuringLoad(): Promise<void> {
  const first = spawn(process.execPath, [...ARGS, "--load-seconds", "30", "--out", tempDir("rehearsal-killed")], { cwd: PROJECT_DIR, env: ENV, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no load within 300 s:\n${stderr}`)), 300_000);
    first.stderr.on("data", (d) => {
      stderr += d;
      if (/step 0: load/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  beside = rehearse(["--out", tempDir("rehearsal-beside")]);
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
}

test.before(async () => {
  await killedDuringLoad();
  const out = tempDir("rehearsal");
  userFileBefore = fs.readFileSync(stageFilePath("dev"), "utf8");
  run = rehearse(["--plant", "index-removed", "--out", out]);
  const file = path.join(out, "rehearsal-quick.json");
  if (!fs.existsSync(file)) throw new Error(`the quick rehearsal wrote no report (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  report = JSON.parse(fs.readFileSync(file, "utf8"));
});

test("rehearse beside a running one is refused (exit 3); after a run killed hard, the next one destroys what it left first", (t) => {
  t.is(beside.status, 3, beside.stderr);
  t.regex(beside.stderr, /another rehearsal runs \(pid \d+, .*rehearsal\): one at a time/);
  t.regex(run.stderr, /a killed rehearsal left its stack \(.*\): recovering and destroying it first/);
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
  // The before config's 30 resources (dev's 34 less the warmer's 3 and pg_stat_statements) and the
  // stack; then what each block moves (quick win 4: the extension and the exporter's queries;
  // 5: the warmer; the planted removal: the reconcile script's container is replaced by a new one).
  t.deepEqual(
    report.steps.map((s) => s.changes),
    [
      { create: 31 },
      { replace: 1, same: 30 },
      { replace: 1, same: 30 },
      { replace: 2, same: 29 },
      { create: 2, delete: 1, replace: 2, same: 28 },
      { create: 3, replace: 1, same: 31 },
      { create: 1, delete: 1, same: 34 },
    ],
  );
  t.is(fs.readFileSync(stageFilePath("dev"), "utf8"), userFileBefore);
  // A planted regression may fail requests; every answer of a quick win must be a 200.
  for (const s of report.steps.filter((x) => !x.planted)) {
    t.deepEqual(s.client.failures, {}, `step ${s.n}: no answer but a 2xx`);
    t.deepEqual(Object.keys(s.client.statusCodes), ["200"], `step ${s.n}: every answer 200`);
  }
});

test("rehearse --quick: the app's tables are scanned sequentially until quick win 4's indexes, and not after", (t) => {
  for (const n of [0, 1, 2, 3]) t.true(step(n).counts.seqScans > 50, `step ${n}: ${step(n).counts.seqScans} sequential scans`);
  for (const n of [4, 5]) t.is(step(n).counts.seqScans, 0, `step ${n}`);
  t.true(step(4).counts.idxScans > step(3).counts.idxScans);
});

test("rehearse --quick: the planted removal of idx_reservations_guest_id brings the sequential scans back, and the pool is used at every step", (t) => {
  t.true(step(6).counts.seqScans > 50, `${step(6).counts.seqScans} sequential scans`);
  t.true(step(6).counts.idxScans < step(5).counts.idxScans);
  for (const s of report.steps) t.true(s.counts.poolCheckouts > 0, `step ${s.n} used the pool`);
});

test("rehearse --quick: the warmer (quick win 5) loads its key classes, and the cache hit ratio from a cold start rises by more than 20 points", (t) => {
  for (const n of [0, 1, 2, 3, 4]) t.is(step(n).warmer, undefined);
  t.regex(step(5).warmer ?? "", /warmed, 5000 availability, 5000 roomDetails, 5000 rates/);
  t.true(hitRatio(step(5)) > hitRatio(step(4)) + 0.2, `hit ratio ${hitRatio(step(4)).toFixed(3)} -> ${hitRatio(step(5)).toFixed(3)}`);
});

/** The rehearsal's pure parts (ops/rehearse): its steps, its load's mix, its verdict, its report and plots. */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { parse, stringify } from "yaml";
import { checkStageFile, stageFilePath } from "../../config/stages";
import { RehearsalSettings, Step, rehearsalSteps } from "../../ops/rehearse/plan";
import { clientReport, failedAnswers, requestPaths } from "../../ops/rehearse/load";
import { judgeStep } from "../../ops/rehearse/verdict";
import { BEGIN, END, StepResult, resultsTable, verdictLine, withMeasured } from "../../ops/rehearse/report";
import { plotSvg } from "../../ops/rehearse/plot";
import { parseRehearseArgs } from "../../ops/rehearse/args";
import { UsageError } from "../../lib/usage";
import { stageConfig } from "../helpers";
import { tempDir } from "../fixtures/files";

const SETTINGS: RehearsalSettings = { ports: { postgresHostPort: 25432, appHostPort: 28000, prometheusHostPort: 29090 }, soakSeconds: 120 };
const devText = () => fs.readFileSync(stageFilePath("dev"), "utf8");

/** A step's text as the program will read it. */
function configOf(step: Step) {
  const file = path.join(tempDir("rehearse-unit"), "Pulumi.dev.yaml");
  fs.writeFileSync(file, step.text);
  return checkStageFile("dev", file).config;
}

test("step 0 is the roadmap's before config: every quick-win knob at its before value, the rehearsal's ports and compressed clock", (t) => {
  const [before] = rehearsalSteps(devText(), SETTINGS);
  const c = configOf(before);
  t.deepEqual(
    [c.alerts.p95Latency, c.alerts.errorRatio, c.alerts.cacheMissRatio, c.dbPool.poolSize, c.dbPool.maxOverflow, c.dbPool.poolPrePing, c.dbPool.poolRecycle],
    [100, 0.01, 0.3, 20, 0, false, undefined],
  );
  t.deepEqual([c.redis.maxmemoryPolicy, c.redis.ttl.reservations, c.postgres.pgStatStatements, c.postgres.indexes, c.cacheWarming.enabled], ["allkeys-lru", 1_800_000, false, [], false]);
  t.deepEqual([c.alerts.evaluationInterval, c.alerts.rateWindow, c.rollout.soakTime], [5_000, 20_000, 120_000]);
  t.deepEqual(c.docker, { postgresHostPort: 25432, appHostPort: 28000, prometheusHostPort: 29090 });
});

/** What each quick win's step changes, as the program reads it (dev's committed values). */
const QUICK_WIN_STEPS: [number, string, (c: ReturnType<typeof configOf>) => unknown, unknown][] = [
  [1, "hotel:alerts", (c) => [c.alerts.p95Latency, c.alerts.errorRatio, c.alerts.cacheMissRatio], [50, 0.005, 0.2]],
  [2, "hotel:dbPool", (c) => [c.dbPool.poolSize, c.dbPool.maxOverflow, c.dbPool.poolPrePing, c.dbPool.poolRecycle], [25, 5, true, 3_600_000]],
  [3, "hotel:redis", (c) => [c.redis.maxmemoryPolicy, c.redis.ttl.reservations], ["allkeys-lfu", 900_000]],
  [4, "hotel:postgres", (c) => [c.postgres.pgStatStatements, c.postgres.indexes.length], [true, 4]],
  [5, "hotel:cacheWarming", (c) => c.cacheWarming.enabled, true],
];

for (const [n, key, read, want] of QUICK_WIN_STEPS) {
  test(`step ${n} changes ${key} only, to dev's values`, (t) => {
    const steps = rehearsalSteps(devText(), SETTINGS);
    t.deepEqual(
      steps.map((s) => s.n),
      [0, 1, 2, 3, 4, 5],
    );
    const [prev, step] = [parse(steps[n - 1].text).config, parse(steps[n].text).config];
    for (const k of new Set([...Object.keys(prev), ...Object.keys(step)])) if (k !== key) t.deepEqual(step[k], prev[k], `${k} unchanged`);
    t.notDeepEqual(step[key], prev[key]);
    t.deepEqual(read(configOf(steps[n])), want);
  });
}

test("a user's own rateWindow and soak time never reach the rehearsal; a stage file without a quick win's block skips its step", (t) => {
  const doc = parse(devText());
  doc.config["hotel:alerts"].rateWindow = "5m";
  delete doc.config["hotel:cacheWarming"];
  const steps = rehearsalSteps(stringify(doc), SETTINGS);
  t.deepEqual(
    steps.map((s) => s.n),
    [0, 1, 2, 3, 4],
  );
  for (const s of steps) t.is(configOf(s).alerts.rateWindow, 20_000, `step ${s.n}`);
});

test("planted regressions: each on the last quick win alone, checked valid by the schema", (t) => {
  const steps = rehearsalSteps(devText(), SETTINGS, ["pool-of-1", "index-removed"]);
  t.deepEqual(
    steps.map((s) => [s.n, s.planted]),
    [
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, false],
      [5, false],
      [6, true],
      [7, true],
    ],
  );
  const pool = configOf(steps[6]);
  t.deepEqual([pool.dbPool.poolSize, pool.dbPool.maxOverflow, pool.dbPool.poolTimeout, pool.postgres.indexes.length], [1, 0, 2_000, 4]);
  const index = configOf(steps[7]);
  t.deepEqual([index.dbPool.poolSize, index.postgres.indexes.map((i) => i.name)], [25, ["idx_sessions_created_at", "idx_sessions_guest_id", "idx_locks_room_id"]]);
});

/** The stand-in's routes (lab/standInApp/app/__main__.py), written out: a path none serves would 404 under load. */
const ROUTES: [string, RegExp, number][] = [
  ["availability", /^\/rooms\/\d+\/availability$/, 0.3],
  ["roomDetails", /^\/rooms\/\d+$/, 0.22],
  ["guest", /^\/guests\/\d+\/reservations$/, 0.18],
  ["rates", /^\/rates\/\d+$/, 0.14],
  ["reservations", /^\/reservations\/\d+$/, 0.16],
  ["sessions by guest", /^\/guests\/\d+\/sessions$/, 0.04],
  ["locks by room", /^\/rooms\/\d+\/locks$/, 0.03],
  ["recent sessions", /^\/sessions\/recent$/, 0.005],
];

test("the load's mix: every path is a stand-in route, at the trace's shares (cached reads share what the uncached 7.5 % leave)", (t) => {
  const paths = requestPaths(20_000);
  t.is(paths.length, 20_000);
  t.deepEqual(requestPaths(20_000), paths, "every step replays the same requests");
  for (const [name, re, share] of ROUTES) {
    const want = re.source.includes("sessions") || re.source.includes("locks") ? share : share * (1 - 0.075);
    const got = paths.filter((p) => re.test(p)).length / paths.length;
    t.true(Math.abs(got - want) < 0.01, `${name}: ${got.toFixed(4)} vs ${want.toFixed(4)}`);
  }
  t.is(paths.filter((p) => !ROUTES.some(([, re]) => re.test(p))).length, 0);
});

test("vegeta's JSON report is read in ms", (t) => {
  const v = { requests: 34920, rate: 291.0, throughput: 290.7, success: 1, latencies: { "50th": 2_100_000, "95th": 4_850_000, "99th": 15_050_000 }, status_codes: { "200": 34920 } };
  t.deepEqual(clientReport(v, {}), { requests: 34920, rate: 291, throughput: 290.7, success: 1, p50Ms: 2.1, p95Ms: 4.85, p99Ms: 15.05, statusCodes: { "200": 34920 }, failures: {} });
});

test("the answers that were not a 2xx are counted by status and body (vegeta's encoded results), or by vegeta's error when none came", (t) => {
  const line = (code: number, body: string, error = "") =>
    JSON.stringify({
      attack: "",
      seq: 0,
      code,
      timestamp: "2026-12-05T11:00:00Z",
      latency: 1,
      bytes_out: 0,
      bytes_in: body.length,
      error,
      body: Buffer.from(body).toString("base64"),
      method: "GET",
      url: "http://127.0.0.1:1/health",
      headers: {},
    });
  const encoded = [
    line(200, "{}"),
    line(500, '{"detail": "OperationalError"}', "500 Internal Server Error"),
    line(204, ""),
    line(500, '{"detail": "OperationalError"}', "500 Internal Server Error"),
    line(503, '{"detail": "no database connection free within DB_POOL_TIMEOUT_SECONDS"}', "503 Service Unavailable"),
    line(0, "", 'Get "http://127.0.0.1:1/health": dial tcp 127.0.0.1:1: connect: connection refused'),
    "",
  ].join("\n");
  t.deepEqual(failedAnswers(encoded), {
    '500 {"detail": "OperationalError"}': 2,
    '503 {"detail": "no database connection free within DB_POOL_TIMEOUT_SECONDS"}': 1,
    'no answer: Get "http://127.0.0.1:1/health": dial tcp 127.0.0.1:1: connect: connection refused': 1,
  });
});

const readings = (p95: number, firing: string[] = []) => ({ p95, p99: p95 * 3, errorRatio: 0, cacheHitRatio: 0.9, requestRate: 291, pending: [], firing });
// The rehearsal sets the soak time to its load (ops/rehearse/plan.ts).
const rollout = { ...stageConfig("dev").rollout, soakTime: 120_000 };

test("the verdict is promotion's: P95 up 20 % refuses at dev's 10 % tolerance, 5 % passes; a firing alert refuses; a quick run is not judged", (t) => {
  const last = { n: 1, server: readings(0.005) };
  t.deepEqual(judgeStep({ server: readings(0.00525), loadMs: 120_000 }, last, rollout, false), { judged: true, against: 1, problems: [] });
  const up20 = judgeStep({ server: readings(0.006), loadMs: 120_000 }, last, rollout, false);
  t.deepEqual(up20.problems, ["P95 latency rose from 5.0 ms to 6.0 ms: more than the tolerance of +10.00 %", "P99 latency rose from 15.0 ms to 18.0 ms: more than the tolerance of +10.00 %"]);
  t.deepEqual(judgeStep({ server: readings(0.005, ["HotelP95LatencyHigh"]), loadMs: 120_000 }, last, rollout, false).problems, ["alerts firing: HotelP95LatencyHigh"]);
  t.deepEqual(judgeStep({ server: readings(0.009), loadMs: 5_000 }, last, rollout, true), { judged: false, problems: [] });
  t.deepEqual(judgeStep({ server: readings(0.009), loadMs: 120_000 }, undefined, rollout, false), { judged: true, problems: [] });
});

const result = (n: number, p95: number, problems: string[] = []): StepResult => ({
  n,
  title: n === 0 ? "before (the roadmap's day 5)" : `quick win ${n}`,
  planted: n > 5,
  diff: "",
  applySeconds: 10,
  changes: {},
  advisories: [],
  window: { startMs: 0, endMs: 120_000 },
  client: { requests: 34920, rate: 291, throughput: 290.5, success: 1, p50Ms: 2, p95Ms: 5.2, p99Ms: 16.1, statusCodes: { "200": 34920 }, failures: {} },
  server: readings(p95),
  counts: { seqScans: 12, idxScans: 0, cacheHits: 885, cacheMisses: 115, poolCheckouts: 400, poolWaits: 3, poolTimeouts: 0 },
  verdict: { judged: true, against: n === 0 ? undefined : n - 1, problems },
});

test("the report's table: the roadmap's rows and targets, a column per step, numbers as an operator reads them", (t) => {
  const lines = resultsTable([result(0, 0.00485), result(6, 0.0123)]).split("\n");
  t.is(lines[0], "| Metric | roadmap before | roadmap target | before | planted 1 |");
  t.is(lines[2], "| P95 latency (server) | 4.85ms | 3.6-4.4ms | 4.85 ms | 12.30 ms |");
  t.is(lines[5], "| Cache hit | 88.5% | 93.5% | 90.0 % | 90.0 % |");
  t.is(lines[9], "| Pool waits (checkouts finding the pool full) |  |  | 3 of 400 | 3 of 400 |");
  t.is(lines.length, 14);
  t.is(verdictLine(result(6, 0.0123, ["P95 latency rose"])), "planted 1 (quick win 6): REFUSED against QW5\n  - P95 latency rose");
});

test("the measured part replaces what is between its markers and keeps the prose around it", (t) => {
  const once = withMeasured("# Title\n\nProse.\n", "table 1");
  t.is(once, `# Title\n\nProse.\n\n${BEGIN}\ntable 1\n${END}\n`);
  t.is(withMeasured(`${once}\nMore prose.\n`, "table 2"), `# Title\n\nProse.\n\n${BEGIN}\ntable 2\n${END}\n\nMore prose.\n`);
});

test("a plot: a round axis above the highest point, a break where there was no load, a marker per step", (t) => {
  const svg = plotSvg(
    {
      name: "P95 latency",
      unit: "ms",
      points: [
        [0, 4],
        [5_000, 4.2],
        [60_000, 3.9],
        [65_000, 4.1],
      ],
    },
    0,
    70_000,
    [
      { atMs: 0, label: "before", planted: false },
      { atMs: 60_000, label: "P1", planted: true },
    ],
  );
  t.true(svg.startsWith("<svg "));
  t.regex(svg, />5\.0 ms</);
  t.is((svg.match(/stroke-dasharray/g) ?? []).length, 2);
  t.is((svg.match(/[ "]M\d/g) ?? []).length, 2, "the 55 s without data breaks the line");
  t.regex(svg, /fill="#c62828">P1</);
});

const USAGE: [string[], RegExp][] = [
  [[], /--stack must be dev .* got null/],
  [["--stack", "prod"], /--stack must be dev \(the rehearsal runs the dev stage on Docker, on a stack of its own\), got "prod"/],
  [["--stack", "dev", "--load-seconds", "30"], /--load-seconds must be a whole number from 60 to 1800, got "30"/],
  [["--stack", "dev", "--rate", "0"], /--rate must be a whole number from 1 to 2000, got "0"/],
  [["--stack", "dev", "--plant", "pool-of-2"], /--plant must be none or a comma-separated list of pool-of-1, index-removed, got "pool-of-2"/],
];

for (const [argv, message] of USAGE) {
  test(`rehearse ${argv.join(" ") || "(no flags)"}: refused before anything runs`, (t) => {
    t.throws(() => parseRehearseArgs(argv), { instanceOf: UsageError, message });
  });
}

test("rehearse defaults: a full run loads 120 s per step and plants both regressions; --quick loads 5 s and plants none", (t) => {
  t.like(parseRehearseArgs(["--stack", "dev", "--out", "/tmp/x"]), { quick: false, loadSeconds: 120, settleSeconds: 30, rate: 291, plants: ["pool-of-1", "index-removed"], keepGoing: false });
  t.like(parseRehearseArgs(["--stack", "dev", "--quick", "--out", "/tmp/x"]), { quick: true, loadSeconds: 5, settleSeconds: 2, plants: [] });
});

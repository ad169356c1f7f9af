/**
 * `npm run promote` judged on a real Prometheus: a day of raw series written as TSDB
 * blocks by promtool from OpenMetrics text, the recorded series computed from them by
 * `promtool tsdb create-blocks-from rules` with the stack's own recording rules, then the
 * real prometheus server on those blocks. Four soaks of quick win 4 from dev to staging:
 * one without regression (allowed), one with a latency regression, one with a hit-ratio
 * drop, one too short (all three refused with the metric, both values and the tolerance).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import test from "ava";
import { stringify } from "yaml";
import { PROJECT_DIR, checkStageFile, stageFilePath } from "../../config/stages";
import { recordingRules } from "../../render/alertRules";
import { tempDir } from "../fixtures/files";
import { startPrometheusOn } from "../fixtures/monitoring";
import { Daemon } from "../../lab/servers";
import { soakHistory } from "../fixtures/soakHistory";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const HOUR = 3_600_000;
const dev = checkStageFile("dev").config;
const now = Math.floor(Date.now() / 60_000) * 60_000;
// Changes applied on dev 21 h, 13 h, 5 h and 2 h ago; the soak time is dev's (4 h by default).
const SINCE = { clean: now - 21 * HOUR, slower: now - 13 * HOUR, colder: now - 5 * HOUR, short: now - 2 * HOUR };
let prometheus: Daemon;

function promtool(args: string[]): void {
  const res = spawnSync("promtool", args, { encoding: "utf8", timeout: 120_000 });
  if (res.status !== 0) throw new Error(`promtool ${args.slice(0, 3).join(" ")} failed: ${res.stderr || res.stdout}`);
}

test.before(async () => {
  const dir = tempDir("soak");
  const data = path.join(dir, "data");
  const metrics = path.join(dir, "history.om");
  const start = now - 26 * HOUR;
  fs.writeFileSync(
    metrics,
    soakHistory(dev.alerts.metrics, dev.alerts.latencyBuckets, start, now - 60_000, [
      { kind: "latency", from: SINCE.slower, to: SINCE.slower + 4 * HOUR },
      { kind: "hit-ratio", from: SINCE.colder, to: SINCE.colder + 4 * HOUR },
    ]),
  );
  promtool(["tsdb", "create-blocks-from", "openmetrics", metrics, data]);
  // The recorded series, from the stack's own recording rules (never written here by hand).
  const rules = path.join(dir, "recording.yml");
  fs.writeFileSync(rules, stringify({ groups: [{ name: "hotel-recorded", rules: recordingRules(dev.alerts) }] }));
  const raw = await startPrometheusOn(data);
  try {
    promtool([
      "tsdb",
      "create-blocks-from",
      "rules",
      `--start=${(start + 10 * 60_000) / 1000}`,
      `--end=${(now - 60_000) / 1000}`,
      `--url=http://127.0.0.1:${raw.port}`,
      `--output-dir=${data}`,
      "--eval-interval=60s",
      rules,
    ]);
  } finally {
    await raw.stop();
  }
  prometheus = await startPrometheusOn(data);
});

test.after.always(async () => {
  await prometheus?.stop();
});

/** `npm run promote -- --quick-win 4 --from dev --to staging --dry-run` with the change at `since`. */
function promote(since: number): { status: number | null; out: string } {
  const args = [...TS_ENTRY_ARGS, "ops/promote/command.ts", "--quick-win", "4", "--from", "dev", "--to", "staging", "--dry-run"];
  const res = spawnSync(process.execPath, [...args, "--since", new Date(since).toISOString(), "--at", new Date(now).toISOString(), "--prometheus", `http://127.0.0.1:${prometheus.port}`], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  return { status: res.status, out: res.stdout + res.stderr };
}

test.serial("a soak without regression is promoted (dry run: the stage file stays as it is)", (t) => {
  const before = fs.readFileSync(stageFilePath("staging"), "utf8");
  const scratch = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("hotel-promote-"));
  const scratchBefore = scratch();
  const r = promote(SINCE.clean);
  t.is(r.status, 0, r.out);
  t.regex(r.out, /\+ {3}hotel:postgres:/);
  t.regex(r.out, /would promote \(dry run\)/);
  t.is(fs.readFileSync(stageFilePath("staging"), "utf8"), before);
  t.deepEqual(scratch(), scratchBefore, "the merged file's scratch folder is removed");
});

test.serial("a latency regression during the soak is refused, naming P95, both values and the tolerance", (t) => {
  const r = promote(SINCE.slower);
  t.log(r.out);
  t.is(r.status, 1, r.out);
  t.regex(r.out, /P95 latency rose from 4\.\d ms to 8\d\.\d ms: more than the tolerance of \+10\.00 %/);
  t.regex(r.out, /P99 latency rose from/);
  t.notRegex(r.out, /cache hit ratio fell/);
});

test.serial("a drop of the cache hit ratio during the soak is refused, naming both values and the tolerance", (t) => {
  const r = promote(SINCE.colder);
  t.is(r.status, 1, r.out);
  t.regex(r.out, /cache hit ratio fell from 90\.\d\d % to 7\d\.\d\d %: more than the tolerance of -1\.00 %/);
  t.notRegex(r.out, /latency rose/);
});

test.serial("a soak shorter than the stage's soak time is refused", (t) => {
  const r = promote(SINCE.short);
  t.is(r.status, 1, r.out);
  t.regex(r.out, /soak too short: 2\.00 h since the change, the soak time is 4\.00 h/);
});

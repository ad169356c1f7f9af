/**
 * Quick win 1 end to end on real processes: redis-server on the rendered redis.conf,
 * PostgreSQL on the rendered settings, Debian's redis_exporter and postgres_exporter
 * scraping them, Prometheus on the rendered prometheus.yml and rules, Alertmanager on
 * the rendered routing, and a webhook receiver. The app is a test fixture serving its
 * metric names with a traffic profile the test sets. The short evaluation interval,
 * rate window, `for` and grouping times are stage config (hotel:alerts) given to the
 * same renderers the stack uses; nothing rendered is edited.
 *
 * Phases: (1) healthy app (fast, 0.4 % 5xx) and a bad cache (40 % misses): the cache
 * alert fires and reaches the tickets webhook, the latency and error alerts do not fire;
 * (2) cache healthy again, app slow with 0.6 % 5xx: the cache alert resolves, the
 * latency alert reaches tickets, the error alert (critical) reaches the pager;
 * (3) redis_exporter stopped: its target-down alert fires.
 */
import { spawnSync } from "child_process";
import test from "ava";
import Redis from "ioredis";
import { PROJECT_DIR, checkStageFile } from "../../config/stages";
import { StackConfig } from "../../config/types";
import { recorded } from "../../render/alertRules";
import { renderAlertmanagerConfigYaml } from "../../render/alertmanagerConfig";
import { renderPostgresConf } from "../../render/postgresSettings";
import { renderRedisConf } from "../../render/redisConf";
import { AppMetricsFixture, TrafficProfile, WebhookReceiver } from "../fixtures/appMetrics";
import { startAlertmanager, startPostgresExporter, startRedisExporter, startStagePrometheus } from "../fixtures/monitoring";
import { Daemon, PostgresServer, RedisServer, startPostgres, startRedis } from "../../lab/servers";
import { stageVariant } from "../fixtures/engine";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const webhook = new WebhookReceiver();
let config: StackConfig;
let redis: RedisServer;
let postgres: PostgresServer;
const daemons: Record<string, Daemon> = {};
let app: AppMetricsFixture;
let cacheLoad: { stop: () => Promise<number>; setMissRatio: (r: number) => void };
const timeline: string[] = [];
const started = Date.now();

let stageFile: string;

/** The dev stage with alert timings short enough for a test, given as stage config (a stage file copy). */
function fastAlerts(): StackConfig {
  stageFile = stageVariant("dev", (c) => {
    c["hotel:alerts"] = {
      ...c["hotel:alerts"],
      evaluationInterval: "1s",
      rateWindow: "8s",
      for: "3s",
      cacheMissFor: "3s",
      targetDownFor: "3s",
      routing: { groupWait: "0s", criticalGroupWait: "0s", groupInterval: "1s" },
      receivers: { critical: webhook.url("pager"), warning: webhook.url("tickets") },
    };
  });
  return checkStageFile("dev", stageFile).config;
}

/** `npm run daily-check` against the test's Prometheus, on the test's stage file. */
function runCheck(): { status: number | null; out: string } {
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/dailyCheck/command.ts", "--prometheus", promUrl(""), "--stack", "dev"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, HOTEL_STAGE_FILE: stageFile },
  });
  return { status: res.status, out: res.stdout + res.stderr };
}

/**
 * A cache workload on the real Redis: GETs of keys that exist (hits) or not (misses) in
 * the ratio asked; 400 lookups a second on loopback, at most 90 s.
 */
function startCacheLoad(client: Redis): typeof cacheLoad {
  let missRatio = 0;
  let lookups = 0;
  const deadline = Date.now() + 90_000;
  const timer = setInterval(() => {
    if (Date.now() > deadline) return clearInterval(timer);
    for (let i = 0; i < 20; i++) {
      lookups++;
      const miss = lookups % 100 < missRatio * 100;
      void client.get(miss ? `absent:${lookups}` : `reservation:${lookups % 50}`);
    }
  }, 50);
  return {
    setMissRatio: (r) => (missRatio = r),
    stop: async () => (clearInterval(timer), lookups),
  };
}

const HEALTHY: TrafficProfile = {
  requestsPerSecond: 1000,
  errorRatio: 0.004,
  latencies: [
    [0.004, 0.97],
    [0.02, 0.03],
  ],
};
const DEGRADED: TrafficProfile = {
  requestsPerSecond: 1000,
  errorRatio: 0.006,
  latencies: [
    [0.004, 0.9],
    [0.09, 0.1],
  ],
};

test.before(async () => {
  await webhook.start();
  config = fastAlerts();
  redis = await startRedis(renderRedisConf(config.redis));
  postgres = await startPostgres(renderPostgresConf(config.postgres));
  daemons.redisExporter = await startRedisExporter(redis.port);
  daemons.postgresExporter = await startPostgresExporter(postgres.port);
  app = new AppMetricsFixture(config.alerts.metrics, config.alerts.latencyBuckets);
  app.setProfile(HEALTHY);
  await app.start();
  daemons.alertmanager = await startAlertmanager(renderAlertmanagerConfigYaml(config.alerts));
  daemons.prometheus = await startStagePrometheus(config.alerts, {
    app: app.port,
    redisExporter: daemons.redisExporter.port,
    postgresExporter: daemons.postgresExporter.port,
    alertmanager: daemons.alertmanager.port,
  });
  const client = redis.client();
  for (let i = 0; i < 50; i++) await client.set(`reservation:${i}`, "{}", "EX", 900);
  cacheLoad = startCacheLoad(client);
});

test.after.always(async () => {
  await cacheLoad?.stop();
  for (const d of Object.values(daemons).reverse()) await d.stop();
  await app?.stop();
  await redis?.stop();
  await postgres?.stop();
  await webhook.stop();
});

const promUrl = (p: string) => `http://127.0.0.1:${daemons.prometheus.port}${p}`;

async function query(expr: string): Promise<number | undefined> {
  const res = await (await fetch(promUrl(`/api/v1/query?query=${encodeURIComponent(expr)}`))).json();
  const v = res.data.result[0]?.value?.[1];
  return v === undefined ? undefined : Number(v);
}

async function firingInPrometheus(): Promise<string[]> {
  const res = await (await fetch(promUrl("/api/v1/alerts"))).json();
  return res.data.alerts
    .filter((a: any) => a.state === "firing")
    .map((a: any) => a.labels.alertname)
    .sort();
}

/** Waits (bounded) for the webhook to receive `alertname` with `status`; returns the delivery time. */
async function delivered(alertname: string, status: "firing" | "resolved", timeoutMs = 45_000): Promise<{ receiver: string; at: number }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = webhook.first(alertname, status);
    if (d) {
      timeline.push(`${((d.at - started) / 1000).toFixed(1)} s: ${alertname} ${status} -> ${d.receiver}`);
      return d;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${alertname} was not delivered ${status} within ${timeoutMs / 1000} s; deliveries: ${JSON.stringify(webhook.deliveries)}`);
}

/** When the recorded series first crossed its threshold (Prometheus' own evaluation), in ms. */
async function crossedAt(series: string, threshold: number, since: number): Promise<number> {
  const url = promUrl(`/api/v1/query_range?query=${encodeURIComponent(`${series} > ${threshold}`)}&start=${since / 1000}&end=${Date.now() / 1000}&step=1`);
  const res = await (await fetch(url)).json();
  const first = res.data.result[0]?.values?.[0]?.[0];
  if (first === undefined) throw new Error(`${series} never crossed ${threshold}`);
  return first * 1000;
}

test.serial("npm run daily-check on the healthy system: every daily check within its threshold, exit 0", async (t) => {
  const names = recorded(config.alerts);
  // The recorded series exist once a rate window of samples is in.
  const ready = async () => (await Promise.all([names.p95, names.errorRatio, names.cacheMissRatio].map(query))).every((v) => v !== undefined);
  for (let i = 0; i < 60 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 500));
  const check = runCheck();
  t.log(check.out);
  t.is(check.status, 0, check.out);
  t.regex(check.out, /ok +P95 latency +4\.\d ms/);
  t.regex(check.out, /all checks passed/);
});

test.serial("a cache miss ratio above the threshold fires, reaches the tickets webhook, and resolves; healthy latency and 0.4 % 5xx never fire", async (t) => {
  const names = recorded(config.alerts);
  const phaseStart = Date.now();
  cacheLoad.setMissRatio(0.4);
  const fired = await delivered("HotelCacheMissRatioHigh", "firing");
  t.is(fired.receiver, "/tickets");
  const crossing = await crossedAt(names.cacheMissRatio, config.alerts.cacheMissRatio, phaseStart);
  t.log(`cache miss ratio crossed ${config.alerts.cacheMissRatio} -> webhook in ${((fired.at - crossing) / 1000).toFixed(1)} s`);
  t.true((await firingInPrometheus()).includes("HotelCacheMissRatioHigh"));

  // The app has been healthy for the whole phase: its series exist and stay under the thresholds.
  const p95 = (await query(names.p95))!;
  const errors = (await query(names.errorRatio))!;
  t.log(`healthy app: P95 ${(p95 * 1000).toFixed(1)} ms, 5xx ratio ${(errors * 100).toFixed(2)} %`);
  t.true(p95 > 0 && p95 * 1000 < config.alerts.p95Latency);
  t.true(errors > 0.003 && errors < config.alerts.errorRatio);
  t.deepEqual(await firingInPrometheus(), ["HotelCacheMissRatioHigh"]);
  const check = runCheck();
  t.is(check.status, 1, check.out);
  t.regex(check.out, /FAIL {2}cache hit ratio +\d+\.\d+ %/);
  t.regex(check.out, /FAIL {2}firing alerts +HotelCacheMissRatioHigh/);
  t.regex(check.out, /ok +5xx ratio +0\.\d+ %/);

  cacheLoad.setMissRatio(0);
  const resolved = await delivered("HotelCacheMissRatioHigh", "resolved");
  t.is(resolved.receiver, "/tickets");
  t.false(
    webhook.deliveries.some((d) => /HotelApi(P95LatencyHigh|ErrorRatioHigh)/.test(d.alertnames[0])),
    "no latency or error alert was delivered",
  );
});

test.serial("P95 above the threshold fires to tickets; 0.6 % 5xx fires to the pager (critical route)", async (t) => {
  const names = recorded(config.alerts);
  const phaseStart = Date.now();
  app.setProfile(DEGRADED);
  const latency = await delivered("HotelApiP95LatencyHigh", "firing");
  const errors = await delivered("HotelApiErrorRatioHigh", "firing");
  t.is(latency.receiver, "/tickets");
  t.is(errors.receiver, "/pager");
  const p95Crossing = await crossedAt(names.p95, config.alerts.p95Latency / 1000, phaseStart);
  const errorCrossing = await crossedAt(names.errorRatio, config.alerts.errorRatio, phaseStart);
  t.log(`P95 crossed ${config.alerts.p95Latency} ms -> webhook in ${((latency.at - p95Crossing) / 1000).toFixed(1)} s`);
  t.log(`5xx ratio crossed ${config.alerts.errorRatio} -> webhook in ${((errors.at - errorCrossing) / 1000).toFixed(1)} s`);
  const check = runCheck();
  t.is(check.status, 1, check.out);
  t.regex(check.out, /FAIL {2}P95 latency +8\d\.\d ms +threshold <= 50 ms/);
  t.regex(check.out, /FAIL {2}5xx ratio +0\.[5-6]\d %/);
  t.log(`degraded app: P95 ${((await query(names.p95))! * 1000).toFixed(1)} ms, 5xx ratio ${((await query(names.errorRatio))! * 100).toFixed(2)} %`);
});

test.serial("redis_exporter stopped: its target-down alert fires; postgres_exporter's never does", async (t) => {
  await daemons.redisExporter.stop();
  const down = await delivered("HotelRedisExporterDown", "firing");
  t.is(down.receiver, "/tickets");
  t.true((await firingInPrometheus()).includes("HotelRedisExporterDown"));
  t.false((await firingInPrometheus()).includes("HotelPostgresExporterDown"));
  t.is(await query(`up{job="${config.alerts.metrics.postgresJob}"}`), 1);
  t.log(`timeline (from the start of the file):\n${timeline.join("\n")}\nwhole file so far: ${((Date.now() - started) / 1000).toFixed(0)} s`);
});

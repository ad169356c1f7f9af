/**
 * Every query of the quick wins' dashboard returns data from a real Prometheus once its
 * condition happens: Prometheus on the stage's rendered prometheus.yml and rules,
 * Debian's redis_exporter and postgres_exporter (with the stack's pg_stat_statements
 * query) scraping a real Redis and PostgreSQL, and the app's metrics from a fixture.
 * The conditions are produced, bounded in time and count, on loopback: a slow and
 * erroring app (latency, 5xx, a firing alert), cache lookups with misses, a cache too
 * small for what is written (evictions), statements that take time (pg_stat_statements),
 * an open session in the app's database. No Grafana runs here: nothing has loaded the
 * dashboard itself; what is proven is that its queries return data.
 */
import test from "ava";
import Redis from "ioredis";
import { Client } from "pg";
import { checkStageFile } from "../../config/stages";
import { StackConfig } from "../../config/types";
import { renderAlertmanagerConfigYaml } from "../../render/alertmanagerConfig";
import { dashboardPanels } from "../../render/dashboard";
import { renderPostgresConf } from "../../render/postgresSettings";
import { renderRedisConf } from "../../render/redisConf";
import { renderExporterQueries } from "../../render/statementMetrics";
import { AppMetricsFixture } from "../fixtures/appMetrics";
import { startAlertmanager, startPostgresExporter, startRedisExporter, startStagePrometheus } from "../fixtures/monitoring";
import { stageVariant } from "../fixtures/engine";
import { Daemon, PostgresServer, RedisServer, startPostgres, startRedis } from "../../lab/servers";
import { getJson } from "../fixtures/liveDocker";

/** The dev stage, with timings short enough for a test and a cache small enough to evict, given as stage config. */
const config: StackConfig = checkStageFile(
  "dev",
  stageVariant("dev", (c) => {
    c["hotel:alerts"] = {
      ...c["hotel:alerts"],
      evaluationInterval: "1s",
      rateWindow: "8s",
      for: "2s",
      cacheMissFor: "2s",
      targetDownFor: "2s",
      routing: { groupWait: "0s", criticalGroupWait: "0s", groupInterval: "1s" },
    };
    c["hotel:redis"] = { ...c["hotel:redis"], maxmemory: "16mb" };
  }),
).config;

let redis: RedisServer;
let postgres: PostgresServer;
let app: AppMetricsFixture;
let session: Client;
const daemons: Record<string, Daemon> = {};
const timers: NodeJS.Timeout[] = [];
const deadline = Date.now() + 150_000;

/** Repeats `work` every `ms` until the test's deadline (every load here is bounded by it). */
function every(ms: number, work: () => Promise<unknown>): void {
  let busy = false;
  const timer = setInterval(() => {
    if (Date.now() > deadline) return clearInterval(timer);
    if (busy) return;
    busy = true;
    void work()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, ms);
  timers.push(timer);
}

test.before(async () => {
  redis = await startRedis(renderRedisConf(config.redis));
  postgres = await startPostgres(renderPostgresConf(config.postgres));
  const admin = await postgres.connect();
  await admin.query(`CREATE DATABASE ${config.postgres.database}`);
  // The app's statements come from the app's own role, as in the stack.
  await admin.query("CREATE ROLE hotel_app LOGIN");
  await admin.end();
  const owner = new Client({ host: "127.0.0.1", port: postgres.port, user: "postgres", database: config.postgres.database });
  await owner.connect();
  await owner.query("CREATE EXTENSION pg_stat_statements");
  await owner.end();
  session = new Client({ host: "127.0.0.1", port: postgres.port, user: "hotel_app", database: config.postgres.database });
  await session.connect();
  daemons.redisExporter = await startRedisExporter(redis.port);
  daemons.postgresExporter = await startPostgresExporter(postgres.port, "postgres", { database: config.postgres.database, queries: renderExporterQueries() });
  // A slow app that errors: the latency alert fires, the 5xx ratio is above zero.
  app = new AppMetricsFixture(config.alerts.metrics, config.alerts.latencyBuckets);
  app.setProfile({
    requestsPerSecond: 400,
    errorRatio: 0.02,
    latencies: [
      [0.004, 0.5],
      [0.2, 0.5],
    ],
  });
  await app.start();
  daemons.alertmanager = await startAlertmanager(renderAlertmanagerConfigYaml(config.alerts));
  daemons.prometheus = await startStagePrometheus(config.alerts, {
    app: app.port,
    redisExporter: daemons.redisExporter.port,
    postgresExporter: daemons.postgresExporter.port,
    alertmanager: daemons.alertmanager.port,
  });
  produceConditions(redis.client());
});

/** Cache lookups (a third miss), writes beyond maxmemory (evictions), statements that take 20 ms. */
function produceConditions(cache: Redis): void {
  const value = "v".repeat(4096);
  let n = 0;
  every(50, async () => {
    const p = cache.pipeline();
    for (let i = 0; i < 30; i++, n++) {
      p.get(n % 3 === 0 ? `absent:${n}` : `reservation:${n % 40}`);
      p.set(n % 3 === 1 ? `reservation:${n % 40}` : `availability:${n}`, value, "EX", 300);
    }
    await p.exec();
  });
  every(100, () => session.query("SELECT pg_sleep(0.02), $1::int AS room", [n % 7]));
}

test.after.always(async () => {
  timers.forEach(clearInterval);
  await session?.end().catch(() => undefined);
  for (const d of Object.values(daemons).reverse()) await d.stop();
  await app?.stop();
  await redis?.stop();
  await postgres?.stop();
});

const promUrl = (query: string) => `http://127.0.0.1:${daemons.prometheus.port}/api/v1/query?query=${encodeURIComponent(query)}`;

/**
 * The series an instant query returns with a value above zero: a rate of 0 is a series
 * too, but says the condition was not seen (NaN counts as no data).
 */
async function seriesOf(expr: string): Promise<number> {
  const res = await getJson(promUrl(expr));
  if (res.status !== "success") throw new Error(`${expr}: ${JSON.stringify(res)}`);
  return (res.data.result as { value: [number, string] }[]).filter((r) => Number(r.value[1]) > 0 && Number.isFinite(Number(r.value[1]))).length;
}

/** Polls until the query returns data, or the deadline: the series count it saw last. */
async function dataFrom(expr: string): Promise<number> {
  for (;;) {
    const n = await seriesOf(expr);
    if (n > 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

for (const panel of dashboardPanels(config)) {
  test.serial(`panel "${panel.title}": every query returns a value above zero once its condition happens`, async (t) => {
    for (const q of panel.queries) t.true((await dataFrom(q.expr)) > 0, `no data: ${q.expr}`);
  });
}

test.serial("the check can fail: a query for a series nothing exports returns no data", async (t) => {
  t.is(await seriesOf('sum(rate(redis_evicted_keyz_total{job="redis"}[8s]))'), 0);
  t.is(await seriesOf('hotel_statements_exec_seconds{queryid="none"}'), 0);
});

test.serial("the slow-statements panel names the app's statements, never a utility statement nor the exporter's own", async (t) => {
  const res = await getJson(promUrl("hotel_statements_calls"));
  const queries = (res.data.result as { metric: { query: string } }[]).map((r) => r.metric.query);
  t.true(
    queries.some((q) => /^SELECT pg_sleep\(\$\d\), \$\d::int AS room$/.test(q)),
    queries.join("\n"),
  );
  t.false(
    queries.some((q) => /^\s*(CREATE|ALTER|SET|GRANT)/i.test(q) || /pg_stat_database|pg_settings/.test(q)),
    queries.join("\n"),
  );
});

import test from "ava";
import { parse } from "yaml";
import { alertingRules, inNamespace, recorded, recordingRules, renderAlertRules, renderAlertRulesYaml } from "../../render/alertRules";
import { renderAlertmanagerConfig, renderAlertmanagerConfigSpec } from "../../render/alertmanagerConfig";
import { renderAppEnv } from "../../render/appEnv";
import { connectionBudget } from "../../config/connectionBudget";
import { createIndexSql, dropIndexSql, renderReconcileSql } from "../../render/indexDdl";
import { postgresArgs, postgresSettings, renderPostgresConf } from "../../render/postgresSettings";
import { redisDirectives, renderRedisConf } from "../../render/redisConf";
import { renderPrometheusConfig } from "../../render/prometheusConfig";
import { stageConfig } from "../helpers";

const dev = stageConfig("dev");
const prod = stageConfig("prod");

test("redis.conf carries maxmemory, the policy and the LFU knobs", (t) => {
  const conf = renderRedisConf(dev.redis);
  t.regex(conf, /^maxmemory 1gb$/m);
  t.regex(conf, /^maxmemory-policy allkeys-lfu$/m);
  t.regex(conf, /^lfu-log-factor 10$/m);
  t.regex(conf, /^lfu-decay-time 1$/m);
  t.regex(conf, /^maxmemory-samples 5$/m);
  t.regex(renderRedisConf(prod.redis), /^maxmemory-policy allkeys-lru$/m);
});

test("redis.conf differs between before and after in the policy line only", (t) => {
  const before = Object.fromEntries(redisDirectives(prod.redis));
  const after = Object.fromEntries(redisDirectives(dev.redis));
  const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
  t.deepEqual(changed, ["maxmemory-policy"]);
});

test("pg_stat_statements is preloaded, with query ids, only when on", (t) => {
  const on = postgresSettings(dev.postgres);
  t.is(on.shared_preload_libraries, "pg_stat_statements");
  t.is(on.compute_query_id, "on");
  t.is(on["pg_stat_statements.max"], "5000");
  t.is(on.log_min_duration_statement, "100");
  const off = postgresSettings(prod.postgres);
  t.is(off.shared_preload_libraries, "");
  t.is(off.log_min_duration_statement, "-1");
  t.false("compute_query_id" in off);
  t.is(off.max_connections, "200");
  t.deepEqual(postgresArgs(prod.postgres).slice(0, 2), ["-c", "max_connections=200"]);
  t.regex(renderPostgresConf(dev.postgres), /^shared_preload_libraries = 'pg_stat_statements'$/m);
});

test("every index is built and dropped CONCURRENTLY; no plain CREATE INDEX is emitted", (t) => {
  const sql = renderReconcileSql(dev.postgres);
  t.is((sql.match(/^CREATE INDEX CONCURRENTLY "/gm) ?? []).length, 4);
  const statements = sql.split("\n").filter((l) => /^\s*(CREATE|DROP) INDEX/i.test(l));
  for (const s of statements) t.regex(s, /^(CREATE|DROP) INDEX CONCURRENTLY/);
  // No transaction block around the script (PL/pgSQL's BEGIN inside a DO body is not one).
  t.notRegex(sql.replace(/\$\$[\s\S]*?\$\$/g, ""), /^\s*(BEGIN|START TRANSACTION)/m);
  t.is((sql.match(/^\\gexec$/gm) ?? []).length, 3);
  t.is(createIndexSql(dev.postgres.indexes[0]), 'CREATE INDEX CONCURRENTLY "idx_reservations_guest_id" ON public."reservations" USING btree ("guest_id");');
  t.is(dropIndexSql("idx_locks_room_id"), 'DROP INDEX CONCURRENTLY IF EXISTS public."idx_locks_room_id";');
});

test("the reconcile script drops INVALID and undeclared managed indexes, and builds only under a free name", (t) => {
  const sql = renderReconcileSql(dev.postgres);
  const appOwned = "(i.indisunique OR i.indisprimary OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid))";
  t.true(sql.includes(`= 'managed-by:hotel-stack' AND ${appOwned}\n\\gexec`), "app-owned marked indexes are unmarked");
  t.true(sql.includes(`= 'managed-by:hotel-stack' AND NOT ${appOwned} AND NOT EXISTS (`), "only managed, non-app-owned indexes are dropped");
  t.true(sql.includes(`IS NULL AND NOT i.indisvalid AND NOT ${appOwned} AND EXISTS (`), "an unmarked invalid index is dropped only when it is the stack's own definition");
  t.regex(sql, /WHERE w\.name = c\.relname AND i\.indisvalid\s+AND substring\(pg_get_indexdef\(i\.indexrelid\) from ' ON \(\.\*\)\$'\) = w\.def/);
  t.is((sql.match(/ AS managed \\gset ix\d_$/gm) ?? []).length, 4);
  t.regex(
    sql,
    /\\if :ix3_exists\n {2}\\if :ix3_managed\n {2}\\else\n {4}\\echo 'reconcile: idx_locks_room_id exists and was not created by the stack: left as it is \(not marked, rebuilt or dropped\)'\n {2}\\endif\n\\else\nCREATE INDEX CONCURRENTLY "idx_locks_room_id" ON public\."locks" USING btree \("room_id"\);\nCOMMENT ON INDEX public\."idx_locks_room_id" IS 'managed-by:hotel-stack';\n\\endif\n/,
  );
  t.regex(sql, /\('idx_reservations_guest_id', 'public\.reservations USING btree \(guest_id\)'\)/);
  t.regex(sql, /\\gexec/);
  const none = renderReconcileSql(prod.postgres);
  t.notRegex(none, /CREATE INDEX/);
  t.regex(none, /DROP EXTENSION IF EXISTS pg_stat_statements;/);
  t.regex(none, /managed-by:hotel-stack/);
});

test("the roadmap's SQL mistakes are not emitted", (t) => {
  const sql = renderReconcileSql(dev.postgres);
  t.notRegex(sql, /RELOAD CONFIG/);
  t.notRegex(sql, /\bmean_time\b/);
});

const recordedExprs = (c: typeof dev) => Object.fromEntries(recordingRules(c.alerts).map((r) => [r.record, r.expr]));
const RECORDED = recorded(dev.alerts);

test("latency is recorded with buckets summed by le; its alert compares the recorded P95 in seconds", (t) => {
  const [latency] = alertingRules(renderAlertRules(dev.alerts));
  t.is(recordedExprs(dev)[RECORDED.p95], 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="hotel-api"}[5m])))');
  t.is(recordedExprs(dev)[RECORDED.p99], 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="hotel-api"}[5m])))');
  t.is(latency.expr, `${RECORDED.p95} > 0.05`);
  t.regex(alertingRules(renderAlertRules(prod.alerts))[0].expr, / > 0\.1$/);
});

test("the error ratio is recorded as 5xx over all requests (0 while there is traffic and no 5xx series), the cache miss ratio from redis_exporter's keyspace counters; the alerts read them", (t) => {
  const [, errors, cache] = alertingRules(renderAlertRules(dev.alerts));
  t.is(
    recordedExprs(dev)[RECORDED.errorRatio],
    '(sum(rate(http_requests_total{job="hotel-api",status=~"5.."}[5m])) / sum(rate(http_requests_total{job="hotel-api"}[5m]))) or (0 * sum(rate(http_requests_total{job="hotel-api"}[5m])))',
  );
  t.is(errors.expr, `${RECORDED.errorRatio} > 0.005 and on() ${RECORDED.requestRate} > 0.5`);
  t.regex(recordedExprs(dev)[RECORDED.cacheMissRatio], /redis_keyspace_misses_total.*\/ \(sum\(rate\(redis_keyspace_hits_total/);
  t.is(cache.expr, `${RECORDED.cacheMissRatio} > 0.2`);
  t.is(recordedExprs(dev)[RECORDED.firingAlerts], 'count(ALERTS{alertstate="firing"}) or vector(0)');
  t.notRegex(renderAlertRulesYaml(dev.alerts), /redis_cache_hits_total|http_requests_duration_seconds/);
  // Recordings come first in the one group: each alert reads what the same evaluation recorded.
  const order = renderAlertRules(dev.alerts).groups[0].rules.map((r) => ("record" in r ? "record" : "alert"));
  // Six recordings (P95, P99, 5xx ratio, request rate, miss ratio, firing alerts), then the alerts.
  t.is(order.lastIndexOf("record"), 5);
  t.is(order.indexOf("alert"), 6);
});

test("every alert has for, severity, summary and runbook_url", (t) => {
  const rules = parse(renderAlertRulesYaml(dev.alerts)).groups[0].rules.filter((r: { alert?: string }) => r.alert);
  t.deepEqual(
    rules.map((r: { alert: string }) => r.alert),
    ["HotelApiP95LatencyHigh", "HotelApiErrorRatioHigh", "HotelCacheMissRatioHigh", "HotelApiTargetDown", "HotelRedisExporterDown", "HotelPostgresExporterDown"],
  );
  for (const r of rules) {
    t.truthy(r.for);
    t.true(["warning", "critical"].includes(r.labels.severity));
    t.truthy(r.annotations.summary);
    t.regex(r.annotations.runbook_url, /^https:\/\//);
  }
});

test("metric names come from config", (t) => {
  const c = stageConfig("dev", (raw) => {
    raw["hotel:alerts"].metrics = { requestDuration: "http_requests_duration_seconds", appJob: "api" };
  });
  t.regex(renderAlertRules(c.alerts).groups[0].rules[0].expr, /http_requests_duration_seconds_bucket\{job="api"\}/);
});

test("Alertmanager routing: critical pages, the rest opens tickets; both formats from one description", (t) => {
  const native = renderAlertmanagerConfig(dev.alerts) as any;
  t.is(native.route.receiver, "tickets");
  t.deepEqual(native.route.routes[0].matchers, ['severity="critical"']);
  t.is(native.route.routes[0].receiver, "pager");
  t.deepEqual(
    native.receivers.map((r: any) => [r.name, r.webhook_configs[0].url]),
    [
      ["pager", "https://alerts.hotel.internal/hooks/pager"],
      ["tickets", "https://alerts.hotel.internal/hooks/tickets"],
    ],
  );
  const crd = renderAlertmanagerConfigSpec(dev.alerts) as any;
  t.is(crd.route.repeatInterval, native.route.repeat_interval);
  t.is(crd.route.routes[0].repeatInterval, native.route.routes[0].repeat_interval);
  t.deepEqual(crd.receivers[1].webhookConfigs, [{ url: native.receivers[1].webhook_configs[0].url, sendResolved: true }]);
  const severities = new Set(alertingRules(renderAlertRules(dev.alerts)).map((r) => r.labels.severity));
  t.deepEqual([...severities].sort(), ["critical", "warning"]);
});

test("app env carries the pool, TTLs and warming flags", (t) => {
  const env = renderAppEnv(dev);
  t.like(env, {
    DB_POOL_SIZE: "25",
    DB_MAX_OVERFLOW: "5",
    DB_POOL_TIMEOUT_SECONDS: "30",
    DB_POOL_RECYCLE_SECONDS: "3600",
    DB_POOL_PRE_PING: "true",
    CACHE_TTL_AVAILABILITY_SECONDS: "300",
    CACHE_TTL_ROOM_DETAILS_SECONDS: "3600",
    CACHE_TTL_GUEST_SECONDS: "86400",
    CACHE_TTL_RESERVATIONS_SECONDS: "900",
    CACHE_WARM_ON_STARTUP: "true",
    CACHE_WARM_KEY_CLASSES: "availability,roomDetails,rates",
  });
  t.like(renderAppEnv(prod), {
    DB_POOL_SIZE: "20",
    DB_MAX_OVERFLOW: "0",
    DB_POOL_RECYCLE_SECONDS: "-1",
    DB_POOL_PRE_PING: "false",
    CACHE_TTL_RESERVATIONS_SECONDS: "1800",
    CACHE_WARM_ON_STARTUP: "false",
    CACHE_TTL_JITTER: "0",
  });
});

test("the app's histogram buckets include the alert threshold exactly", (t) => {
  const buckets = renderAppEnv(dev).METRICS_LATENCY_BUCKETS.split(",").map(Number);
  t.true(buckets.includes(0.05));
  t.true(buckets.includes(0.1));
  t.true(buckets.filter((b) => b < 0.05).length >= 4);
});

test("connection budget: pool_size + max_overflow per process, all processes, under the server's limit", (t) => {
  const roadmap = { poolSize: 25, maxOverflow: 5, otherConnections: 6, maxConnections: 100, superuserReservedConnections: 3 };
  const ok = connectionBudget({ ...roadmap, replicas: 2, workers: 1 });
  t.deepEqual(ok, { perProcess: 30, app: 60, total: 66, available: 97, fits: true });
  const over = connectionBudget({ ...roadmap, replicas: 4, workers: 4 });
  t.is(over.total, 486);
  t.false(over.fits);
});

test("the rate window, evaluation interval and routing timings are knobs: the recorded names carry the window, every rate() uses it", (t) => {
  const fast = stageConfig("dev", (c) => {
    c["hotel:alerts"] = { ...c["hotel:alerts"], rateWindow: "20s", evaluationInterval: "2s", routing: { groupWait: "0s", criticalGroupWait: "1s", groupInterval: "2s" } };
  });
  const names = recorded(fast.alerts);
  t.is(names.p95, "hotel_api:request_duration_seconds:p95_20s");
  t.is(recorded(dev.alerts).p95, "hotel_api:request_duration_seconds:p95_5m");
  const rules = renderAlertRules(fast.alerts);
  t.is(rules.groups[0].interval, "2s");
  const windows = [...renderAlertRulesYaml(fast.alerts).matchAll(/\[(\w+)\]/g)].map((m) => m[1]);
  t.true(windows.length >= 8);
  t.deepEqual([...new Set(windows)], ["20s"]);
  t.is(alertingRules(rules)[0].expr, `${names.p95} > 0.05`);
  const prom = parse(renderPrometheusConfig(fast.alerts, { app: "a:1", redisExporter: "r:2", postgresExporter: "p:3", alertmanager: "am:4" }, "/tmp/rules.yml"));
  t.deepEqual(prom.global, { scrape_interval: "2s", evaluation_interval: "2s" });
  t.deepEqual(prom.rule_files, ["/tmp/rules.yml"]);
  const am = renderAlertmanagerConfig(fast.alerts) as any;
  t.like(am.route, { group_wait: "0s", group_interval: "2s", repeat_interval: "4h" });
  t.like(am.route.routes[0], { receiver: "pager", group_wait: "1s", repeat_interval: "1h" });
});

test("on the operator, every alert carries the stack's namespace (its AlertmanagerConfig routes only those); recorded series are left as they are", (t) => {
  const groups = inNamespace(renderAlertRules(stageConfig("staging").alerts), "hotel-staging");
  const alerts = alertingRules(groups);
  t.is(alerts.length, 6);
  t.deepEqual([...new Set(alerts.map((r) => r.labels.namespace))], ["hotel-staging"]);
  const recordings = groups.groups.flatMap((g) => g.rules).filter((r) => "record" in r);
  t.is(recordings.length, 6);
  t.false(recordings.some((r) => "labels" in r));
  // The rendered rules themselves (the Docker stage, the ConfigMap) stay without it.
  t.false(alertingRules(renderAlertRules(stageConfig("staging").alerts)).some((r) => "namespace" in r.labels));
});

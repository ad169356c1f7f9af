/** The quick wins' dashboard as the SDK builds it: its panels, their queries and thresholds, as data. */
import test from "ava";
import { parse } from "yaml";
import { dashboardPanels, renderDashboard, renderGrafanaProvisioning } from "../../render/dashboard";
import { RawConfig } from "../../config/stages";
import { stageConfig } from "../helpers";

/** Every panel of dev's dashboard: title, unit and queries, written out. */
const DEV_PANELS: [string, string, string[]][] = [
  ["API latency P95 and P99", "s", ["hotel_api:request_duration_seconds:p95_5m", "hotel_api:request_duration_seconds:p99_5m"]],
  ["5xx ratio", "percentunit", ["hotel_api:requests:error_ratio_5m"]],
  ["Request rate", "reqps", ["hotel_api:requests:rate_5m"]],
  ["Cache hit ratio", "percentunit", ["1 - hotel_cache:keyspace_lookups:miss_ratio_5m"]],
  ["Cache evictions", "ops", ['sum(rate(redis_evicted_keys_total{job="redis"}[5m]))']],
  [
    "Database connections in use vs the pool budget and what PostgreSQL accepts",
    "short",
    ['sum by (state) (pg_stat_activity_count{job="postgres", datname="hotel"})', 'max(pg_settings_max_connections{job="postgres"}) - max(pg_settings_superuser_reserved_connections{job="postgres"})'],
  ],
  ["Slowest statements (mean time per call)", "s", ['topk(5, rate(hotel_statements_exec_seconds{job="postgres"}[5m]) / (rate(hotel_statements_calls{job="postgres"}[5m]) > 0))']],
  ["Firing alerts", "short", ['sum by (alertname, severity) (ALERTS{alertstate="firing"})']],
];

type Panel = { title: string; fieldConfig: { defaults: { unit: string; thresholds: { steps: { value: number | null; color: string }[] } } }; targets: { expr: string; datasource: { uid: string } }[] };
const panelsOf = (stage: string) => (renderDashboard(stageConfig(stage)) as { panels: Panel[] }).panels;

test("dev's dashboard has each panel with its unit and queries, in order", (t) => {
  t.deepEqual(
    panelsOf("dev").map((p) => [p.title, p.fieldConfig.defaults.unit, p.targets.map((x) => x.expr)]),
    DEV_PANELS,
  );
});

test("no query is padded to return a value when its condition never happened", (t) => {
  for (const stage of ["dev", "staging", "prod"]) for (const p of dashboardPanels(stageConfig(stage))) for (const q of p.queries) t.notRegex(q.expr, /\bor\s+(vector|on)\s*\(/, `${stage}: ${p.title}`);
});

test("threshold lines are the stage's alert thresholds: prod's before values, dev's tuned ones", (t) => {
  const lines = (stage: string) => Object.fromEntries(panelsOf(stage).map((p) => [p.title, p.fieldConfig.defaults.thresholds.steps]));
  t.deepEqual(lines("prod")["API latency P95 and P99"], [
    { value: null, color: "green" },
    { value: 0.1, color: "red" },
  ]);
  t.deepEqual(lines("dev")["API latency P95 and P99"], [
    { value: null, color: "green" },
    { value: 0.05, color: "red" },
  ]);
  t.deepEqual(lines("prod")["5xx ratio"], [
    { value: null, color: "green" },
    { value: 0.01, color: "red" },
  ]);
  // Higher is better for the hit ratio: red below 1 - the miss threshold.
  t.deepEqual(lines("prod")["Cache hit ratio"], [
    { value: null, color: "red" },
    { value: 0.7, color: "green" },
  ]);
});

test("every query reads the data source variable, so the JSON works with any Prometheus data source", (t) => {
  const d = renderDashboard(stageConfig("staging")) as { uid: string; templating: { list: { type: string; name: string; query: string }[] }; panels: Panel[] };
  t.is(d.uid, "hotel-quick-wins");
  t.like(d.templating.list[0], { type: "datasource", name: "datasource", query: "prometheus" });
  t.deepEqual([...new Set(d.panels.flatMap((p) => p.targets.map((x) => x.datasource.uid)))], ["${datasource}"]);
});

test("dev's provisioning points a host-network Grafana at the stage's Prometheus and the dashboard folder", (t) => {
  const p = renderGrafanaProvisioning(stageConfig("dev"));
  t.like(parse(p.datasources).datasources[0], { type: "prometheus", url: "http://127.0.0.1:9090", isDefault: true });
  t.like(parse(p.dashboards).providers[0], { type: "file", options: { path: "/var/lib/grafana/dashboards/hotel" } });
});

test("the connections panel's line is the app's pool budget: processes x (pool_size + max_overflow), one app container on Docker", (t) => {
  const budget = (stage: string, patch?: (c: RawConfig) => void) => dashboardPanels(stageConfig(stage, patch)).find((p) => p.title.startsWith("Database connections"))!.threshold!.value;
  t.is(budget("dev"), 60, "1 container x 2 workers x (25 + 5)");
  t.is(budget("prod"), 60, "3 replicas x 1 worker x (20 + 0)");
  t.is(
    budget("staging", (c) => (c["hotel:app"] = { ...c["hotel:app"], replicas: 4 })),
    120,
    "4 x 1 x (25 + 5)",
  );
  t.is(
    budget("dev", (c) => (c["hotel:app"] = { ...c["hotel:app"], replicas: 3 })),
    60,
    "Docker runs one container whatever the replicas",
  );
});

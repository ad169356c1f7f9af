/**
 * The quick wins' Grafana dashboard, built with Grafana's foundation SDK (typed builders,
 * no hand-written JSON). Its panels are a table first (title, unit, queries, threshold),
 * so that a test can run every query against a real Prometheus; the SDK turns the table
 * into the dashboard. Queries read the stack's recorded series where there is one (the
 * alerts and the daily check read the same), and the exporters' own series elsewhere, with
 * the stage's rate window written out (a query a test can run as it is). No query is
 * padded (`or vector(0)`): a panel whose condition never happened shows "no data", which
 * is the truth, and a test that produces the condition fails when it stays empty.
 */
import { DashboardBuilder, DatasourceVariableBuilder, ThresholdsConfigBuilder, ThresholdsMode } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import { stringify } from "yaml";
import { StackConfig } from "../config/types";
import { msToSeconds } from "../config/units";
import { rateWindow, recorded } from "./alertRules";
import { STATEMENT_METRICS } from "./statementMetrics";
import { connectionBudget } from "../config/connectionBudget";

/** The dashboard's identity: a provisioned or sidecar-loaded dashboard is updated in place by it. */
const DASHBOARD_UID = "hotel-quick-wins";
export const DASHBOARD_FILE = `${DASHBOARD_UID}.json`;
/** The dashboard's data source is a variable: the same JSON works with any Prometheus data source. */
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  /** Grafana's unit id. */
  unit: string;
  /** The quick win whose effect the panel shows. */
  quickWin: string;
  queries: PanelQuery[];
  /** A line at the alert's threshold (red above; for a "higher is better" series, red below). */
  threshold?: { value: number; redBelow?: boolean };
}

/**
 * What the app's pools may open in all (quick win 2): each process pool_size +
 * max_overflow, times the processes (Docker runs one app container, whatever the replicas).
 */
function appPoolBudget(c: StackConfig): number {
  const replicas = c.platform === "docker" ? 1 : c.app.replicas;
  const p = c.postgres;
  const inputs = { replicas, workers: c.app.workers, poolSize: c.dbPool.poolSize, maxOverflow: c.dbPool.maxOverflow, otherConnections: 0 };
  return connectionBudget({ ...inputs, maxConnections: p.maxConnections, superuserReservedConnections: p.superuserReservedConnections }).app;
}

/** The panels as data: what each shows and how it is queried. */
export function dashboardPanels(c: StackConfig): PanelSpec[] {
  const a = c.alerts;
  const m = a.metrics;
  const w = rateWindow(a);
  const names = recorded(a);
  const pgJob = `job="${m.postgresJob}"`;
  return [
    {
      title: "API latency P95 and P99",
      unit: "s",
      quickWin: "1",
      queries: [
        { expr: names.p95, legend: "P95" },
        { expr: names.p99, legend: "P99" },
      ],
      threshold: { value: msToSeconds(a.p95Latency) },
    },
    { title: "5xx ratio", unit: "percentunit", quickWin: "1", queries: [{ expr: names.errorRatio, legend: "5xx / all" }], threshold: { value: a.errorRatio } },
    { title: "Request rate", unit: "reqps", quickWin: "1", queries: [{ expr: names.requestRate, legend: "requests" }] },
    {
      title: "Cache hit ratio",
      unit: "percentunit",
      quickWin: "3",
      queries: [{ expr: `1 - ${names.cacheMissRatio}`, legend: "hits / lookups" }],
      threshold: { value: 1 - a.cacheMissRatio, redBelow: true },
    },
    { title: "Cache evictions", unit: "ops", quickWin: "3", queries: [{ expr: `sum(rate(redis_evicted_keys_total{job="${m.redisJob}"}[${w}]))`, legend: "evicted keys" }] },
    {
      title: "Database connections in use vs the pool budget and what PostgreSQL accepts",
      unit: "short",
      quickWin: "2",
      threshold: { value: appPoolBudget(c) },
      queries: [
        { expr: `sum by (state) (pg_stat_activity_count{${pgJob}, datname="${c.postgres.database}"})`, legend: "{{state}}" },
        { expr: `max(pg_settings_max_connections{${pgJob}}) - max(pg_settings_superuser_reserved_connections{${pgJob}})`, legend: "accepted from non-superusers" },
      ],
    },
    {
      title: "Slowest statements (mean time per call)",
      unit: "s",
      quickWin: "4",
      queries: [{ expr: `topk(5, rate(${STATEMENT_METRICS.seconds}{${pgJob}}[${w}]) / (rate(${STATEMENT_METRICS.calls}{${pgJob}}[${w}]) > 0))`, legend: "{{query}}" }],
    },
    { title: "Firing alerts", unit: "short", quickWin: "1", queries: [{ expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})', legend: "{{alertname}} ({{severity}})" }] },
  ];
}

function thresholds(t: PanelSpec["threshold"]) {
  const steps = t?.redBelow
    ? [
        { value: null, color: "red" },
        { value: t.value, color: "green" },
      ]
    : [{ value: null, color: "green" }, ...(t ? [{ value: t.value, color: "red" }] : [])];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

function panel(p: PanelSpec, index: number): PanelBuilder {
  const builder = new PanelBuilder()
    .title(p.title)
    .description(`Quick win ${p.quickWin}.`)
    .datasource(DATASOURCE)
    .unit(p.unit)
    .gridPos({ x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: 12, h: 8 })
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .thresholds(thresholds(p.threshold))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(p.threshold ? GraphThresholdsStyleMode.Line : GraphThresholdsStyleMode.Off));
  p.queries.forEach((q, i) =>
    builder.withTarget(
      new DataqueryBuilder()
        .datasource(DATASOURCE)
        .expr(q.expr)
        .legendFormat(q.legend)
        .refId(String.fromCharCode(65 + i)),
    ),
  );
  return builder;
}

/** The dashboard model Grafana loads (a provisioning file, or the sidecar's ConfigMap). */
export function renderDashboard(c: StackConfig): object {
  const builder = new DashboardBuilder(`Hotel reservation: quick wins (${c.stage})`)
    .uid(DASHBOARD_UID)
    .tags(["hotel-reservation", "quick-wins", c.stage])
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .withVariable(new DatasourceVariableBuilder("datasource").label("Prometheus").type("prometheus"));
  dashboardPanels(c).forEach((p, i) => builder.withPanel(panel(p, i)));
  return builder.build();
}

export const renderDashboardJson = (c: StackConfig): string => JSON.stringify(renderDashboard(c), null, 2) + "\n";

/** Where a Grafana on the developer's machine finds the dashboard (the provisioning file names this folder). */
const GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards/hotel";

/**
 * Grafana's provisioning for a Docker stage (no Grafana runs there): a dashboards
 * provider reading GRAFANA_DASHBOARDS_DIR, and the stage's Prometheus (its published
 * port) as the default data source, for a Grafana on the host network.
 */
export function renderGrafanaProvisioning(c: StackConfig): { dashboards: string; datasources: string } {
  const dashboards = {
    apiVersion: 1,
    providers: [{ name: "hotel-reservation", folder: "Hotel reservation", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: GRAFANA_DASHBOARDS_DIR } }],
  };
  const datasources = {
    apiVersion: 1,
    datasources: [
      { name: `Prometheus (hotel ${c.stage})`, uid: `hotel-${c.stage}-prometheus`, type: "prometheus", access: "proxy", url: `http://127.0.0.1:${c.docker.prometheusHostPort}`, isDefault: true },
    ],
  };
  return { dashboards: stringify(dashboards), datasources: stringify(datasources) };
}

/**
 * Quick win 1 as Prometheus alerting rules. The roadmap's queries are wrong in three
 * ways that these fix: the latency quantile aggregates buckets `by (le)` (without it
 * the quantile is per series), the error alert is a *ratio* of 5xx to all requests
 * (an absolute 5xx rate fires on busy healthy traffic and misses outages at night),
 * and the cache alert uses redis_exporter's real keyspace counters.
 */
import { stringify } from "yaml";
import { AlertsConfig } from "../config/types";
import { formatPromDuration, msToSeconds } from "../config/units";

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string; quickwin: string; namespace?: string };
  annotations: { summary: string; description: string; runbook_url: string; baseline_p95_seconds?: string };
}

/** A recorded series: what a dashboard, an alert and a human's query read alike. */
export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroups {
  groups: { name: string; interval: string; rules: (RecordingRule | AlertRule)[] }[];
}

/**
 * The names of the recorded series: fixed (renaming a metric in config never renames
 * them) but for the rate window they carry, as Prometheus' level:metric:operations
 * convention has it (hotel:alerts.rateWindow, "5m" by default).
 */
export function recorded(a: Pick<AlertsConfig, "rateWindow">) {
  const w = rateWindow(a);
  return {
    p95: `hotel_api:request_duration_seconds:p95_${w}`,
    p99: `hotel_api:request_duration_seconds:p99_${w}`,
    errorRatio: `hotel_api:requests:error_ratio_${w}`,
    requestRate: `hotel_api:requests:rate_${w}`,
    cacheMissRatio: `hotel_cache:keyspace_lookups:miss_ratio_${w}`,
    firingAlerts: "hotel:alerts_firing:count",
  } as const;
}

/**
 * The groups with every alert labelled with the namespace the stack lives in. The
 * Prometheus operator scopes a namespaced AlertmanagerConfig to alerts carrying
 * `namespace="<its namespace>"` (alertmanagerConfigMatcherStrategy OnNamespace, the
 * default), and the stack's alerts read aggregated series that carry no namespace: without
 * the label, Alertmanager routes them to its default receiver, never to the stage's.
 * Found by the first run of an operator's Alertmanager on the real node.
 */
export function inNamespace(g: RuleGroups, namespace: string): RuleGroups {
  return {
    groups: g.groups.map((x) => ({ ...x, rules: x.rules.map((r) => ("alert" in r ? { ...r, labels: { ...r.labels, namespace } } : r)) })),
  };
}

/** The alerting rules of rendered groups (the recording rules left out). */
export function alertingRules(g: RuleGroups): AlertRule[] {
  return g.groups.flatMap((x) => x.rules).filter((r): r is AlertRule => "alert" in r);
}

/** The window of every rate() (Prometheus duration). */
export const rateWindow = (a: Pick<AlertsConfig, "rateWindow">) => formatPromDuration(a.rateWindow);

/** Trims float noise (0.05 not 0.05000000000000001) for a readable expression. */
const num = (x: number) => String(Number(x.toPrecision(12)));
const pct = (x: number) => `${num(x * 100)} %`;

function latencyQuantileExpr(a: AlertsConfig, q: number): string {
  const m = a.metrics;
  return `histogram_quantile(${q}, sum by (le) (rate(${m.requestDuration}_bucket{job="${m.appJob}"}[${rateWindow(a)}])))`;
}

/**
 * An app exports a status's series once it has answered with it: an app that has never
 * failed has no 5xx series, and the plain ratio would be missing (a soak gate reads "no
 * data" and refuses a healthy stage). With traffic and no 5xx series, the ratio is 0;
 * without traffic it stays missing.
 */
function errorRatioExpr(a: AlertsConfig): string {
  const m = a.metrics;
  const sel = `job="${m.appJob}"`;
  const all = `sum(rate(${m.requestsTotal}{${sel}}[${rateWindow(a)}]))`;
  return `(sum(rate(${m.requestsTotal}{${sel},${m.statusLabel}=~"5.."}[${rateWindow(a)}])) / ${all}) or (0 * ${all})`;
}

/** The app's whole request rate: the error ratio only pages above a minimum traffic. */
function requestRateExpr(a: AlertsConfig): string {
  return `sum(rate(${a.metrics.requestsTotal}{job="${a.metrics.appJob}"}[${rateWindow(a)}]))`;
}

/** A scrape job that is down or gone: `up` is 0, or there is no `up` series at all. */
function targetDownExpr(job: string): string {
  return `up{job="${job}"} == 0 or absent(up{job="${job}"}) == 1`;
}

function cacheMissRatioExpr(a: AlertsConfig): string {
  const m = a.metrics;
  const rate = (metric: string) => `sum(rate(${metric}{job="${m.redisJob}"}[${rateWindow(a)}]))`;
  return `${rate(m.cacheMisses)} / (${rate(m.cacheHits)} + ${rate(m.cacheMisses)})`;
}

/**
 * What the roadmap checks daily, recorded once: P95 and P99 latency (buckets summed by
 * le), the 5xx ratio, the request rate, the cache miss ratio and the firing alerts.
 */
export function recordingRules(a: AlertsConfig): RecordingRule[] {
  const names = recorded(a);
  return [
    { record: names.p95, expr: latencyQuantileExpr(a, 0.95) },
    { record: names.p99, expr: latencyQuantileExpr(a, 0.99) },
    { record: names.errorRatio, expr: errorRatioExpr(a) },
    { record: names.requestRate, expr: requestRateExpr(a) },
    { record: names.cacheMissRatio, expr: cacheMissRatioExpr(a) },
    { record: names.firingAlerts, expr: `count(ALERTS{alertstate="firing"}) or vector(0)` },
  ];
}

/** The alerts read the recorded series, so an alert, a dashboard and the daily check agree. */
export function renderAlertRules(a: AlertsConfig): RuleGroups {
  const runbook = (anchor: string) => `${a.runbookBaseUrl}#${anchor}`;
  const names = recorded(a);
  const forDur = formatPromDuration(a.for);
  const rules: AlertRule[] = [
    {
      alert: "HotelApiP95LatencyHigh",
      expr: `${names.p95} > ${num(msToSeconds(a.p95Latency))}`,
      for: forDur,
      labels: { severity: "warning", quickwin: "alert-thresholds" },
      annotations: {
        summary: `Hotel API P95 latency above ${num(a.p95Latency)} ms`,
        description: `P95 over ${rateWindow(a)} is {{ $value | humanizeDuration }} (baseline ${num(a.baselineP95)} ms).`,
        runbook_url: runbook("p95-latency"),
        // Read by the policy pack, which keeps the threshold well above the measured baseline.
        baseline_p95_seconds: num(msToSeconds(a.baselineP95)),
      },
    },
    {
      alert: "HotelApiErrorRatioHigh",
      expr: `${names.errorRatio} > ${num(a.errorRatio)} and on() ${names.requestRate} > ${num(a.minRequestRate)}`,
      for: forDur,
      labels: { severity: "critical", quickwin: "alert-thresholds" },
      annotations: {
        summary: `Hotel API 5xx ratio above ${pct(a.errorRatio)}`,
        description: `{{ $value | humanizePercentage }} of requests over ${rateWindow(a)} answered 5xx (only above ${num(a.minRequestRate)} req/s).`,
        runbook_url: runbook("error-ratio"),
      },
    },
    {
      alert: "HotelCacheMissRatioHigh",
      expr: `${names.cacheMissRatio} > ${num(a.cacheMissRatio)}`,
      for: formatPromDuration(a.cacheMissFor),
      labels: { severity: "warning", quickwin: "alert-thresholds" },
      annotations: {
        summary: `Redis keyspace miss ratio above ${pct(a.cacheMissRatio)}`,
        description: `{{ $value | humanizePercentage }} of key lookups missed over ${rateWindow(a)} (all lookups, locks and sessions included).`,
        runbook_url: runbook("cache-miss-ratio"),
      },
    },
    ...targetDownRules(a),
  ];
  // One group, recordings first: within a group rules are evaluated in order, so each
  // alert reads the series recorded in the same evaluation.
  return { groups: [{ name: "hotel-reservation.quick-wins", interval: formatPromDuration(a.evaluationInterval), rules: [...recordingRules(a), ...rules] }] };
}

/**
 * Alerts about the alerting: a scrape target that disappears would silence quick win 1
 * (no series, no alert), so each scraped job has its own alert.
 */
function targetDownRules(a: AlertsConfig): AlertRule[] {
  const m = a.metrics;
  const jobs: [string, string, string, string][] = [
    ["HotelApiTargetDown", m.appJob, "critical", "the API's latency and error alerts cannot fire"],
    ["HotelRedisExporterDown", m.redisJob, "warning", "the cache-miss alert cannot fire"],
    ["HotelPostgresExporterDown", m.postgresJob, "warning", "database metrics are missing"],
  ];
  return jobs.map(([alert, job, severity, impact]) => ({
    alert,
    expr: targetDownExpr(job),
    for: formatPromDuration(a.targetDownFor),
    labels: { severity, quickwin: "alert-thresholds" },
    annotations: {
      summary: `Prometheus has no healthy target for job ${job}`,
      description: `up{job="${job}"} is 0 or absent: ${impact}.`,
      runbook_url: `${a.runbookBaseUrl}#target-down`,
    },
  }));
}

export function renderAlertRulesYaml(a: AlertsConfig): string {
  return stringify(renderAlertRules(a), { lineWidth: 0 });
}

/**
 * What one step's load did, read where an operator reads it: the stack's recorded series
 * on its Prometheus (P95, P99, 5xx ratio, request rate, cache miss ratio: the same
 * series the alerts, the dashboard and `npm run promote` read), the alerts whose
 * threshold was crossed. Exact counts (scans, cache lookups, the pool) are read at their
 * source (./stage.ts).
 */
import { AlertsConfig } from "../../config/types";
import { formatPromDuration } from "../../config/units";
import { recorded } from "../../render/alertRules";
import { PrometheusApi } from "../prometheusApi";
import { SoakWindowValues } from "../promote/soakGate";

export interface Window {
  startMs: number;
  endMs: number;
}

export interface ServerReadings extends SoakWindowValues {
  requestRate?: number;
  /** Alerts of the stack that went pending (threshold crossed) or firing during the window. */
  pending: string[];
  firing: string[];
}

/**
 * Averages of the recorded series over the window, leaving out its first rate window
 * (a rate there still spans the idle time before the load).
 */
export async function readWindow(prometheusUrl: string, alerts: AlertsConfig, w: Window): Promise<ServerReadings> {
  const prom = new PrometheusApi(prometheusUrl);
  const names = recorded(alerts);
  const span = formatPromDuration(Math.max(alerts.evaluationInterval * 2, w.endMs - w.startMs - alerts.rateWindow));
  const whole = formatPromDuration(w.endMs - w.startMs);
  const avg = (series: string) => prom.scalar(`avg_over_time(${series}[${span}])`, w.endMs);
  const miss = await avg(names.cacheMissRatio);
  const alertsIn = async (state: string) =>
    [...new Set((await prom.query(`max_over_time(ALERTS{alertstate="${state}",quickwin="alert-thresholds"}[${whole}])`, w.endMs)).map((s) => String(s.metric.alertname)))].sort();
  return {
    p95: await avg(names.p95),
    p99: await avg(names.p99),
    errorRatio: await avg(names.errorRatio),
    cacheHitRatio: miss === undefined ? undefined : 1 - miss,
    requestRate: await avg(names.requestRate),
    pending: await alertsIn("pending"),
    firing: await alertsIn("firing"),
  };
}

/** One series over the whole rehearsal, for the plots. */
export interface Series {
  name: string;
  unit: "ms" | "ratio" | "req/s";
  points: [number, number][];
}

/** The recorded series over [start, end], one point per evaluation. */
export async function readSeries(prometheusUrl: string, alerts: AlertsConfig, startMs: number, endMs: number): Promise<Series[]> {
  const names = recorded(alerts);
  const prom = new PrometheusApi(prometheusUrl);
  const range = (expr: string) => prom.range(expr, startMs, endMs, alerts.evaluationInterval);
  return [
    { name: "P95 latency", unit: "ms", points: (await range(names.p95)).map(([t, v]) => [t, v * 1000]) },
    { name: "P99 latency", unit: "ms", points: (await range(names.p99)).map(([t, v]) => [t, v * 1000]) },
    { name: "request rate", unit: "req/s", points: await range(names.requestRate) },
    { name: "5xx ratio", unit: "ratio", points: await range(names.errorRatio) },
    { name: "cache hit ratio", unit: "ratio", points: await range(`1 - ${names.cacheMissRatio}`) },
  ];
}

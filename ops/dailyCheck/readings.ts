/**
 * The roadmap's daily checks, done from the recording rules: P95 and P99 latency, the
 * 5xx ratio, the cache hit ratio and the firing alerts of a stage, each beside the
 * stage's threshold. The same recorded series the alerts read, so the check, a dashboard
 * and the alert agree. Evaluation is a pure function of the values read.
 */
import { StackConfig } from "../../config/types";
import { recorded } from "../../render/alertRules";
import { PrometheusApi } from "../prometheusApi";
import { millis, percent } from "../../lib/format";

export interface CheckValues {
  p95?: number;
  p99?: number;
  errorRatio?: number;
  requestRate?: number;
  cacheMissRatio?: number;
  firing: string[];
}

export interface CheckRow {
  name: string;
  value: string;
  threshold: string;
  ok: boolean;
}

/** One row per daily check; a missing series is not ok (the check cannot confirm it). */
export function evaluateCheck(c: StackConfig, v: CheckValues): CheckRow[] {
  const a = c.alerts;
  const noData = (name: string, threshold: string): CheckRow => ({ name, value: "no data", threshold, ok: false });
  const rows: CheckRow[] = [];
  const p95Limit = `<= ${a.p95Latency} ms`;
  rows.push(v.p95 === undefined ? noData("P95 latency", p95Limit) : { name: "P95 latency", value: millis(v.p95), threshold: p95Limit, ok: v.p95 * 1000 <= a.p95Latency });
  rows.push(v.p99 === undefined ? noData("P99 latency", "(reported)") : { name: "P99 latency", value: millis(v.p99), threshold: "(reported)", ok: true });
  const errLimit = `<= ${percent(a.errorRatio)} (above ${a.minRequestRate} req/s)`;
  if (v.errorRatio === undefined || v.requestRate === undefined) rows.push(noData("5xx ratio", errLimit));
  else {
    const paging = v.requestRate > a.minRequestRate;
    rows.push({ name: "5xx ratio", value: `${percent(v.errorRatio)} at ${v.requestRate.toFixed(1)} req/s`, threshold: errLimit, ok: !paging || v.errorRatio <= a.errorRatio });
  }
  const hitLimit = `>= ${percent(1 - a.cacheMissRatio)}`;
  rows.push(
    v.cacheMissRatio === undefined
      ? noData("cache hit ratio", hitLimit)
      : { name: "cache hit ratio", value: percent(1 - v.cacheMissRatio), threshold: hitLimit, ok: v.cacheMissRatio <= a.cacheMissRatio },
  );
  rows.push({ name: "firing alerts", value: v.firing.length ? v.firing.join(", ") : "none", threshold: "none", ok: v.firing.length === 0 });
  return rows;
}

export function formatCheck(stage: string, rows: CheckRow[]): string {
  const w = Math.max(...rows.map((r) => r.value.length));
  const lines = rows.map((r) => `${r.ok ? "ok  " : "FAIL"}  ${r.name.padEnd(16)} ${r.value.padEnd(w)}  threshold ${r.threshold}`);
  const failed = rows.filter((r) => !r.ok).length;
  return [`daily check of ${stage}:`, ...lines, failed ? `${failed} check(s) failed` : "all checks passed"].join("\n");
}

/** Reads the recorded series (and ALERTS) from a Prometheus HTTP API. */
export async function readCheckValues(prometheusUrl: string, c: StackConfig): Promise<CheckValues> {
  const names = recorded(c.alerts);
  const prom = new PrometheusApi(prometheusUrl);
  return {
    p95: await prom.scalar(names.p95),
    p99: await prom.scalar(names.p99),
    errorRatio: await prom.scalar(names.errorRatio),
    requestRate: await prom.scalar(names.requestRate),
    cacheMissRatio: await prom.scalar(names.cacheMissRatio),
    firing: await prom.firingStackAlerts(),
  };
}

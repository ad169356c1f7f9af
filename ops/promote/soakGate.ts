/**
 * Promoting one quick win from a stage that has soaked it to the next (npm run promote):
 * the target stage file gets exactly that quick win's keys (the ≤ 5-line diff; keys the
 * target has that the source's block lacks stay), and only if the source ran it for its
 * soak time without a regression, read from the recording rules on the source's
 * Prometheus: P95 and P99 latency, the 5xx ratio and the cache hit ratio over the soak,
 * against the same length of time before the change, each within the source stage's
 * tolerance, and no alert of the stack firing.
 */
import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { isMap, isNode, isScalar, parseDocument } from "yaml";
import { AlertsConfig, RolloutConfig } from "../../config/types";
import { formatPromDuration } from "../../config/units";
import { recorded } from "../../render/alertRules";
import { PrometheusApi } from "../prometheusApi";
import { millis, percent } from "../../lib/format";

/** The target stage file's text with the source's block for `key` merged in (comments and order kept). */
export function mergeQuickWin(sourceText: string, targetText: string, key: string): string {
  const block = parseDocument(sourceText).getIn(["config", key], true);
  if (block === undefined) throw new PromotionRefused(`the source stage file has no ${key} block: there is nothing to promote`);
  const target = parseDocument(targetText);
  if (!isMap(block)) {
    target.setIn(["config", key], block);
    return target.toString({ lineWidth: 0, flowCollectionPadding: false });
  }
  // Key by key, each value's node as the source writes it (a flow list stays one line).
  for (const pair of block.items) target.setIn(["config", key, isScalar(pair.key) ? pair.key.value : pair.key], isNode(pair.value) ? pair.value.clone() : pair.value);
  return target.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export class PromotionRefused extends Error {}

/**
 * When the source stage started running its current value of `key`: the start of the
 * oldest update, in the newest unbroken run of updates whose config has that value.
 * A commit is not a deploy: only updates count.
 */
export function changeTime(history: UpdateSummary[], key: string, value: unknown): Date | undefined {
  const same = (u: UpdateSummary) => {
    const v = u.config?.[key]?.value;
    return v !== undefined && JSON.stringify(JSON.parse(v)) === JSON.stringify(value);
  };
  const updates = history.filter((u) => u.kind === "update" && u.result === "succeeded").sort((a, b) => +b.startTime - +a.startTime);
  let since: Date | undefined;
  for (const u of updates) {
    if (!same(u)) break;
    since = new Date(u.startTime);
  }
  return since;
}

export interface SoakWindowValues {
  p95?: number;
  p99?: number;
  errorRatio?: number;
  cacheHitRatio?: number;
}

export interface SoakValues {
  before: SoakWindowValues;
  after: SoakWindowValues;
  firing: string[];
}

/** What stops a promotion: each problem names the metric, both values and the tolerance. Empty: go. */
export function soakProblems(v: SoakValues, r: RolloutConfig, soakedMs: number): string[] {
  const problems: string[] = [];
  if (soakedMs < r.soakTime) {
    problems.push(`soak too short: ${(soakedMs / 3_600_000).toFixed(2)} h since the change, the soak time is ${(r.soakTime / 3_600_000).toFixed(2)} h`);
    return problems;
  }
  const latency = (name: "p95" | "p99"): void => {
    const [a, b] = [v.before[name], v.after[name]];
    if (a === undefined || b === undefined) problems.push(`${name.toUpperCase()} latency: no data ${a === undefined ? "before" : "during"} the soak`);
    else if (b > a * (1 + r.tolerance.latency)) problems.push(`${name.toUpperCase()} latency rose from ${millis(a)} to ${millis(b)}: more than the tolerance of +${percent(r.tolerance.latency)}`);
  };
  latency("p95");
  latency("p99");
  const { errorRatio: ea, cacheHitRatio: ha } = v.before;
  const { errorRatio: eb, cacheHitRatio: hb } = v.after;
  if (ea === undefined || eb === undefined) problems.push("5xx ratio: no data");
  else if (eb > ea + r.tolerance.errorRatio) problems.push(`5xx ratio rose from ${percent(ea)} to ${percent(eb)}: more than the tolerance of +${percent(r.tolerance.errorRatio)}`);
  if (ha === undefined || hb === undefined) problems.push("cache hit ratio: no data");
  else if (hb < ha - r.tolerance.cacheHitRatio) problems.push(`cache hit ratio fell from ${percent(ha)} to ${percent(hb)}: more than the tolerance of -${percent(r.tolerance.cacheHitRatio)}`);
  if (v.firing.length) problems.push(`alerts firing: ${v.firing.join(", ")}`);
  return problems;
}

/** Averages of the recorded series over the soak and over the same length before the change. */
export async function readSoakValues(prometheusUrl: string, alerts: AlertsConfig, since: Date, soakMs: number): Promise<SoakValues> {
  const names = recorded(alerts);
  const prom = new PrometheusApi(prometheusUrl);
  const avg = (series: string, end: number) => prom.scalar(`avg_over_time(${series}[${formatPromDuration(soakMs)}])`, end);
  const window = async (end: number): Promise<SoakWindowValues> => {
    const miss = await avg(names.cacheMissRatio, end);
    return { p95: await avg(names.p95, end), p99: await avg(names.p99, end), errorRatio: await avg(names.errorRatio, end), cacheHitRatio: miss === undefined ? undefined : 1 - miss };
  };
  const t = since.getTime();
  return { before: await window(t), after: await window(t + soakMs), firing: await prom.firingStackAlerts() };
}

/**
 * Quick win 1 with Prometheus's own promtool: every stage's rendered rules load, and
 * `promtool test rules` evaluates them on synthetic series shaped like the roadmap's
 * traffic (291 req/s, P95 4.85 ms, 0 % errors, 11.5 % cache misses) and just above
 * and below each new threshold. The roadmap's own queries run on the same series.
 */
import test from "ava";
import { stringify } from "yaml";
import { STAGES } from "../../contract/project";
import { AlertExpectation, Series, amtool, checkRules, counter, histogram, testRules } from "../fixtures/promtool";
import { renderAlertmanagerConfigYaml } from "../../render/alertmanagerConfig";
import { alertingRules, recorded, renderAlertRules, renderAlertRulesYaml } from "../../render/alertRules";
import { renderAppEnv } from "../../render/appEnv";
import { stageConfig } from "../helpers";

const after = stageConfig("dev");
const rulesYaml = renderAlertRulesYaml(after.alerts);
const rules = alertingRules(renderAlertRules(after.alerts));
const m = after.alerts.metrics;
/** The app's histogram buckets, as the stack configures them. */
const BUCKETS = renderAppEnv(after).METRICS_LATENCY_BUCKETS.split(",").map(Number);
const PER_MINUTE = 291 * 60;
const MINUTES = 40;
const app = `job="${m.appJob}"`;

/** Cumulative fraction at each bucket boundary; boundaries not listed inherit the one below. */
function dist(points: Record<number, number>) {
  const keys = Object.keys(points)
    .map(Number)
    .sort((a, b) => a - b);
  return (le: number) => {
    let f = 0;
    for (const k of keys) if (k <= le + 1e-12) f = points[k];
    return le >= keys[keys.length - 1] ? 1 : f;
  };
}
/** P95 = 0.0025 + 0.0025 * (0.95 - 0.5) / (0.979 - 0.5) = 4.85 ms: the roadmap's baseline. */
const HEALTHY = dist({ 0.001: 0.2, 0.0025: 0.5, 0.005: 0.979, 0.01: 0.995, 0.025: 0.998, 0.05: 0.999, 0.075: 1 });
/** P95 = 0.05 + 0.025 * (0.95 - 0.94) / (0.99 - 0.94) = 55 ms. */
const JUST_ABOVE = dist({ 0.001: 0.1, 0.0025: 0.3, 0.005: 0.5, 0.01: 0.6, 0.025: 0.8, 0.05: 0.94, 0.075: 0.99, 0.1: 1 });
/** P95 = 0.025 + 0.025 * (0.95 - 0.9) / (0.96 - 0.9) = 45.8 ms. */
const JUST_BELOW = dist({ 0.001: 0.1, 0.0025: 0.3, 0.005: 0.5, 0.01: 0.6, 0.025: 0.9, 0.05: 0.96, 0.075: 0.99, 0.1: 1 });

const steady = (requests: number, cumulative: (le: number) => number, minutes = MINUTES) => Array.from({ length: minutes }, () => ({ requests, cumulative }));

const ruleByName = (name: string) => rules.find((r) => r.alert === name)!;
const fired: string[] = [];

/** The alert with its rendered labels and annotations, as promtool expects them. */
function firing(alert: string, at: string, value: string): AlertExpectation {
  const r = ruleByName(alert);
  const description = r.annotations.description.replace(/\{\{ \$value \| \w+ \}\}/, value);
  fired.push(`${alert.padEnd(24)} fires at ${at.padEnd(4)} on ${value}`);
  return { eval_time: at, alertname: alert, exp_alerts: [{ exp_labels: r.labels, exp_annotations: { ...r.annotations, description } }] };
}
const quiet = (alertname: string, ...times: string[]): AlertExpectation[] => times.map((eval_time) => ({ eval_time, alertname, exp_alerts: [] }));

function assertPromtool(t: any, rules: string, series: Series[], expectations: AlertExpectation[]) {
  const res = testRules(rules, series, expectations);
  t.is(res.status, 0, res.output);
  t.regex(res.output, /SUCCESS/);
}

test("every stage's rendered rules pass promtool check rules", (t) => {
  for (const stage of STAGES) {
    const res = checkRules(renderAlertRulesYaml(stageConfig(stage).alerts));
    t.is(res.status, 0, `${stage}: ${res.output}`);
    t.regex(res.output, /SUCCESS: 12 rules found/);
  }
});

test("latency: baseline and just-below never fire; just-above fires after `for`, not before", (t) => {
  const lat = (labels: string, d: (le: number) => number) => histogram(m.requestDuration, labels, BUCKETS, steady(PER_MINUTE, d));
  assertPromtool(t, rulesYaml, lat(app, HEALTHY), quiet("HotelApiP95LatencyHigh", "5m", "10m", "20m", "39m"));
  assertPromtool(t, rulesYaml, lat(app, JUST_BELOW), quiet("HotelApiP95LatencyHigh", "5m", "10m", "20m", "39m"));
  assertPromtool(t, rulesYaml, lat(app, JUST_ABOVE), [...quiet("HotelApiP95LatencyHigh", "4m"), firing("HotelApiP95LatencyHigh", "10m", "55ms")]);
});

/** The roadmap's alert queries, verbatim except where a test says otherwise. */
function roadmapRules(latencyMetric: string): string {
  const rule = (alert: string, expr: string) => ({ alert, expr, for: "5m" });
  return stringify({
    groups: [
      {
        name: "roadmap",
        rules: [rule("RoadmapP95Latency", `histogram_quantile(0.95,rate(${latencyMetric}_bucket[5m])) > 0.05`), rule("RoadmapErrorRate", `rate(http_requests_total{status=~"5.."}[5m]) > 0.005`)],
      },
    ],
  });
}

test("latency: a slow low-traffic pod fires the roadmap's per-series quantile, not the stack's sum by (le)", (t) => {
  // Pod a serves the traffic at the baseline; pod b (a canary, 20 req/min) answers in 75-100 ms.
  const series = [
    ...histogram(m.requestDuration, `${app},pod="a"`, BUCKETS, steady(PER_MINUTE, HEALTHY)),
    ...histogram(m.requestDuration, `${app},pod="b"`, BUCKETS, steady(20, dist({ 0.075: 0, 0.1: 1 }))),
  ];
  assertPromtool(t, rulesYaml, series, quiet("HotelApiP95LatencyHigh", "10m", "39m"));
  // Same series, the roadmap's query shape (metric name aside, see the next test): it fires.
  assertPromtool(t, roadmapRules(m.requestDuration), series, [{ eval_time: "10m", alertname: "RoadmapP95Latency", exp_alerts: [{ exp_labels: { job: m.appJob, pod: "b" } }] }]);
  fired.push("RoadmapP95Latency        fires at 10m  on healthy aggregate traffic (per-pod quantile of a 20 req/min pod)");
});

test("latency: the roadmap's metric name http_requests_duration_seconds matches nothing: it never fires, even at 55 ms", (t) => {
  const slow = histogram(m.requestDuration, app, BUCKETS, steady(PER_MINUTE, JUST_ABOVE));
  assertPromtool(t, roadmapRules("http_requests_duration_seconds"), slow, quiet("RoadmapP95Latency", "10m", "39m"));
  assertPromtool(t, rulesYaml, slow, [firing("HotelApiP95LatencyHigh", "39m", "55ms")]);
});

function requests(errorRatioPerMinute: number[], total = PER_MINUTE): Series[] {
  return [
    { series: `${m.requestsTotal}{${app},${m.statusLabel}="200"}`, values: counter(errorRatioPerMinute.map((r) => total * (1 - r))) },
    { series: `${m.requestsTotal}{${app},${m.statusLabel}="500"}`, values: counter(errorRatioPerMinute.map((r) => total * r)) },
  ];
}
const ratioFor = (r: number, minutes = MINUTES) => Array.from({ length: minutes }, () => r);

test("errors: 0 % and 0.4 % never fire; 0.6 % fires after `for`, not before", (t) => {
  assertPromtool(t, rulesYaml, requests(ratioFor(0)), quiet("HotelApiErrorRatioHigh", "5m", "20m", "39m"));
  assertPromtool(t, rulesYaml, requests(ratioFor(0.004)), quiet("HotelApiErrorRatioHigh", "5m", "20m", "39m"));
  assertPromtool(t, rulesYaml, requests(ratioFor(0.006)), [...quiet("HotelApiErrorRatioHigh", "4m"), firing("HotelApiErrorRatioHigh", "10m", "0.6002%")]);
});

test("errors: an app that has never answered a 5xx (so exports no such series) records a 5xx ratio of 0 while it has traffic, and none without", (t) => {
  const names = recorded(after.alerts);
  // Ten minutes of 200s, then the app is gone (no samples: no traffic at all).
  const only200 = [{ series: `${m.requestsTotal}{${app},${m.statusLabel}="200"}`, values: counter(ratioFor(PER_MINUTE, 10)) }];
  const res = testRules(
    rulesYaml,
    only200,
    [],
    [
      { expr: names.errorRatio, eval_time: "8m", exp_samples: [{ labels: names.errorRatio, value: 0 }] },
      { expr: names.errorRatio, eval_time: "19m", exp_samples: [] },
    ],
  );
  t.is(res.status, 0, res.output);
});

test("errors: one 5xx a minute in 17,460 requests (0.006 %) fires the roadmap's absolute rate, not the stack's ratio", (t) => {
  const trickle = requests(ratioFor(1 / PER_MINUTE));
  assertPromtool(t, rulesYaml, trickle, quiet("HotelApiErrorRatioHigh", "10m", "39m"));
  assertPromtool(t, roadmapRules(m.requestDuration), trickle, [{ eval_time: "10m", alertname: "RoadmapErrorRate", exp_alerts: [{ exp_labels: { job: m.appJob, [m.statusLabel]: "500" } }] }]);
  fired.push("RoadmapErrorRate         fires at 10m  on 1 error/min of 17,460 requests/min (ratio 0.006 %)");
});

test("errors: 0.6 % for 6 minutes (true for less than `for` over the 5 m window) does not fire; for 12 minutes it does", (t) => {
  const burst = (minutes: number) => [...ratioFor(0, 10), ...ratioFor(0.006, minutes), ...ratioFor(0, MINUTES - 10 - minutes)];
  assertPromtool(t, rulesYaml, requests(burst(6)), quiet("HotelApiErrorRatioHigh", "12m", "14m", "16m", "18m", "20m", "25m"));
  // 12 minutes: the window ratio passes 0.5 % at ~14.2 m and drops back at ~22.8 m.
  assertPromtool(t, rulesYaml, requests(burst(12)), [...quiet("HotelApiErrorRatioHigh", "18m"), firing("HotelApiErrorRatioHigh", "21m", "0.5991%"), ...quiet("HotelApiErrorRatioHigh", "25m")]);
});

function lookups(missRatio: number): Series[] {
  const perMinute = 5000 * 60;
  const r = `job="${m.redisJob}"`;
  return [
    { series: `${m.cacheHits}{${r}}`, values: counter(ratioFor(perMinute * (1 - missRatio))) },
    { series: `${m.cacheMisses}{${r}}`, values: counter(ratioFor(perMinute * missRatio)) },
  ];
}

test("cache: 11.5 % (baseline) and 19 % never fire; 21 % fires after its 15 m `for`, not at 10 m", (t) => {
  assertPromtool(t, rulesYaml, lookups(0.115), quiet("HotelCacheMissRatioHigh", "10m", "20m", "39m"));
  assertPromtool(t, rulesYaml, lookups(0.19), quiet("HotelCacheMissRatioHigh", "10m", "20m", "39m"));
  assertPromtool(t, rulesYaml, lookups(0.21), [...quiet("HotelCacheMissRatioHigh", "10m"), firing("HotelCacheMissRatioHigh", "20m", "21%")]);
});

test("a wrong expectation makes promtool fail (the harness can fail)", (t) => {
  const res = testRules(rulesYaml, requests(ratioFor(0)), [firing("HotelApiErrorRatioHigh", "10m", "0%")]);
  fired.pop();
  t.not(res.status, 0);
  t.regex(res.output, /FAILED/);
});

test("Alertmanager: every stage's routing passes amtool; critical alerts page, warnings open tickets", (t) => {
  for (const stage of STAGES) {
    const alerts = stageConfig(stage).alerts;
    const yaml = renderAlertmanagerConfigYaml(alerts);
    const check = amtool(yaml, ["check-config", "{config}"]);
    t.is(check.status, 0, `${stage}: ${check.output}`);
    t.regex(check.output, /SUCCESS/);
    for (const rule of alertingRules(renderAlertRules(alerts))) {
      const route = amtool(yaml, ["config", "routes", "test", "--config.file={config}", `severity=${rule.labels.severity}`, `alertname=${rule.alert}`]);
      t.is(route.status, 0, route.output);
      t.is(route.output.split("\n")[0].trim(), rule.labels.severity === "critical" ? "pager" : "tickets", `${stage} ${rule.alert}`);
    }
  }
});

test.after.always(() => {
  if (fired.length) console.log(`\n${fired.join("\n")}\n`);
});

test("errors, minimum traffic: one request a minute, all 5xx, never pages; at 1 req/s a 5 % ratio does", (t) => {
  const oneAMinute = requests(ratioFor(1), 1);
  assertPromtool(t, rulesYaml, oneAMinute, quiet("HotelApiErrorRatioHigh", "10m", "20m", "39m"));
  const oneASecond = requests(ratioFor(0.05), 60);
  assertPromtool(t, rulesYaml, oneASecond, [...quiet("HotelApiErrorRatioHigh", "4m"), firing("HotelApiErrorRatioHigh", "10m", "5%")]);
  // Just under the configured floor (0.5 req/s) the same ratio stays quiet.
  assertPromtool(t, rulesYaml, requests(ratioFor(0.05), 0.4 * 60), quiet("HotelApiErrorRatioHigh", "10m", "39m"));
});

/** `up` of one job, one sample a minute. */
const upSeries = (job: string, values: number[]): Series => ({ series: `up{job="${job}",instance="${job}:9"}`, values: values.join(" ") });
const targetDown = (alert: string, job: string, at: string, extra: Record<string, string>): AlertExpectation => {
  const r = ruleByName(alert);
  return { eval_time: at, alertname: alert, exp_alerts: [{ exp_labels: { ...r.labels, job, ...extra }, exp_annotations: r.annotations }] };
};

test("missing targets: a job whose up drops to 0 fires after its `for`; a job with no up series at all fires too; a healthy one never", (t) => {
  const healthy = (job: string) =>
    upSeries(
      job,
      Array.from({ length: MINUTES }, () => 1),
    );
  const drops = (job: string) =>
    upSeries(
      job,
      Array.from({ length: MINUTES }, (_, i) => (i <= 10 ? 1 : 0)),
    );
  assertPromtool(
    t,
    rulesYaml,
    [healthy(m.appJob), healthy(m.redisJob), healthy(m.postgresJob)],
    [...quiet("HotelApiTargetDown", "10m", "39m"), ...quiet("HotelRedisExporterDown", "10m", "39m"), ...quiet("HotelPostgresExporterDown", "10m", "39m")],
  );
  assertPromtool(
    t,
    rulesYaml,
    [healthy(m.appJob), drops(m.redisJob), healthy(m.postgresJob)],
    [...quiet("HotelRedisExporterDown", "10m", "14m"), targetDown("HotelRedisExporterDown", m.redisJob, "17m", { instance: `${m.redisJob}:9` }), ...quiet("HotelApiTargetDown", "17m")],
  );
  // No series for the app at all (its target was never discovered): absent() fires.
  assertPromtool(t, rulesYaml, [healthy(m.redisJob), healthy(m.postgresJob)], [...quiet("HotelApiTargetDown", "3m"), targetDown("HotelApiTargetDown", m.appJob, "6m", {})]);
  fired.push("HotelRedisExporterDown   fires at 17m  on up 0 from 11m (for 5m)");
  fired.push("HotelApiTargetDown       fires at 6m   on no up series (absent)");
});

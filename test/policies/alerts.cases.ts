/** The alerts policies' mutation table: each row must be rejected by exactly its policy, with its message. */
import { K8S } from "../helpers";
import { MutationRow, merge, one } from "./policyCases";
import { Registered } from "../../harness/mockRun";

/** An alert of the PrometheusRule, by name. */
const alert = (rs: Registered[], name: string) => one(rs, K8S.prometheusRule).inputs.spec.groups[0].rules.find((r: { alert?: string }) => r.alert === name);

export const alertRows: MutationRow[] = [
  [
    "P95 threshold 5 ms (the baseline, not 10x it)",
    "alert-thresholds-sane",
    { stage: "staging", patch: merge("hotel:alerts", { p95Latency: "5ms" }) },
    /P95 threshold 5 ms is below 10 x the 4\.85 ms baseline \(48\.5 ms\)/,
  ],
  ["error-ratio threshold 10 %", "alert-thresholds-sane", { stage: "staging", patch: merge("hotel:alerts", { errorRatio: 0.1 }) }, /error-ratio threshold 0\.1 is outside \(0, 0\.05\]/],
  [
    "error alert as an absolute rate (the roadmap's query)",
    "alert-error-is-ratio",
    { stage: "staging", mutate: (rs) => (alert(rs, "HotelApiErrorRatioHigh").expr = 'rate(http_requests_total{status=~"5.."}[5m]) > 0.005') },
    /is an absolute 5xx rate.*Divide by all requests/,
  ],
  [
    "latency quantile without sum by (le) (the roadmap's query)",
    "alert-latency-aggregates-by-le",
    { stage: "staging", mutate: (rs) => (alert(rs, "HotelApiP95LatencyHigh").expr = "histogram_quantile(0.95,rate(http_request_duration_seconds_bucket[5m])) > 0.05") },
    /one quantile per series.*sum by \(le\)/,
  ],
  [
    "alert without for and runbook_url",
    "alert-rules-complete",
    {
      stage: "prod",
      mutate: (rs) => {
        delete alert(rs, "HotelCacheMissRatioHigh").for;
        delete alert(rs, "HotelCacheMissRatioHigh").annotations.runbook_url;
      },
    },
    /alert HotelCacheMissRatioHigh lacks for \(a single bad scrape would page\), annotations\.runbook_url/,
  ],
];

/** A recording that drops `sum by (le)`, read by the latency alert: caught through the alert. */
alertRows.push([
  "a recorded P95 without sum by (le)",
  "alert-latency-aggregates-by-le",
  {
    stage: "staging",
    mutate: (rs) => {
      const rules = one(rs, K8S.prometheusRule).inputs.spec.groups[0].rules;
      rules.find((r: { record?: string }) => r.record === "hotel_api:request_duration_seconds:p95_5m").expr = "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m]))";
    },
  },
  /one quantile per series/,
]);

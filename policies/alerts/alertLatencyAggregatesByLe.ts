import { ResourceValidationPolicy } from "@pulumi/policy";
import { onAlertRules } from "../readers/alerts";

/** The aggregation right inside histogram_quantile(q, ...), and the labels it keeps. */
function keptLabels(inner: string): string[] | undefined {
  const agg = /^(sum|max|min|avg)\s*(?:by|without)?\s*\(([^)]*)\)\s*\(/.exec(inner) ?? /^(sum|max|min|avg)\s*\(.*\)\s*by\s*\(([^)]*)\)/.exec(inner);
  return agg ? agg[2].split(",").map((x) => x.trim()) : undefined;
}

/** histogram_quantile over rate() without an aggregation keeping le gives a quantile per series. */
export const alertLatencyAggregatesByLe: ResourceValidationPolicy = {
  name: "alert-latency-aggregates-by-le",
  description: "Latency quantiles aggregate the buckets by (le) first.",
  enforcementLevel: "mandatory",
  validateResource: onAlertRules((r, report) => {
    for (const m of r.expr.matchAll(/histogram_quantile\(\s*[0-9.]+\s*,\s*([^]*)$/g)) {
      if (!keptLabels(m[1])?.includes("le")) {
        report(
          `alert ${r.alert}: histogram_quantile over un-aggregated buckets computes one quantile per series (per pod, per route): ` +
            `a quiet, slow pod fires it while overall latency is fine. Use histogram_quantile(0.95, sum by (le) (rate(<metric>_bucket[5m]))).`,
        );
      }
    }
  }),
};

import { ResourceValidationPolicy } from "@pulumi/policy";
import { AlertRule, Res, alertRules, threshold } from "../facts";

function eachRule(args: unknown, check: (rule: AlertRule) => void): void {
  for (const rule of alertRules(args as Res) ?? []) check(rule);
}

export const alertsComplete: ResourceValidationPolicy = {
  name: "alert-rules-complete",
  description: "Every alert has for, a severity label, a summary and a runbook_url.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) =>
    eachRule(args, (r) => {
      const missing = [
        !r.for && "for (a single bad scrape would page)",
        !r.labels?.severity && "labels.severity",
        !r.annotations?.summary && "annotations.summary",
        !r.annotations?.runbook_url && "annotations.runbook_url",
      ].filter(Boolean);
      if (missing.length) report(`alert ${r.alert} lacks ${missing.join(", ")}.`);
    }),
};

/** histogram_quantile over rate() without an aggregation keeping le gives a quantile per series. */
export const latencyByLe: ResourceValidationPolicy = {
  name: "alert-latency-aggregates-by-le",
  description: "Latency quantiles aggregate the buckets by (le) first.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) =>
    eachRule(args, (r) => {
      for (const m of r.expr.matchAll(/histogram_quantile\(\s*[0-9.]+\s*,\s*([^]*)$/g)) {
        const inner = m[1];
        const agg = /^(sum|max|min|avg)\s*(?:by|without)?\s*\(([^)]*)\)\s*\(/.exec(inner) ?? /^(sum|max|min|avg)\s*\(.*\)\s*by\s*\(([^)]*)\)/.exec(inner);
        if (!agg || !agg[2].split(",").map((x) => x.trim()).includes("le")) {
          report(
            `alert ${r.alert}: histogram_quantile over un-aggregated buckets computes one quantile per series (per pod, per route): ` +
              `a quiet, slow pod fires it while overall latency is fine. Use histogram_quantile(0.95, sum by (le) (rate(<metric>_bucket[5m]))).`,
          );
        }
      }
    }),
};

/** An alert on 5xx responses must divide by all responses. */
export const errorIsRatio: ResourceValidationPolicy = {
  name: "alert-error-is-ratio",
  description: "Error alerts compare a ratio of 5xx to all requests, not an absolute rate.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) =>
    eachRule(args, (r) => {
      if (!/=~\s*"5\.\."|=\s*"5\d\d"/.test(r.expr)) return;
      const [num, den] = r.expr.split(/\s\/\s/);
      if (den === undefined || !/5\.\.|5\d\d/.test(num) || /5\.\.|5\d\d/.test(den)) {
        report(
          `alert ${r.alert}: "${r.expr.slice(0, 90)}" is an absolute 5xx rate; it fires on a trickle of errors at peak traffic and stays silent when a quiet night fails. ` +
            `Divide by all requests: sum(rate(..{status=~"5.."}[5m])) / sum(rate(..[5m])) > 0.005.`,
        );
      }
    }),
};

export const alertThresholds: ResourceValidationPolicy = {
  name: "alert-thresholds-sane",
  description: "P95 threshold at least N x the measured baseline; error-ratio threshold within (0, 5 %].",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      // Default: the baseline the stage config records on the rule (annotation baseline_p95_seconds).
      baselineP95: { type: "number" },
      minMultipleOfBaseline: { type: "number", default: 10 },
      maxErrorRatio: { type: "number", default: 0.05 },
    },
  },
  validateResource: (args, report) => {
    const cfg = { minMultipleOfBaseline: 10, maxErrorRatio: 0.05, ...args.getConfig<any>() };
    eachRule(args, (r) => {
      const t = threshold(r.expr);
      if (t === undefined) return;
      if (/histogram_quantile/.test(r.expr)) {
        const annotated = Number(r.annotations?.baseline_p95_seconds) * 1000;
        const baselineMs: number = cfg.baselineP95 ?? +annotated.toFixed(6);
        if (!(baselineMs > 0)) {
          report(`alert ${r.alert}: no measured baseline to check the threshold against: set the policy's baselineP95 or the rule's baseline_p95_seconds annotation (hotel:alerts.baselineP95).`);
          return;
        }
        const floorMs = baselineMs * cfg.minMultipleOfBaseline;
        if (t * 1000 < floorMs - 1e-6) {
          report(`alert ${r.alert}: P95 threshold ${+(t * 1000).toFixed(3)} ms is below ${cfg.minMultipleOfBaseline} x the ${baselineMs} ms baseline (${+floorMs.toFixed(3)} ms): it would fire on normal variation. The roadmap's 50 ms is the intended floor.`);
        }
      } else if (/5\.\.|5\d\d/.test(r.expr) && r.expr.includes("/")) {
        if (!(t > 0 && t <= cfg.maxErrorRatio)) {
          report(`alert ${r.alert}: error-ratio threshold ${t} is outside (0, ${cfg.maxErrorRatio}]: it is a ratio (0.005 = 0.5 %), not a percentage.`);
        }
      }
    });
  },
};

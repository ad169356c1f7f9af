import { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { AlertRule, onAlertRules, threshold } from "../readers/alerts";
import { policySettings } from "../settings";

const settings = policySettings<{ baselineP95?: number; minMultipleOfBaseline: number; maxErrorRatio: number }>({
  // Default: the baseline the stage config records on the rule (annotation baseline_p95_seconds).
  baselineP95: { type: "number", description: "Measured P95 in ms; by default the rule's baseline_p95_seconds annotation." },
  minMultipleOfBaseline: { type: "number", default: 10 },
  maxErrorRatio: { type: "number", default: 0.05 },
});
type Settings = ReturnType<typeof settings.read>;

function checkLatency(r: AlertRule, t: number, cfg: Settings, report: ReportViolation): void {
  const annotated = Number(r.annotations?.baseline_p95_seconds) * 1000;
  const baselineMs = cfg.baselineP95 ?? +annotated.toFixed(6);
  if (!(baselineMs > 0)) {
    report(`alert ${r.alert}: no measured baseline to check the threshold against: set the policy's baselineP95 or the rule's baseline_p95_seconds annotation (hotel:alerts.baselineP95).`);
    return;
  }
  const floorMs = baselineMs * cfg.minMultipleOfBaseline;
  if (t * 1000 < floorMs - 1e-6) {
    report(
      `alert ${r.alert}: P95 threshold ${+(t * 1000).toFixed(3)} ms is below ${cfg.minMultipleOfBaseline} x the ${baselineMs} ms baseline (${+floorMs.toFixed(3)} ms): it would fire on normal variation. The roadmap's 50 ms is the intended floor.`,
    );
  }
}

export const alertThresholdsSane: ResourceValidationPolicy = {
  name: "alert-thresholds-sane",
  description: "P95 threshold at least N x the measured baseline; error-ratio threshold within (0, 5 %].",
  enforcementLevel: "mandatory",
  validateResource: onAlertRules((r, report, args) => {
    const cfg = settings.read(args);
    const t = threshold(r.expr);
    if (t === undefined) return;
    if (/histogram_quantile/.test(r.expr)) checkLatency(r, t, cfg, report);
    else if (/5\.\.|5\d\d/.test(r.expr) && r.expr.includes("/") && !(t > 0 && t <= cfg.maxErrorRatio)) {
      report(`alert ${r.alert}: error-ratio threshold ${t} is outside (0, ${cfg.maxErrorRatio}]: it is a ratio (0.005 = 0.5 %), not a percentage.`);
    }
  }),
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

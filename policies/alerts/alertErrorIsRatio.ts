import { ResourceValidationPolicy } from "@pulumi/policy";
import { onAlertRules } from "../readers/alerts";

const FIVE_XX = /5\.\.|5\d\d/;

/** An alert on 5xx responses must divide by all responses. */
export const alertErrorIsRatio: ResourceValidationPolicy = {
  name: "alert-error-is-ratio",
  description: "Error alerts compare a ratio of 5xx to all requests, not an absolute rate.",
  enforcementLevel: "mandatory",
  validateResource: onAlertRules((r, report) => {
    if (!/=~\s*"5\.\."|=\s*"5\d\d"/.test(r.expr)) return;
    const [num, den] = r.expr.split(/\s\/\s/);
    if (den === undefined || !FIVE_XX.test(num) || FIVE_XX.test(den)) {
      report(
        `alert ${r.alert}: "${r.expr.slice(0, 90)}" is an absolute 5xx rate; it fires on a trickle of errors at peak traffic and stays silent when a quiet night fails. ` +
          `Divide by all requests: sum(rate(..{status=~"5.."}[5m])) / sum(rate(..[5m])) > 0.005.`,
      );
    }
  }),
};

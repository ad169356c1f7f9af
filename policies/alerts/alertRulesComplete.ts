import { ResourceValidationPolicy } from "@pulumi/policy";
import { onAlertRules } from "../readers/alerts";

export const alertRulesComplete: ResourceValidationPolicy = {
  name: "alert-rules-complete",
  description: "Every alert has for, a severity label, a summary and a runbook_url.",
  enforcementLevel: "mandatory",
  validateResource: onAlertRules((r, report) => {
    const missing = [
      !r.for && "for (a single bad scrape would page)",
      !r.labels?.severity && "labels.severity",
      !r.annotations?.summary && "annotations.summary",
      !r.annotations?.runbook_url && "annotations.runbook_url",
    ].filter(Boolean);
    if (missing.length) report(`alert ${r.alert} lacks ${missing.join(", ")}.`);
  }),
};

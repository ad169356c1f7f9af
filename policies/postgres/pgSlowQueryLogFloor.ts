import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseDurationMs } from "../../config/units";
import { onPostgresSettings } from "../readers/pods";
import { policySettings } from "../settings";

const settings = policySettings<{ floorMs: number }>({ floorMs: { type: "number", default: 50 } });

/** PostgreSQL reads a bare number of log_min_duration_statement as milliseconds. */
const settingMs = (v: string) => (/^\d+$/.test(v) ? Number(v) : parseDurationMs(v));

export const pgSlowQueryLogFloor: ResourceValidationPolicy = {
  name: "pg-slow-query-log-floor",
  description: "log_min_duration_statement is off or at least a floor, so the log is not flooded.",
  enforcementLevel: "mandatory",
  validateResource: onPostgresSettings((s, report, args) => {
    const v = s["log_min_duration_statement"];
    if (v === undefined || v === "-1") return;
    const { floorMs } = settings.read(args);
    const ms = settingMs(v);
    if (ms === undefined || ms < floorMs) {
      report(`log_min_duration_statement=${v} logs every statement faster than ${floorMs} ms too: at 291 req/s that floods the log. Use at least ${floorMs}ms (the roadmap's 100ms), or off.`);
    }
  }),
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

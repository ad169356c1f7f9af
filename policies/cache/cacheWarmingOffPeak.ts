import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { ReportViolation, ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { OFF_PEAK_WINDOW_KEY } from "../../render/warming";
import { cronHours } from "../../config/cron";

/**
 * The schedule's hours must fall inside the stage's own off-peak window, which the
 * warmer carries beside its schedule (hotel:cacheWarming.offPeakWindow: one source).
 */
function check(schedule: string | undefined, window: string | undefined, report: ReportViolation): void {
  if (!schedule) return;
  const m = /^(\d{2}):00-(\d{2}):00$/.exec(window ?? "");
  if (!m) {
    report(`cache refresh schedule "${schedule}" carries no off-peak window (${OFF_PEAK_WINDOW_KEY}): set hotel:cacheWarming.offPeakWindow.`);
    return;
  }
  const [start, end] = [Number(m[1]), Number(m[2])];
  const hours = cronHours(schedule);
  if (hours.length === 0 || hours.some((h) => h < start || h >= end)) {
    report(`cache refresh schedule "${schedule}" runs outside the off-peak window ${window} UTC: it loads PostgreSQL while guests book. Schedule it inside the window (e.g. "30 3 * * *").`);
  }
}

export const cacheWarmingOffPeak: ResourceValidationPolicy = {
  name: "cache-warming-off-peak",
  description: "The scheduled cache refresh runs in the stage's off-peak window.",
  enforcementLevel: "advisory",
  validateResource: [
    validateResourceOfType(k8s.batch.v1.CronJob, (cj, _a, report) => check(cj.spec?.schedule, cj.metadata?.annotations?.[OFF_PEAK_WINDOW_KEY], report)),
    validateResourceOfType(docker.Container, (c, _a, report) => {
      const cmd = c.command ?? [];
      const i = cmd.indexOf("--schedule");
      if (i < 0) return;
      check(cmd[i + 1], (c.labels ?? []).find((l) => l.label === OFF_PEAK_WINDOW_KEY)?.value, report);
    }),
  ],
};

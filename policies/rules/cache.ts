import { ResourceValidationPolicy } from "@pulumi/policy";
import { Res, T, appSettings } from "../facts";

export const cacheTtls: ResourceValidationPolicy = {
  name: "cache-ttls",
  description: "Availability is cached at most 5 minutes; every TTL is positive.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxAvailabilitySeconds: { type: "number", default: 300 } } },
  validateResource: (args, report) => {
    const env = appSettings(args as unknown as Res);
    if (!env) return;
    const max = args.getConfig<{ maxAvailabilitySeconds?: number }>().maxAvailabilitySeconds ?? 300;
    const availability = Number(env["CACHE_TTL_AVAILABILITY_SECONDS"]);
    if (!(availability <= max)) {
      report(`CACHE_TTL_AVAILABILITY_SECONDS=${env["CACHE_TTL_AVAILABILITY_SECONDS"]}: availability cached longer than ${max} s is sold after it is gone (double bookings). Keep hotel:redis.ttl.availability at 5m or less.`);
    }
    for (const [k, v] of Object.entries(env)) {
      if (/^CACHE_TTL_.*_SECONDS$/.test(k) && !(Number(v) > 0)) report(`${k}=${v}: a TTL must be positive (0 or less means "never expires" or "expire now").`);
    }
  },
};

const hourField = (cron: string) => cron.trim().split(/\s+/)[1];

export const warmingOffPeak: ResourceValidationPolicy = {
  name: "cache-warming-off-peak",
  description: "The scheduled cache refresh runs in the off-peak window.",
  enforcementLevel: "advisory",
  configSchema: { properties: { offPeakStartHour: { type: "number", default: 2 }, offPeakEndHour: { type: "number", default: 5 } } },
  validateResource: (args, report) => {
    const r = args as unknown as Res;
    let schedule: string | undefined;
    if (r.type === T.cronJob) schedule = r.props.spec?.schedule;
    if (r.type === T.container) {
      const cmd: string[] = r.props.command ?? [];
      const i = cmd.indexOf("--schedule");
      if (i >= 0) schedule = cmd[i + 1];
    }
    if (!schedule) return;
    const { offPeakStartHour: start = 2, offPeakEndHour: end = 5 } = args.getConfig<any>();
    const hour = hourField(schedule);
    const hours = /^\d+$/.test(hour) ? [Number(hour)] : [];
    if (hours.length === 0 || hours.some((h) => h < start || h >= end)) {
      report(`cache refresh schedule "${schedule}" runs outside the off-peak window ${start}:00-${end}:00 UTC: it loads PostgreSQL while guests book. Schedule it inside the window (e.g. "30 3 * * *").`);
    }
  },
};

import { ResourceValidationPolicy } from "@pulumi/policy";
import { onAppSettings } from "../readers/files";
import { policySettings } from "../settings";

const settings = policySettings<{ maxAvailabilitySeconds: number }>({ maxAvailabilitySeconds: { type: "number", default: 300 } });

export const cacheTtls: ResourceValidationPolicy = {
  name: "cache-ttls",
  description: "Availability is cached at most 5 minutes; every TTL is positive.",
  enforcementLevel: "mandatory",
  validateResource: onAppSettings((env, report, args) => {
    const { maxAvailabilitySeconds: max } = settings.read(args);
    const availability = Number(env["CACHE_TTL_AVAILABILITY_SECONDS"]);
    if (!(availability <= max)) {
      report(
        `CACHE_TTL_AVAILABILITY_SECONDS=${env["CACHE_TTL_AVAILABILITY_SECONDS"]}: availability cached longer than ${max} s is sold after it is gone (double bookings). Keep hotel:redis.ttl.availability at 5m or less.`,
      );
    }
    for (const [k, v] of Object.entries(env)) {
      if (/^CACHE_TTL_.*_SECONDS$/.test(k) && !(Number(v) > 0)) report(`${k}=${v}: a TTL must be positive (0 or less means "never expires" or "expire now").`);
    }
  }),
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

import { StackValidationPolicy } from "@pulumi/policy";
import { appSettingsOf, redisConfOf } from "../readers/stack";

/** allkeys-* evicts keys without a TTL: only safe where the app keeps nothing else in Redis. */
export const redisAllkeysOnlyOnCacheOnlyInstance: StackValidationPolicy = {
  name: "redis-allkeys-only-on-cache-only-instance",
  description: "An allkeys-* eviction policy only on a Redis that holds nothing but cache.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const shared = args.resources.map(appSettingsOf).flatMap((s) => (s && s["REDIS_KEYSPACE"] !== "cache-only" ? [s["REDIS_KEYSPACE"]] : []));
    for (const r of args.resources) {
      const policy = redisConfOf(r)?.["maxmemory-policy"] ?? "noeviction";
      if (policy.startsWith("allkeys-") && shared.length > 0) {
        report(
          `maxmemory-policy ${policy} on a Redis the app also uses for keys without a TTL (REDIS_KEYSPACE=${shared[0]}): ` +
            `locks and sessions would be evicted. Use volatile-${policy.slice(8)} (only keys with a TTL are evicted), ` +
            `or move those keys to their own instance and set hotel:redis.keyspace to cache-only.`,
          r.urn,
        );
      }
    }
  },
};

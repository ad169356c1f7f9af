import { ResourceValidationPolicy } from "@pulumi/policy";
import { onRedisConf } from "../readers/files";

export const redisEvictionPolicySwitch: ResourceValidationPolicy = {
  name: "redis-eviction-policy-switch",
  description: "Switching to an LFU policy starts every key's counter afresh.",
  enforcementLevel: "advisory",
  validateResource: onRedisConf((conf, report) => {
    if (/-lfu$/.test(conf["maxmemory-policy"] ?? "")) {
      report(
        `maxmemory-policy ${conf["maxmemory-policy"]}: after a switch from LRU (and after every restart, which a changed redis.conf causes) ` +
          `all keys start with the same LFU counter, so eviction is near-random until reads build counters up; warm the cache after the rollout.`,
      );
    }
  }),
};

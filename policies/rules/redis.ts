import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Res, appSettings, redisConf } from "../facts";

export const redisMaxmemory: ResourceValidationPolicy = {
  name: "redis-maxmemory-set",
  description: "Redis must run with a maxmemory limit, or it grows until the node evicts it.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const conf = redisConf(args as unknown as Res);
    if (!conf) return;
    const value = conf["maxmemory"];
    if (!value || /^0(b|kb|mb|gb)?$/i.test(value)) {
      report(`redis.conf has maxmemory ${value ?? "unset"}: set hotel:redis.maxmemory (e.g. "1gb") so that eviction, not the OOM killer, bounds memory.`);
    }
  },
};

export const redisLfuKnobs: ResourceValidationPolicy = {
  name: "redis-lfu-knobs-in-range",
  description: "LFU knobs within the ranges redis.conf documents as useful.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      logFactor: { type: "array", items: { type: "number" }, default: [1, 100] },
      decayTimeMinutes: { type: "array", items: { type: "number" }, default: [0, 60] },
      samples: { type: "array", items: { type: "number" }, default: [3, 16] },
    },
  },
  validateResource: (args, report) => {
    const conf = redisConf(args as unknown as Res);
    if (!conf) return;
    const cfg = { logFactor: [1, 100], decayTimeMinutes: [0, 60], samples: [3, 16], ...args.getConfig<any>() };
    const check = (key: string, range: number[], why: string) => {
      const v = Number(conf[key]);
      if (conf[key] !== undefined && (v < range[0] || v > range[1])) report(`redis.conf ${key} ${conf[key]} is outside [${range[0]}, ${range[1]}]: ${why}`);
    };
    check("lfu-log-factor", cfg.logFactor, "0 saturates counters after a few hits, above 100 they barely move (redis.conf's table); the default is 10.");
    check("lfu-decay-time", cfg.decayTimeMinutes, "counters should decay within the hour, or yesterday's hot keys are never evicted; the default is 1 minute.");
    check("maxmemory-samples", cfg.samples, "fewer than 3 samples evicts almost at random, more than 16 costs CPU on every write; the default is 5.");
  },
};

/** allkeys-* evicts keys without a TTL: only safe where the app keeps nothing else in Redis. */
export const redisAllkeysOnlyOnCache: StackValidationPolicy = {
  name: "redis-allkeys-only-on-cache-only-instance",
  description: "An allkeys-* eviction policy only on a Redis that holds nothing but cache.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as unknown as Res[];
    const confs = resources.map((r) => [r, redisConf(r)] as const).filter(([, c]) => c);
    const keyspaces = resources.map(appSettings).filter((s) => s).map((s) => s!["REDIS_KEYSPACE"]);
    for (const [r, conf] of confs) {
      const policy = conf!["maxmemory-policy"] ?? "noeviction";
      const shared = keyspaces.filter((k) => k !== "cache-only");
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

export const redisPolicySwitchAdvisory: ResourceValidationPolicy = {
  name: "redis-eviction-policy-switch",
  description: "Switching to an LFU policy starts every key's counter afresh.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    const conf = redisConf(args as unknown as Res);
    if (conf && /-lfu$/.test(conf["maxmemory-policy"] ?? "")) {
      report(
        `maxmemory-policy ${conf["maxmemory-policy"]}: after a switch from LRU (and after every restart, which a changed redis.conf causes) ` +
          `all keys start with the same LFU counter, so eviction is near-random until reads build counters up; warm the cache after the rollout.`,
      );
    }
  },
};

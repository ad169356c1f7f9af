import { ResourceValidationPolicy } from "@pulumi/policy";
import { onRedisConf } from "../readers/files";
import { policySettings } from "../settings";

const settings = policySettings<{ logFactor: number[]; decayTimeMinutes: number[]; samples: number[] }>({
  logFactor: { type: "array", items: { type: "number" }, default: [1, 100] },
  decayTimeMinutes: { type: "array", items: { type: "number" }, default: [0, 60] },
  samples: { type: "array", items: { type: "number" }, default: [3, 16] },
});

const WHY = {
  "lfu-log-factor": "0 saturates counters after a few hits, above 100 they barely move (redis.conf's table); the default is 10.",
  "lfu-decay-time": "counters should decay within the hour, or yesterday's hot keys are never evicted; the default is 1 minute.",
  "maxmemory-samples": "fewer than 3 samples evicts almost at random, more than 16 costs CPU on every write; the default is 5.",
};

export const redisLfuKnobsInRange: ResourceValidationPolicy = {
  name: "redis-lfu-knobs-in-range",
  description: "LFU knobs within the ranges redis.conf documents as useful.",
  enforcementLevel: "mandatory",
  validateResource: onRedisConf((conf, report, args) => {
    const s = settings.read(args);
    const ranges: Record<keyof typeof WHY, number[]> = { "lfu-log-factor": s.logFactor, "lfu-decay-time": s.decayTimeMinutes, "maxmemory-samples": s.samples };
    for (const [key, [low, high]] of Object.entries(ranges) as [keyof typeof WHY, number[]][]) {
      const v = Number(conf[key]);
      if (conf[key] !== undefined && (v < low || v > high)) report(`redis.conf ${key} ${conf[key]} is outside [${low}, ${high}]: ${WHY[key]}`);
    }
  }),
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

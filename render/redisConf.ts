/** Quick win 3 as redis.conf: the file the server starts with, so a restart keeps it. */
import { RedisConfig } from "../config/types";

export const REDIS_PORT = 6379;

/** Ordered key/value directives; the eviction ones come from the quick-win block. */
export function redisDirectives(redis: RedisConfig): [string, string][] {
  return [
    ["bind", "0.0.0.0"],
    ["port", String(REDIS_PORT)],
    // Access is limited by NetworkPolicy / the private Docker network.
    ["protected-mode", "no"],
    // A cache: nothing to persist, and no fork for RDB snapshots under load.
    ["save", '""'],
    ["appendonly", "no"],
    ["maxmemory", redis.maxmemory.text],
    ["maxmemory-policy", redis.maxmemoryPolicy],
    ["maxmemory-samples", String(redis.maxmemorySamples)],
    ["lfu-log-factor", String(redis.lfuLogFactor)],
    ["lfu-decay-time", String(redis.lfuDecayTime)],
  ];
}

export function renderRedisConf(redis: RedisConfig): string {
  const header = [
    "# Rendered by the hotel-reservation Pulumi stack from the stage's hotel:redis block.",
    "# Edit the stage file, not this file: CONFIG SET would be lost on restart.",
  ];
  return [...header, ...redisDirectives(redis).map(([k, v]) => `${k} ${v}`)].join("\n") + "\n";
}

export function isLfu(policy: string): boolean {
  return policy.endsWith("-lfu");
}

/** Quick win 3 as redis.conf: the file the server starts with, so a restart keeps it. */
import { RedisConfig } from "../config/types";
import { SERVICES } from "../contract/services";

export const REDIS_PORT = SERVICES.redis.port;
/** Where the server reads redis.conf (the file is mounted or uploaded there). */
export const REDIS_CONF_DIR = "/usr/local/etc/redis";

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
  const header = ["# Rendered by the hotel-reservation Pulumi stack from the stage's hotel:redis block.", "# Edit the stage file, not this file: CONFIG SET would be lost on restart."];
  return [...header, ...redisDirectives(redis).map(([k, v]) => `${k} ${v}`)].join("\n") + "\n";
}

/**
 * The Redis container's memory, derived from maxmemory so that the limit always holds
 * it: maxmemory counts the dataset only; replication and client buffers, fragmentation
 * and the process itself need headroom (x1.25 requested, x1.5 as the limit).
 */
export function redisContainerMemory(redis: RedisConfig): { requestMi: number; limitMi: number } {
  const mi = (bytes: number) => Math.ceil(bytes / 1024 ** 2);
  return { requestMi: mi(redis.maxmemory.bytes * 1.25), limitMi: mi(redis.maxmemory.bytes * 1.5) };
}

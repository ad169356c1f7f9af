/** Quick win 3 as redis.conf: the file the server starts with, so a restart keeps it. */
import { RedisConfig } from "../config/types";
import { SERVICES } from "../contract/services";
import { REDIS_AUTH_FILE, REDIS_CONF_FILE } from "../contract/files";

export const REDIS_PORT = SERVICES.redis.port;
/** Where the server reads redis.conf (the file is mounted or uploaded there). */
export const REDIS_CONF_DIR = "/usr/local/etc/redis";
/** Where the password file is mounted (a Secret) or uploaded: apart, so redis.conf stays free of it. */
export const REDIS_AUTH_DIR = "/usr/local/etc/redis-auth";

/**
 * redis-server's arguments: redis.conf, then the password file through `--include`
 * (a command-line option is read as one more config line, after the file's own).
 */
export const redisServerArgs = (): string[] => [`${REDIS_CONF_DIR}/${REDIS_CONF_FILE}`, "--include", `${REDIS_AUTH_DIR}/${REDIS_AUTH_FILE}`];

/** The password file: every client, the exporter and redis-cli in the pod included, must AUTH. */
export const renderRedisAuth = (password: string): string => `requirepass ${password}\n`;

/** Ordered key/value directives; the eviction ones come from the quick-win block. */
export function redisDirectives(redis: RedisConfig): [string, string][] {
  return [
    ["bind", "0.0.0.0"],
    ["port", String(REDIS_PORT)],
    // Clients must AUTH (requirepass, from the password file); who may connect at all is
    // limited by the NetworkPolicy / the private Docker network.
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

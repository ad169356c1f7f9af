/**
 * The validated, typed stack configuration, derived from the schema (config/schema.ts):
 * the stage files' key names, durations in milliseconds, memory sizes as { text, bytes }.
 */
import { ValueOf } from "./knobs";
import { CACHE_KEY_CLASSES, EVICTION_POLICIES, PLATFORMS, REDIS_KEYSPACES, SCHEMA } from "./schema";

export { CACHE_KEY_CLASSES, EVICTION_POLICIES, PLATFORMS, REDIS_KEYSPACES } from "./schema";
export type { IndexSpec } from "./indexes";
export type { ByteSize } from "./units";

type Sections = typeof SCHEMA;
/** The sections a stage file sets (the password is a secret the program reads itself). */
export type StageSections = Omit<Sections, "postgresPassword">;
export const STAGE_SECTIONS = Object.keys(SCHEMA).filter((k) => !SCHEMA[k as keyof Sections].secret) as (keyof StageSections)[];

export type StackConfig = { stage: string } & ValueOf<StageSections>;

export type Platform = (typeof PLATFORMS)[number];
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];
export type RedisKeyspace = (typeof REDIS_KEYSPACES)[number];
export type CacheKeyClass = (typeof CACHE_KEY_CLASSES)[number];

export type AppConfig = StackConfig["app"];
export type Images = StackConfig["images"];
export type KubernetesConfig = StackConfig["kubernetes"];
export type DockerConfig = StackConfig["docker"];
export type AlertsConfig = StackConfig["alerts"];
export type AlertMetrics = AlertsConfig["metrics"];
export type AlertReceivers = AlertsConfig["receivers"];
export type DbPoolConfig = StackConfig["dbPool"];
export type RedisConfig = StackConfig["redis"];
export type PostgresConfig = StackConfig["postgres"];
export type CacheWarmingConfig = StackConfig["cacheWarming"];
export type RolloutConfig = StackConfig["rollout"];

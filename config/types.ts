/** The validated, typed stack configuration. Durations are milliseconds, sizes bytes. */

export const PLATFORMS = ["docker", "kubernetes"] as const;
export type Platform = (typeof PLATFORMS)[number];

export const EVICTION_POLICIES = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/**
 * What the Redis instance holds. "cache-only": every key has a TTL and may be lost.
 * "shared": the app also keeps keys without a TTL (locks, sessions, settings).
 */
export const REDIS_KEYSPACES = ["cache-only", "shared"] as const;
export type RedisKeyspace = (typeof REDIS_KEYSPACES)[number];

export const CACHE_KEY_CLASSES = ["availability", "roomDetails", "guest", "reservations", "rates"] as const;
export type CacheKeyClass = (typeof CACHE_KEY_CLASSES)[number];

export const PG_STAT_TRACK = ["top", "all"] as const;

export interface AlertMetrics {
  requestDuration: string;
  requestsTotal: string;
  statusLabel: string;
  cacheHits: string;
  cacheMisses: string;
  appJob: string;
  redisJob: string;
}

/** Where Alertmanager sends each severity (webhook URLs). */
export interface AlertReceivers {
  critical: string;
  warning: string;
}

export interface AlertsConfig {
  p95LatencyMs: number;
  errorRatio: number;
  cacheMissRatio: number;
  forMs: number;
  cacheMissForMs: number;
  baselineP95Ms: number;
  latencyBucketsMs: number[];
  runbookBaseUrl: string;
  receivers: AlertReceivers;
  metrics: AlertMetrics;
}

export interface DbPoolConfig {
  poolSize: number;
  maxOverflow: number;
  poolTimeoutMs: number;
  /** undefined: connections are never recycled (SQLAlchemy's -1). */
  poolRecycleMs?: number;
  poolPrePing: boolean;
  poolUseLifo: boolean;
}

export interface RedisConfig {
  maxmemoryBytes: number;
  /** The size as written in the stage file, kept for redis.conf. */
  maxmemory: string;
  maxmemoryPolicy: EvictionPolicy;
  keyspace: RedisKeyspace;
  lfuLogFactor: number;
  lfuDecayTimeMinutes: number;
  maxmemorySamples: number;
  ttlMs: Record<CacheKeyClass, number>;
}

export interface IndexSpec {
  name: string;
  table: string;
  columns: string[];
}

export interface PostgresConfig {
  database: string;
  user: string;
  pgStatStatements: boolean;
  pgStatStatementsMax: number;
  pgStatStatementsTrack: (typeof PG_STAT_TRACK)[number];
  /** undefined: slow-statement logging off (-1). */
  logMinDurationStatementMs?: number;
  maxConnections: number;
  superuserReservedConnections: number;
  indexes: IndexSpec[];
}

export interface CacheWarmingConfig {
  enabled: boolean;
  onStartup: boolean;
  /** Cron expression (UTC) of the scheduled refresh. */
  schedule: string;
  /** Off-peak window, whole UTC hours [start, end). */
  offPeakStartHour: number;
  offPeakEndHour: number;
  keyClasses: CacheKeyClass[];
  horizonDays: number;
  ttlJitter: number;
}

export interface AppConfig {
  image: string;
  replicas: number;
  workers: number;
  port: number;
}

export interface Images {
  redis: string;
  redisExporter: string;
  postgres: string;
  postgresExporter: string;
  prometheus: string;
  alertmanager: string;
}

export interface KubernetesConfig {
  namespace: string;
  renderYamlToDirectory?: string;
  storageClass?: string;
  redisStorage: string;
  postgresStorage: string;
  prometheusOperator: boolean;
  protectStateful: boolean;
}

export interface DockerConfig {
  /** Host port of PostgreSQL, where @pulumi/postgresql reaches the dev database. */
  postgresHostPort: number;
  appHostPort: number;
  prometheusHostPort: number;
}

export interface StackConfig {
  stage: string;
  platform: Platform;
  app: AppConfig;
  images: Images;
  kubernetes: KubernetesConfig;
  docker: DockerConfig;
  alerts: AlertsConfig;
  dbPool: DbPoolConfig;
  redis: RedisConfig;
  postgres: PostgresConfig;
  cacheWarming: CacheWarmingConfig;
}

/**
 * Quick wins 2, 3 (TTLs) and 5 (warming) as the app's environment: the contract with
 * the FastAPI app. Each variable is written once, with its unit, the quick win that sets
 * it, what the app must do with it, and how its value comes from the stage's config;
 * renderAppEnv and docs/APP_CONTRACT.md's table both come from this list.
 */
import { CACHE_KEY_CLASSES, CacheKeyClass, StackConfig } from "../config/types";
import { msToSeconds } from "../config/units";

export interface AppVariable {
  name: string;
  unit: string;
  /** The quick win (1-5) whose block sets it, or "-" for a setting of the stage. */
  quickWin: string;
  /** What a FastAPI + SQLAlchemy (async) app must do with it. */
  use: string;
  value: (c: StackConfig) => string;
}

const seconds = (ms: number) => String(msToSeconds(ms));

const TTL_ENV: Record<CacheKeyClass, string> = {
  availability: "CACHE_TTL_AVAILABILITY_SECONDS",
  roomDetails: "CACHE_TTL_ROOM_DETAILS_SECONDS",
  guest: "CACHE_TTL_GUEST_SECONDS",
  reservations: "CACHE_TTL_RESERVATIONS_SECONDS",
  rates: "CACHE_TTL_RATES_SECONDS",
};

const TTL_KEYS: Record<CacheKeyClass, string> = {
  availability: "availability of a room type for a date range",
  roomDetails: "room descriptions, photos, amenities",
  guest: "a guest's profile",
  reservations: "a reservation read back by id",
  rates: "nightly rates",
};

const ttlVariables: AppVariable[] = CACHE_KEY_CLASSES.map((k) => ({
  name: TTL_ENV[k],
  unit: "seconds",
  quickWin: "3",
  use: `\`SET key value EX <this>\` for every cached ${TTL_KEYS[k]} (with ± CACHE_TTL_JITTER); never a key without a TTL in a cache-only Redis`,
  value: (c) => String(Math.round(msToSeconds(c.redis.ttl[k]))),
}));

/** In the order the app's settings have always been rendered (their checksum rolls the pods). */
const APP_VARIABLES: AppVariable[] = [
  { name: "WEB_CONCURRENCY", unit: "processes", quickWin: "-", use: "worker processes per pod (uvicorn/gunicorn `--workers`); each opens its own pool", value: (c) => String(c.app.workers) },
  { name: "DB_POOL_SIZE", unit: "connections", quickWin: "2", use: "`create_async_engine(pool_size=...)`", value: (c) => String(c.dbPool.poolSize) },
  { name: "DB_MAX_OVERFLOW", unit: "connections", quickWin: "2", use: "`create_async_engine(max_overflow=...)`", value: (c) => String(c.dbPool.maxOverflow) },
  { name: "DB_POOL_TIMEOUT_SECONDS", unit: "seconds", quickWin: "2", use: "`create_async_engine(pool_timeout=...)`", value: (c) => seconds(c.dbPool.poolTimeout) },
  // SQLAlchemy's pool_recycle=-1 means "never".
  {
    name: "DB_POOL_RECYCLE_SECONDS",
    unit: "seconds, -1 = never",
    quickWin: "2",
    use: "`create_async_engine(pool_recycle=...)`",
    value: (c) => (c.dbPool.poolRecycle === undefined ? "-1" : seconds(c.dbPool.poolRecycle)),
  },
  { name: "DB_POOL_PRE_PING", unit: "true/false", quickWin: "2", use: "`create_async_engine(pool_pre_ping=...)`", value: (c) => String(c.dbPool.poolPrePing) },
  { name: "DB_POOL_USE_LIFO", unit: "true/false", quickWin: "2", use: "`create_async_engine(pool_use_lifo=...)`", value: (c) => String(c.dbPool.poolUseLifo) },
  {
    name: "REDIS_KEYSPACE",
    unit: "cache-only | shared",
    quickWin: "3",
    use: "`cache-only` is a promise: every key the app writes has a TTL and may be evicted at any time (locks and sessions live in PostgreSQL); `shared` means it also keeps keys without a TTL, and the policy pack then requires a volatile-* policy",
    value: (c) => c.redis.keyspace,
  },
  {
    name: "METRICS_LATENCY_BUCKETS",
    unit: "seconds, comma-separated",
    quickWin: "1",
    use: "the exact `buckets` of the request-duration histogram: the P95 alert's threshold is one of them",
    value: (c) => c.alerts.latencyBuckets.map(seconds).join(","),
  },
  {
    name: "CACHE_WARM_ON_STARTUP",
    unit: "true/false",
    quickWin: "5",
    use: "warm the key classes below in the lifespan start-up hook, before serving",
    value: (c) => String(c.cacheWarming.enabled && c.cacheWarming.onStartup),
  },
  { name: "CACHE_WARM_KEY_CLASSES", unit: "comma-separated", quickWin: "5", use: "which key classes the warmer loads", value: (c) => c.cacheWarming.keyClasses.join(",") },
  { name: "CACHE_WARM_HORIZON_DAYS", unit: "days", quickWin: "5", use: "how far ahead the warmer loads availability and rates", value: (c) => String(c.cacheWarming.horizonDays) },
  // Same TTL on every warmed key would expire them together: spread by +-jitter.
  {
    name: "CACHE_TTL_JITTER",
    unit: "fraction",
    quickWin: "5",
    use: "multiply each TTL by a random factor in [1 - j, 1 + j]",
    value: (c) => String(c.cacheWarming.enabled ? c.cacheWarming.ttlJitter : 0),
  },
  ...ttlVariables,
];

export function renderAppEnv(c: StackConfig): Record<string, string> {
  return Object.fromEntries(APP_VARIABLES.map((v) => [v.name, v.value(c)]));
}

/** The contract's table (docs/APP_CONTRACT.md), with the values of one stage for illustration. */
export function appContractTable(example: StackConfig): string {
  const rows = APP_VARIABLES.map((v) => `| \`${v.name}\` | ${v.unit} | ${v.quickWin} | \`${v.value(example)}\` | ${v.use} |`);
  return ["| variable | unit | quick win | dev's value | what the app does with it |", "|---|---|---|---|---|", ...rows].join("\n");
}

/**
 * Quick wins 2, 3 (TTLs) and 5 (warming) as the app's environment. The names are
 * the contract with the FastAPI app: app/core/database.py passes the DB_POOL_* values
 * to create_async_engine, the cache layer reads CACHE_TTL_*, the lifespan hook and
 * the warmer read CACHE_WARM_*.
 */
import { CacheKeyClass, StackConfig } from "../config/types";
import { msToSeconds } from "../config/units";

const TTL_ENV: Record<CacheKeyClass, string> = {
  availability: "CACHE_TTL_AVAILABILITY_SECONDS",
  roomDetails: "CACHE_TTL_ROOM_DETAILS_SECONDS",
  guest: "CACHE_TTL_GUEST_SECONDS",
  reservations: "CACHE_TTL_RESERVATIONS_SECONDS",
  rates: "CACHE_TTL_RATES_SECONDS",
};

export function ttlEnvName(k: CacheKeyClass): string {
  return TTL_ENV[k];
}

export function renderAppEnv(c: StackConfig): Record<string, string> {
  const pool = c.dbPool;
  const warm = c.cacheWarming;
  const env: Record<string, string> = {
    WEB_CONCURRENCY: String(c.app.workers),
    DB_POOL_SIZE: String(pool.poolSize),
    DB_MAX_OVERFLOW: String(pool.maxOverflow),
    DB_POOL_TIMEOUT_SECONDS: String(msToSeconds(pool.poolTimeout)),
    // SQLAlchemy's pool_recycle=-1 means "never".
    DB_POOL_RECYCLE_SECONDS: pool.poolRecycle === undefined ? "-1" : String(msToSeconds(pool.poolRecycle)),
    DB_POOL_PRE_PING: String(pool.poolPrePing),
    DB_POOL_USE_LIFO: String(pool.poolUseLifo),
    // "shared": the app may keep locks and sessions in Redis, without a TTL.
    REDIS_KEYSPACE: c.redis.keyspace,
    METRICS_LATENCY_BUCKETS: c.alerts.latencyBuckets.map((ms) => String(msToSeconds(ms))).join(","),
    CACHE_WARM_ON_STARTUP: String(warm.enabled && warm.onStartup),
    CACHE_WARM_KEY_CLASSES: warm.keyClasses.join(","),
    CACHE_WARM_HORIZON_DAYS: String(warm.horizonDays),
    // Same TTL on every warmed key would expire them together: spread by +-jitter.
    CACHE_TTL_JITTER: String(warm.enabled ? warm.ttlJitter : 0),
  };
  for (const k of Object.keys(TTL_ENV) as CacheKeyClass[]) {
    env[TTL_ENV[k]] = String(Math.round(msToSeconds(c.redis.ttl[k])));
  }
  return env;
}

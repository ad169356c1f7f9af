/**
 * Every config value a stage file does not set. The five quick-win blocks hold the
 * roadmap's *before* values (seed/OPTIMIZATION_ROADMAP.md), so that a stage turns a
 * quick win on by overriding a few keys, and rolls it back by deleting them.
 * Values are in the stage files' own notation and go through the same validation.
 */

/** Quick win 1: alert thresholds (before: 100 ms / 1 % / 30 %). */
export const ALERTS_BEFORE = {
  p95Latency: "100ms",
  errorRatio: 0.01,
  cacheMissRatio: 0.3,
  for: "5m",
  cacheMissFor: "15m",
  // Measured P95 of the 25 h baseline; the policy pack keeps thresholds well above it.
  baselineP95: "4.85ms",
  // The threshold must sit on a bucket boundary, else histogram_quantile interpolates
  // inside a wide bucket. Fine buckets below 50 ms resolve the 4.85 ms baseline.
  latencyBuckets: ["1ms", "2.5ms", "5ms", "10ms", "25ms", "50ms", "75ms", "100ms", "250ms", "500ms", "1s", "2.5s", "5s"],
  runbookBaseUrl: "https://runbooks.hotel.internal/reservations",
  // Critical alerts page the on-call engineer; warnings open a ticket.
  receivers: {
    critical: "https://alerts.hotel.internal/hooks/pager",
    warning: "https://alerts.hotel.internal/hooks/tickets",
  },
  metrics: {
    requestDuration: "http_request_duration_seconds",
    requestsTotal: "http_requests_total",
    statusLabel: "status",
    cacheHits: "redis_keyspace_hits_total",
    cacheMisses: "redis_keyspace_misses_total",
    appJob: "hotel-api",
    redisJob: "redis",
  },
};

/** Quick win 2: SQLAlchemy pool (before: a fixed pool of 20, no pre-ping, no recycle). */
export const DB_POOL_BEFORE = {
  poolSize: 20,
  maxOverflow: 0,
  poolTimeout: "30s",
  poolRecycle: "off",
  poolPrePing: false,
  poolUseLifo: false,
};

/** Quick win 3: Redis eviction and TTLs (before: LRU, reservations cached 30 min). */
export const REDIS_BEFORE = {
  maxmemory: "1gb",
  maxmemoryPolicy: "allkeys-lru",
  // Sessions and locks live in PostgreSQL (the roadmap's sessions/locks tables) and the
  // alert thresholds in PrometheusRule, so the stack's Redis holds nothing but cache.
  keyspace: "cache-only",
  lfuLogFactor: 10,
  lfuDecayTime: 1,
  maxmemorySamples: 5,
  ttl: {
    availability: "5m",
    roomDetails: "60m",
    guest: "24h",
    reservations: "30m",
    rates: "5m",
  },
};

/** Quick win 4: PostgreSQL observability and indexes (before: none). */
export const POSTGRES_BEFORE = {
  database: "hotel",
  user: "hotel",
  pgStatStatements: false,
  pgStatStatementsMax: 5000,
  pgStatStatementsTrack: "top",
  logMinDurationStatement: "off",
  maxConnections: 100,
  superuserReservedConnections: 3,
  indexes: [] as unknown[],
};

/** Quick win 5: cache warming (before: off). */
export const CACHE_WARMING_BEFORE = {
  enabled: false,
  onStartup: true,
  schedule: "30 3 * * *",
  offPeakWindow: "02:00-05:00",
  keyClasses: ["availability", "roomDetails", "rates"],
  horizonDays: 14,
  ttlJitter: 0.1,
};

export const APP_DEFAULTS = {
  replicas: 2,
  workers: 1,
  port: 8000,
};

/** Pinned by tag; a stage may pin by digest instead. */
export const IMAGE_DEFAULTS = {
  redis: "redis:7.2.5-bookworm",
  redisExporter: "oliver006/redis_exporter:v1.62.0",
  postgres: "postgres:14.12-bookworm",
  postgresExporter: "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
  prometheus: "prom/prometheus:v2.53.1",
  alertmanager: "prom/alertmanager:v0.27.0",
};

export const KUBERNETES_DEFAULTS = {
  redisStorage: "2Gi",
  postgresStorage: "20Gi",
  prometheusOperator: true,
  protectStateful: true,
};

export const DOCKER_DEFAULTS = {
  postgresHostPort: 15432,
  appHostPort: 8000,
  prometheusHostPort: 9090,
};

/**
 * Indexes a stage may name without spelling them out: the four of the roadmap,
 * each for one of its slow queries.
 */
export const INDEX_CATALOGUE: Record<string, { table: string; columns: string[] }> = {
  idx_reservations_guest_id: { table: "reservations", columns: ["guest_id"] },
  idx_sessions_created_at: { table: "sessions", columns: ["created_at"] },
  idx_sessions_guest_id: { table: "sessions", columns: ["guest_id"] },
  idx_locks_room_id: { table: "locks", columns: ["room_id"] },
};

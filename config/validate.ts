/**
 * Turns the raw values of a stage's `hotel:*` config into a typed StackConfig, or
 * throws one ConfigError that lists every problem. Only well-formedness is decided
 * here (types, units, ranges, known names); whether a well-formed value is *safe*
 * for a stage (connection budget, allkeys-* on a shared keyspace, thresholds against
 * the baseline) is the policy pack's call, so that both the engine and CI report it.
 */
import {
  ALERTS_BEFORE,
  APP_DEFAULTS,
  CACHE_WARMING_BEFORE,
  DB_POOL_BEFORE,
  DOCKER_DEFAULTS,
  IMAGE_DEFAULTS,
  INDEX_CATALOGUE,
  KUBERNETES_DEFAULTS,
  POSTGRES_BEFORE,
  REDIS_BEFORE,
} from "./defaults";
import {
  Field,
  Problems,
  boolean,
  bytes,
  duration,
  durationOrOff,
  fraction,
  integer,
  list,
  object,
  oneOf,
  optional,
  ratio,
  text,
} from "./fields";
import {
  CACHE_KEY_CLASSES,
  CacheKeyClass,
  EVICTION_POLICIES,
  IndexSpec,
  PG_STAT_TRACK,
  PLATFORMS,
  REDIS_KEYSPACES,
  StackConfig,
} from "./types";

export const NAMESPACE = "hotel";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
        `no resource was registered:\n` +
        problems.map((x) => `  - ${x}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const identifier = text(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)");
const metricName = text(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a Prometheus metric or label name");
const nonEmpty = text(/^\S+$/, "a non-empty string without spaces");
const k8sName = text(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes name (lower-case letters, digits, '-')");
const quantity = text(/^\d+(Ki|Mi|Gi|Ti)$/, "a storage size such as \"20Gi\"");
const cron = text(/^(\S+\s+){4}\S+$/, "a cron expression with 5 fields, such as \"30 3 * * *\"");
const port = integer(1024, 65535);

const indexEntry: Field<IndexSpec> = (v, path, p) => {
  if (typeof v === "string") {
    const known = INDEX_CATALOGUE[v];
    if (!known) {
      p.add(path, v, `allowed values: ${Object.keys(INDEX_CATALOGUE).join(", ")}, or an object {name, table, columns}`);
      return { name: v, table: "", columns: [] };
    }
    return { name: v, ...known };
  }
  return object({ name: identifier, table: identifier, columns: list(identifier, 1) }, {})(v, path, p);
};

/** "02:00-05:00" -> [2, 5]: whole UTC hours. */
const offPeakWindow: Field<[number, number]> = (v, path, p) => {
  const m = typeof v === "string" ? /^(\d{2}):00-(\d{2}):00$/.exec(v) : null;
  const start = m ? Number(m[1]) : NaN;
  const end = m ? Number(m[2]) : NaN;
  if (!m || start > 23 || end > 24 || start === end) {
    p.add(path, v, 'expected a window of whole UTC hours "HH:00-HH:00", such as "02:00-05:00"');
    return [0, 0];
  }
  return [start, end];
};

export function validateStackConfig(stage: string, raw: Record<string, unknown>): StackConfig {
  const p = new Problems();
  const at = (key: string) => `${NAMESPACE}:${key}`;
  const known = ["platform", "app", "images", "kubernetes", "docker", "alerts", "dbPool", "redis", "postgres", "cacheWarming", "postgresPassword"];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) p.add(at(key), raw[key], `unknown key; known keys: ${known.join(", ")}`);
  }

  const platform = oneOf(PLATFORMS)(raw.platform, at("platform"), p);

  const app = object(
    { image: nonEmpty, replicas: integer(1, 50), workers: integer(1, 32), port },
    APP_DEFAULTS,
  )(raw.app, at("app"), p);

  const images = object(
    { redis: nonEmpty, redisExporter: nonEmpty, postgres: nonEmpty, postgresExporter: nonEmpty, prometheus: nonEmpty, alertmanager: nonEmpty },
    IMAGE_DEFAULTS,
  )(raw.images, at("images"), p);

  const kubernetes = object(
    {
      namespace: k8sName,
      renderYamlToDirectory: optional(nonEmpty),
      storageClass: optional(k8sName),
      redisStorage: quantity,
      postgresStorage: quantity,
      prometheusOperator: boolean,
      protectStateful: boolean,
    },
    { ...KUBERNETES_DEFAULTS, namespace: `hotel-${stage}` },
  )(raw.kubernetes, at("kubernetes"), p);

  const docker = object(
    { postgresHostPort: port, appHostPort: port, prometheusHostPort: port },
    DOCKER_DEFAULTS,
  )(raw.docker, at("docker"), p);

  const alertsRaw = object(
    {
      p95Latency: duration(1, 10_000),
      errorRatio: ratio(),
      cacheMissRatio: ratio(),
      for: duration(30_000, 3_600_000),
      cacheMissFor: duration(30_000, 3_600_000),
      baselineP95: duration(0.001, 10_000),
      latencyBuckets: list(duration(0.001, 60_000), 2),
      runbookBaseUrl: text(/^https?:\/\/\S+$/, "an http(s) URL"),
      receivers: object({ critical: text(/^https?:\/\/\S+$/, "an http(s) webhook URL"), warning: text(/^https?:\/\/\S+$/, "an http(s) webhook URL") }, ALERTS_BEFORE.receivers),
      metrics: object(
        {
          requestDuration: metricName,
          requestsTotal: metricName,
          statusLabel: metricName,
          cacheHits: metricName,
          cacheMisses: metricName,
          appJob: nonEmpty,
          redisJob: nonEmpty,
        },
        ALERTS_BEFORE.metrics,
      ),
    },
    ALERTS_BEFORE,
  )(raw.alerts, at("alerts"), p);
  const buckets = alertsRaw.latencyBuckets;
  if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) {
    p.add(at("alerts.latencyBuckets"), (raw.alerts as any)?.latencyBuckets, "expected strictly increasing bucket boundaries");
  }
  if (!buckets.includes(alertsRaw.p95Latency)) {
    p.add(
      at("alerts.p95Latency"),
      (raw.alerts as any)?.p95Latency ?? ALERTS_BEFORE.p95Latency,
      "expected one of alerts.latencyBuckets: the threshold must be a histogram bucket boundary, or histogram_quantile interpolates inside a wide bucket",
    );
  }

  const dbPool = object(
    {
      poolSize: integer(1, 500),
      maxOverflow: integer(0, 500),
      poolTimeout: duration(1_000, 300_000),
      poolRecycle: durationOrOff(60_000, 86_400_000),
      poolPrePing: boolean,
      poolUseLifo: boolean,
    },
    DB_POOL_BEFORE,
  )(raw.dbPool, at("dbPool"), p);

  const ttlShape = Object.fromEntries(CACHE_KEY_CLASSES.map((k) => [k, duration(1_000, 7 * 86_400_000)])) as Record<
    CacheKeyClass,
    Field<number>
  >;
  const redisRaw = object(
    {
      maxmemory: bytes(1024 * 1024),
      maxmemoryPolicy: oneOf(EVICTION_POLICIES),
      keyspace: oneOf(REDIS_KEYSPACES),
      lfuLogFactor: integer(0, 255),
      lfuDecayTime: integer(0, 1440),
      maxmemorySamples: integer(1, 64),
      ttl: object(ttlShape, REDIS_BEFORE.ttl),
    },
    REDIS_BEFORE,
  )(raw.redis, at("redis"), p);
  const maxmemoryText = String((raw.redis as any)?.maxmemory ?? REDIS_BEFORE.maxmemory).toLowerCase();

  const pgRaw = object(
    {
      database: identifier,
      user: identifier,
      pgStatStatements: boolean,
      pgStatStatementsMax: integer(100, 1_000_000),
      pgStatStatementsTrack: oneOf(PG_STAT_TRACK),
      logMinDurationStatement: durationOrOff(0, 3_600_000),
      maxConnections: integer(10, 10_000),
      superuserReservedConnections: integer(0, 100),
      indexes: list(indexEntry),
    },
    POSTGRES_BEFORE,
  )(raw.postgres, at("postgres"), p);
  const seen = new Set<string>();
  pgRaw.indexes.forEach((ix, i) => {
    if (seen.has(ix.name)) p.add(at(`postgres.indexes[${i}]`), ix.name, "expected each index name once");
    seen.add(ix.name);
  });
  if (pgRaw.superuserReservedConnections >= pgRaw.maxConnections) {
    p.add(at("postgres.superuserReservedConnections"), pgRaw.superuserReservedConnections, "expected fewer than postgres.maxConnections");
  }

  const warmRaw = object(
    {
      enabled: boolean,
      onStartup: boolean,
      schedule: cron,
      offPeakWindow,
      keyClasses: list(oneOf(CACHE_KEY_CLASSES), 1),
      horizonDays: integer(1, 365),
      ttlJitter: fraction(),
    },
    CACHE_WARMING_BEFORE,
  )(raw.cacheWarming, at("cacheWarming"), p);

  if (p.list.length > 0) throw new ConfigError(p.list);

  return {
    stage,
    platform,
    app,
    images,
    kubernetes,
    docker,
    alerts: {
      p95LatencyMs: alertsRaw.p95Latency,
      errorRatio: alertsRaw.errorRatio,
      cacheMissRatio: alertsRaw.cacheMissRatio,
      forMs: alertsRaw.for,
      cacheMissForMs: alertsRaw.cacheMissFor,
      baselineP95Ms: alertsRaw.baselineP95,
      latencyBucketsMs: buckets,
      runbookBaseUrl: alertsRaw.runbookBaseUrl,
      receivers: alertsRaw.receivers,
      metrics: alertsRaw.metrics,
    },
    dbPool: {
      poolSize: dbPool.poolSize,
      maxOverflow: dbPool.maxOverflow,
      poolTimeoutMs: dbPool.poolTimeout,
      poolRecycleMs: dbPool.poolRecycle,
      poolPrePing: dbPool.poolPrePing,
      poolUseLifo: dbPool.poolUseLifo,
    },
    redis: {
      maxmemoryBytes: redisRaw.maxmemory,
      maxmemory: maxmemoryText,
      maxmemoryPolicy: redisRaw.maxmemoryPolicy,
      keyspace: redisRaw.keyspace,
      lfuLogFactor: redisRaw.lfuLogFactor,
      lfuDecayTimeMinutes: redisRaw.lfuDecayTime,
      maxmemorySamples: redisRaw.maxmemorySamples,
      ttlMs: redisRaw.ttl,
    },
    postgres: {
      database: pgRaw.database,
      user: pgRaw.user,
      pgStatStatements: pgRaw.pgStatStatements,
      pgStatStatementsMax: pgRaw.pgStatStatementsMax,
      pgStatStatementsTrack: pgRaw.pgStatStatementsTrack,
      logMinDurationStatementMs: pgRaw.logMinDurationStatement,
      maxConnections: pgRaw.maxConnections,
      superuserReservedConnections: pgRaw.superuserReservedConnections,
      indexes: pgRaw.indexes,
    },
    cacheWarming: {
      enabled: warmRaw.enabled,
      onStartup: warmRaw.onStartup,
      schedule: warmRaw.schedule,
      offPeakStartHour: warmRaw.offPeakWindow[0],
      offPeakEndHour: warmRaw.offPeakWindow[1],
      keyClasses: warmRaw.keyClasses,
      horizonDays: warmRaw.horizonDays,
      ttlJitter: warmRaw.ttlJitter,
    },
  };
}

/**
 * Every `hotel:*` key of a stage file, once: how it is read and validated, and its
 * default. The five quick-win sections default to the roadmap's *before* values
 * (seed/OPTIMIZATION_ROADMAP.md), so a stage turns a quick win on by overriding a few
 * keys and rolls it back by deleting them. Defaults are written in the stage files'
 * notation and go through the same readers. Read values: durations in milliseconds,
 * memory sizes as { text, bytes }.
 */
import { cronSchedule, labelMap, positive, boolean, bytes, duration, durationOrOff, fraction, integer, list, oneOf, optional, ratio, secretOr, storageSize, text } from "./fields";
import { indexEntry, identifier } from "./indexes";
import { block, knob, section } from "./knobs";
import { SERVICES } from "../contract/services";

export const PLATFORMS = ["docker", "kubernetes"] as const;
export const EVICTION_POLICIES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const;
/**
 * What the Redis instance holds. "cache-only": every key has a TTL and may be lost.
 * "shared": the app also keeps keys without a TTL (locks, sessions, settings).
 */
export const REDIS_KEYSPACES = ["cache-only", "shared"] as const;
export const CACHE_KEY_CLASSES = ["availability", "roomDetails", "guest", "reservations", "rates"] as const;
const PG_STAT_TRACK = ["top", "all"] as const;

/** A job name enters PromQL as a label value: no quotes, braces or spaces can break out of it. */
const jobName = text(/^[a-zA-Z0-9_.:-]{1,100}$/, "a Prometheus job name (letters, digits, '_', '.', ':', '-')");
const metricName = text(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "a Prometheus metric or label name");
const nonEmpty = text(/^\S+$/, "a non-empty string without spaces");
const httpUrl = text(/^https?:\/\/\S+$/, "an http(s) URL");
/** Alerts leave the cluster with their labels: https, or plain http to this machine only (tests). */
const webhookUrl = text(/^(https:\/\/\S+|http:\/\/(127(\.\d{1,3}){3}|localhost|\[::1\])(:\d+)?(\/\S*)?)$/, "an https webhook URL (plain http only to a loopback address: 127.0.0.1, localhost, [::1])");
const k8sName = text(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes name (lower-case letters, digits, '-')");
const port = integer(1024, 65535);

/** "02:00-05:00": whole UTC hours [start, end). */
const offPeakWindow = (v: unknown, path: string, p: import("./fields").Problems) => {
  const m = typeof v === "string" ? /^(\d{2}):00-(\d{2}):00$/.exec(v) : null;
  const startHour = m ? Number(m[1]) : NaN;
  const endHour = m ? Number(m[2]) : NaN;
  if (!m || startHour > 23 || endHour > 24 || startHour >= endHour) {
    p.add(path, v, 'expected a window of whole UTC hours "HH:00-HH:00" with start before end, such as "02:00-05:00"');
    return { startHour: 0, endHour: 0 };
  }
  return { startHour, endHour };
};

const ttls = block(
  Object.fromEntries(CACHE_KEY_CLASSES.map((k) => [k, knob(duration(1_000, 7 * 86_400_000), { availability: "5m", roomDetails: "60m", guest: "24h", reservations: "30m", rates: "5m" }[k])])) as Record<
    (typeof CACHE_KEY_CLASSES)[number],
    ReturnType<typeof knob<number>>
  >,
);

export const SCHEMA = {
  platform: section("Where the stage runs: docker (a laptop) or kubernetes.", knob(oneOf(PLATFORMS))),
  app: section(
    "The FastAPI app: image (pinned tag or digest), replicas, workers (processes per pod), port.",
    block({ image: knob(nonEmpty), replicas: knob(integer(1, 50), 2), workers: knob(integer(1, 32), 1), port: knob(port, 8000) }),
  ),
  images: section(
    "Pinned images of the servers (by tag; a stage may pin by digest instead).",
    block({
      redis: knob(nonEmpty, "redis:7.2.5-bookworm"),
      redisExporter: knob(nonEmpty, "oliver006/redis_exporter:v1.62.0"),
      postgres: knob(nonEmpty, "postgres:14.12-bookworm"),
      postgresExporter: knob(nonEmpty, "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"),
      prometheus: knob(nonEmpty, "prom/prometheus:v2.53.1"),
      alertmanager: knob(nonEmpty, "prom/alertmanager:v0.27.0"),
    }),
  ),
  kubernetes: section(
    "Kubernetes target (staging, prod).",
    block({
      namespace: knob(k8sName, (stage: string) => `hotel-${stage}`),
      storageClass: knob(optional(k8sName)),
      redisStorage: knob(storageSize(), "2Gi"),
      postgresStorage: knob(storageSize(), "20Gi"),
      prometheusOperator: knob(boolean, true),
      // The labels the cluster's Prometheus selects rules and monitors by (its ruleSelector
      // and serviceMonitorSelector); kube-prometheus-stack selects its Helm release's name.
      monitoringLabels: knob(labelMap, { release: "kube-prometheus-stack" }),
      // The labels Grafana's dashboard sidecar loads ConfigMaps by (kube-prometheus-stack:
      // grafana.sidecar.dashboards.label / labelValue; its searchNamespace must reach the stage's namespace).
      dashboardLabels: knob(labelMap, { grafana_dashboard: "1" }),
      // Who may scrape the exporters through the NetworkPolicies: these pods, in this namespace only.
      scraper: block({
        namespace: knob(k8sName, "monitoring"),
        podLabels: knob(labelMap, { "app.kubernetes.io/name": "prometheus" }),
      }),
      protectStateful: knob(boolean, true),
    }),
  ),
  docker: section("Docker target (dev): host ports on 127.0.0.1, each different.", block({ postgresHostPort: knob(port, 15432), appHostPort: knob(port, 8000), prometheusHostPort: knob(port, 9090) })),
  alerts: section(
    "Quick win 1, alert thresholds (before: 100 ms / 1 % / 30 %).",
    block({
      p95Latency: knob(duration(1, 10_000), "100ms"),
      errorRatio: knob(ratio(1, false), 0.01),
      cacheMissRatio: knob(ratio(1, false), 0.3),
      for: knob(duration(1_000, 3_600_000), "5m"),
      cacheMissFor: knob(duration(1_000, 3_600_000), "15m"),
      // The window of every rate() in the recorded series (and so in the alerts), and how
      // often Prometheus scrapes and evaluates. Short values are for tests (a rate needs
      // at least four samples: the validation holds rateWindow >= 4 x evaluationInterval).
      rateWindow: knob(duration(4_000, 3_600_000), "5m"),
      evaluationInterval: knob(duration(1_000, 300_000), "15s"),
      // Measured P95 of the 25 h baseline; the policy pack keeps thresholds well above it.
      baselineP95: knob(duration(0.001, 10_000), "4.85ms"),
      // The threshold must sit on a bucket boundary, else histogram_quantile interpolates
      // inside a wide bucket. Fine buckets below 50 ms resolve the 4.85 ms baseline.
      latencyBuckets: knob(list(duration(0.001, 60_000), 2), ["1ms", "2.5ms", "5ms", "10ms", "25ms", "50ms", "75ms", "100ms", "250ms", "500ms", "1s", "2.5s", "5s"]),
      // Below this request rate (per second, all instances) the error ratio does not page:
      // a handful of failed requests at night is not an outage of a 291 req/s service.
      minRequestRate: knob(positive(1_000_000, "requests per second"), 0.5),
      // A scrape target missing for this long fires its own alert (its alerts cannot fire).
      targetDownFor: knob(duration(1_000, 3_600_000), "5m"),
      runbookBaseUrl: knob(httpUrl, "https://runbooks.hotel.internal/reservations"),
      // Critical alerts page the on-call engineer; warnings open a ticket.
      // Alertmanager's grouping: how long it waits to batch a new group, how often it sends
      // a changed group, how often it repeats an unchanged one (critical: the pager route).
      routing: block({
        groupWait: knob(duration(0, 3_600_000), "30s"),
        criticalGroupWait: knob(duration(0, 3_600_000), "10s"),
        groupInterval: knob(duration(1_000, 86_400_000), "5m"),
        repeatInterval: knob(duration(60_000, 7 * 86_400_000), "4h"),
        criticalRepeatInterval: knob(duration(60_000, 7 * 86_400_000), "1h"),
      }),
      receivers: block({
        // Often with a token in them: a stage may keep them encrypted (`secure:`).
        critical: knob(secretOr(webhookUrl), "https://alerts.hotel.internal/hooks/pager"),
        warning: knob(secretOr(webhookUrl), "https://alerts.hotel.internal/hooks/tickets"),
      }),
      metrics: block({
        requestDuration: knob(metricName, "http_request_duration_seconds"),
        requestsTotal: knob(metricName, "http_requests_total"),
        statusLabel: knob(metricName, "status"),
        cacheHits: knob(metricName, "redis_keyspace_hits_total"),
        cacheMisses: knob(metricName, "redis_keyspace_misses_total"),
        // On Kubernetes the operator names a ServiceMonitor's job after the Service: these
        // defaults are the stack's Service names.
        appJob: knob(jobName, SERVICES.app.name),
        redisJob: knob(jobName, SERVICES.redis.name),
        postgresJob: knob(jobName, SERVICES.postgres.name),
      }),
    }),
  ),
  dbPool: section(
    "Quick win 2, SQLAlchemy pool (before: a fixed pool of 20, no pre-ping, no recycle).",
    block({
      poolSize: knob(integer(1, 500), 20),
      maxOverflow: knob(integer(0, 500), 0),
      poolTimeout: knob(duration(1_000, 300_000), "30s"),
      poolRecycle: knob(durationOrOff(60_000, 86_400_000), "off"),
      poolPrePing: knob(boolean, false),
      poolUseLifo: knob(boolean, false),
    }),
  ),
  redis: section(
    "Quick win 3, Redis eviction and TTLs (before: LRU, reservations cached 30 min).",
    block({
      maxmemory: knob(bytes(1024 * 1024), "1gb"),
      maxmemoryPolicy: knob(oneOf(EVICTION_POLICIES), "allkeys-lru"),
      // Sessions and locks live in PostgreSQL (the roadmap's sessions/locks tables) and the
      // alert thresholds in PrometheusRule, so the stack's Redis holds nothing but cache.
      keyspace: knob(oneOf(REDIS_KEYSPACES), "cache-only"),
      lfuLogFactor: knob(integer(0, 255), 10),
      /** Minutes. */
      lfuDecayTime: knob(integer(0, 1440), 1),
      maxmemorySamples: knob(integer(1, 64), 5),
      ttl: ttls,
    }),
  ),
  postgres: section(
    "Quick win 4, PostgreSQL observability and indexes (before: none).",
    block({
      database: knob(identifier, "hotel"),
      user: knob(identifier, "hotel"),
      pgStatStatements: knob(boolean, false),
      pgStatStatementsMax: knob(integer(100, 1_000_000), 5000),
      pgStatStatementsTrack: knob(oneOf(PG_STAT_TRACK), "top"),
      logMinDurationStatement: knob(durationOrOff(0, 3_600_000), "off"),
      maxConnections: knob(integer(10, 10_000), 100),
      superuserReservedConnections: knob(integer(0, 100), 3),
      indexes: knob(list(indexEntry), []),
      // How long one run of the reconcile script may take (the Job's activeDeadlineSeconds;
      // Pulumi waits a minute longer). It waits up to half of it for the app's tables.
      reconcileTimeout: knob(duration(10_000, 6 * 3_600_000), "30m"),
    }),
  ),
  cacheWarming: section(
    "Quick win 5, cache warming (before: off).",
    block({
      enabled: knob(boolean, false),
      onStartup: knob(boolean, true),
      /** Cron, UTC. */
      schedule: knob(cronSchedule, "30 3 * * *"),
      offPeakWindow: knob(offPeakWindow, "02:00-05:00"),
      keyClasses: knob(list(oneOf(CACHE_KEY_CLASSES), 1), ["availability", "roomDetails", "rates"]),
      horizonDays: knob(integer(1, 365), 14),
      ttlJitter: knob(fraction(), 0.1),
    }),
  ),
  rollout: section(
    "Promotion out of this stage (npm run promote): how long a quick win soaks here, and how much worse its metrics may get.",
    block({
      soakTime: knob(duration(60_000, 14 * 86_400_000), "4h"),
      tolerance: block({
        // Relative: P95 and P99 may rise by this share of their value before the change.
        latency: knob(fraction(), 0.1),
        // Absolute: the 5xx ratio may rise by this much (0.001 = 0.1 point).
        errorRatio: knob(fraction(), 0.001),
        // Absolute: the cache hit ratio may fall by this much (0.01 = 1 point).
        cacheHitRatio: knob(fraction(), 0.01),
      }),
    }),
  ),
};

import test from "ava";
import * as fs from "fs";
import * as path from "path";
import { checkStageFile } from "../../config/stages";
import { tempDir } from "../fixtures/files";
import { defaultsOf } from "../../config/knobs";
import { SCHEMA } from "../../config/schema";
import { ConfigError, validateStackConfig } from "../../config/validate";

const ALERTS_BEFORE = defaultsOf(SCHEMA.alerts) as Record<string, any>;
const DB_POOL_BEFORE = defaultsOf(SCHEMA.dbPool) as Record<string, any>;
const REDIS_BEFORE = defaultsOf(SCHEMA.redis) as Record<string, any>;

const minimal = () => ({ platform: "kubernetes", app: { image: "ghcr.io/hotel/api:1.0.0" } });

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateStackConfig("test", raw);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test("unset quick-win keys take the roadmap's before values", (t) => {
  const c = validateStackConfig("test", minimal());
  t.is(c.alerts.p95Latency, 100);
  t.is(c.alerts.errorRatio, ALERTS_BEFORE.errorRatio);
  t.is(c.alerts.cacheMissRatio, 0.3);
  t.is(c.dbPool.poolSize, DB_POOL_BEFORE.poolSize);
  t.is(c.dbPool.maxOverflow, 0);
  t.is(c.dbPool.poolRecycle, undefined);
  t.false(c.dbPool.poolPrePing);
  t.is(c.redis.maxmemoryPolicy as string, REDIS_BEFORE.maxmemoryPolicy);
  t.deepEqual(c.redis.maxmemory, { text: "1gb", bytes: 1024 ** 3 });
  t.is(c.redis.ttl.reservations, 30 * 60_000);
  t.false(c.postgres.pgStatStatements);
  t.is(c.postgres.logMinDurationStatement, undefined);
  t.deepEqual(c.postgres.indexes, []);
  t.false(c.cacheWarming.enabled);
  t.is(c.kubernetes.namespace, "hotel-test");
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ["unit-less latency", { alerts: { p95Latency: "50" } }, /hotel:alerts\.p95Latency: "50" is not allowed; expected a duration with a unit \(a number needs a unit\).*units: ms, s, m, h, d/],
  [
    "latency off the bucket boundaries",
    { alerts: { p95Latency: "60ms" } },
    /hotel:alerts\.p95Latency: "60ms" is not allowed; expected one of alerts\.latencyBuckets \(1ms, 2\.5ms, 5ms, 10ms, 25ms, 50ms, 75ms, 100ms, 250ms, 500ms, 1s, 2\.5s, 5s\)/,
  ],
  ["error ratio as a percentage", { alerts: { errorRatio: 5 } }, /hotel:alerts\.errorRatio: 5 is not allowed; expected a number greater than 0 and less than 1/],
  ["negative TTL", { redis: { ttl: { availability: "-5m" } } }, /hotel:redis\.ttl\.availability: "-5m" is not allowed; a duration cannot be negative/],
  ["TTL as bare seconds", { redis: { ttl: { guest: 86400 } } }, /hotel:redis\.ttl\.guest: 86400 is not allowed; expected a duration with a unit \(a number needs a unit\)/],
  [
    "unknown eviction policy",
    { redis: { maxmemoryPolicy: "lfu" } },
    /hotel:redis\.maxmemoryPolicy: "lfu" is not allowed; allowed values: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl/,
  ],
  ["decimal-suffix maxmemory", { redis: { maxmemory: "1g" } }, /hotel:redis\.maxmemory: "1g" is not allowed; .*units: b, kb, mb, gb/],
  ["negative max_overflow", { dbPool: { maxOverflow: -1 } }, /hotel:dbPool\.maxOverflow: -1 is not allowed; expected an integer from 0 to 500/],
  ["pool size as text", { dbPool: { poolSize: "25" } }, /hotel:dbPool\.poolSize: "25" is not allowed; expected an integer/],
  ["pool_pre_ping as text", { dbPool: { poolPrePing: "yes" } }, /hotel:dbPool\.poolPrePing: "yes" is not allowed; expected true or false/],
  ["SQLAlchemy has no min connections", { dbPool: { minConnections: 10 } }, /hotel:dbPool\.minConnections: 10 is not allowed; unknown key; known keys: poolSize, maxOverflow/],
  ["unknown top-level key", { alert: {} }, /hotel:alert: \{\} is not allowed; unknown key; known keys: platform, app/],
  [
    "unknown index",
    { postgres: { indexes: ["idx_guests_email"] } },
    /hotel:postgres\.indexes\[0\]: "idx_guests_email" is not allowed; allowed values: idx_reservations_guest_id, idx_sessions_created_at, idx_sessions_guest_id, idx_locks_room_id/,
  ],
  [
    "index with an unsafe identifier",
    { postgres: { indexes: [{ name: "ix; DROP TABLE x", table: "t", columns: ["c"] }] } },
    /hotel:postgres\.indexes\[0\]\.name: .* expected a lower-case SQL identifier/,
  ],
  ["duplicate index", { postgres: { indexes: ["idx_locks_room_id", "idx_locks_room_id"] } }, /hotel:postgres\.indexes\[1\]: "idx_locks_room_id" is not allowed; expected each index name once/],
  ["slow-query log without unit", { postgres: { logMinDurationStatement: 100 } }, /hotel:postgres\.logMinDurationStatement: 100 is not allowed; expected a duration with a unit/],
  ["unknown platform", { platform: "ecs" }, /hotel:platform: "ecs" is not allowed; allowed values: docker, kubernetes/],
  ["cron with 4 fields", { cacheWarming: { schedule: "3 * * *" } }, /hotel:cacheWarming\.schedule: "3 \* \* \*" is not allowed; expected a cron expression with 5 fields.*it has 4 field\(s\), not 5/],
  // Holes found trying the stages as a new user (issue 9): each of these passed before.
  ["a size Redis reads as 0 (no limit)", { redis: { maxmemory: "17179869184gb" } }, /hotel:redis\.maxmemory: "17179869184gb" is not allowed; expected a size from 1048576 bytes to 1024gb/],
  ["a volume over 1Ti", { kubernetes: { postgresStorage: "2048Ti" } }, /hotel:kubernetes\.postgresStorage: "2048Ti" is not allowed; expected a storage size from 1Ki to 1Ti/],
  ["cron fields out of range", { cacheWarming: { schedule: "99 99 * * *" } }, /hotel:cacheWarming\.schedule: "99 99 \* \* \*" is not allowed; .*its minute field "99" is outside 0-59/],
  ["an hour out of range", { cacheWarming: { schedule: "30 24 * * *" } }, /its hour field "24" is outside 0-23/],
  [
    "a cache-miss threshold that can never fire",
    { alerts: { cacheMissRatio: 1 } },
    /hotel:alerts\.cacheMissRatio: 1 is not allowed; expected a number greater than 0 and less than 1 \(a threshold of 1 can never be crossed\)/,
  ],
  [
    "a monitoring label Kubernetes refuses",
    { kubernetes: { monitoringLabels: { release: "kube prometheus" } } },
    /hotel:kubernetes\.monitoringLabels\.release: "kube prometheus" is not allowed; expected a Kubernetes label/,
  ],
  [
    "a job name that would break out of the PromQL label",
    { alerts: { metrics: { redisJob: 'redis"}[5m]))<0#' } } },
    /hotel:alerts\.metrics\.redisJob: "redis\\"}\[5m\]\)\)<0#" is not allowed; expected a Prometheus job name/,
  ],
  ["a minimum request rate of 0", { alerts: { minRequestRate: 0 } }, /hotel:alerts\.minRequestRate: 0 is not allowed; expected a number of requests per second greater than 0/],
  [
    "a plain-http webhook to another host",
    { alerts: { receivers: { critical: "http://pager.example.com/hook" } } },
    /hotel:alerts\.receivers\.critical: "http:\/\/pager\.example\.com\/hook" is not allowed; expected an https webhook URL \(plain http only to a loopback address/,
  ],
  [
    "an encrypted webhook that is not Pulumi's shape",
    { alerts: { receivers: { critical: { secure: 5 } } } },
    /hotel:alerts\.receivers\.critical: \{"secure":5\} is not allowed; expected a value, or an encrypted one written by `pulumi config set --secret --path`/,
  ],
  [
    "an encrypted webhook with another key beside it",
    { alerts: { receivers: { warning: { secure: "v1:abc", url: "x" } } } },
    /hotel:alerts\.receivers\.warning: .* expected a value, or an encrypted one/,
  ],
  [
    "two scrape jobs of one name (found by the property test)",
    { alerts: { metrics: { redisJob: "hotel-api" } } },
    /hotel:alerts\.metrics\.redisJob: "hotel-api" is not allowed; expected a job name different from alerts\.metrics\.appJob \("hotel-api"\)/,
  ],
  // A namespace the stage must never take (issue 21): the cluster's own, or the monitoring stack's.
  [
    "the cluster's kube-system namespace",
    { kubernetes: { namespace: "kube-system" } },
    /hotel:kubernetes\.namespace: "kube-system" is not allowed; expected a namespace of the stage's own, not one of the cluster's \(default, kube-system/,
  ],
  ["the default namespace", { kubernetes: { namespace: "default" } }, /hotel:kubernetes\.namespace: "default" is not allowed; expected a namespace of the stage's own/],
  [
    "the scraper's namespace",
    { kubernetes: { namespace: "monitoring" } },
    /hotel:kubernetes\.namespace: "monitoring" is not allowed; expected a namespace of the stage's own, not kubernetes\.scraper\.namespace/,
  ],
  [
    "a rate window with fewer than four evaluations in it",
    { alerts: { rateWindow: "30s", evaluationInterval: "10s" } },
    /hotel:alerts\.rateWindow: "30s" is not allowed; expected at least 4 x alerts\.evaluationInterval \(40s\): rate\(\) needs four samples/,
  ],
  ["two equal host ports on dev", { docker: { appHostPort: 9090 } }, /hotel:docker\.prometheusHostPort: 9090 is not allowed; expected a host port different from docker\.appHostPort/],
  [
    "an off-peak window that ends before it starts",
    { cacheWarming: { offPeakWindow: "05:00-02:00" } },
    /hotel:cacheWarming\.offPeakWindow: "05:00-02:00" is not allowed; expected a window of whole UTC hours "HH:00-HH:00" with start before end/,
  ],
  [
    "a bad slow-query threshold says off is allowed",
    { postgres: { logMinDurationStatement: "slow" } },
    /hotel:postgres\.logMinDurationStatement: "slow" is not allowed; expected a duration with a unit, or "off"/,
  ],
  [
    "a negative pool recycle says negative",
    { dbPool: { poolRecycle: "-1h" } },
    /hotel:dbPool\.poolRecycle: "-1h" is not allowed; a duration cannot be negative; expected one from 60000 ms to 86400000 ms, or "off"/,
  ],
  [
    "unknown warm key class",
    { cacheWarming: { keyClasses: ["locks"] } },
    /hotel:cacheWarming\.keyClasses\[0\]: "locks" is not allowed; allowed values: availability, roomDetails, guest, reservations, rates/,
  ],
  ["block given as a scalar", { redis: "allkeys-lfu" }, /hotel:redis: "allkeys-lfu" is not allowed; expected an object with keys: maxmemory/],
];

for (const [title, patch, expected] of bad) {
  test(`rejects ${title}, naming key, value and what is allowed`, (t) => {
    const problems = problemsOf({ ...minimal(), ...patch });
    t.is(problems.length, 1, problems.join("\n"));
    t.regex(problems[0], expected);
  });
}

test("all problems are reported at once, in one error", (t) => {
  const err = t.throws(() => validateStackConfig("test", { ...minimal(), dbPool: { maxOverflow: -5, poolSize: 0 }, redis: { maxmemoryPolicy: "x" } }), {
    instanceOf: ConfigError,
  });
  t.is(err!.problems.length, 3);
  t.regex(err!.message, /^Invalid stack configuration \(3 problems\); no resource was registered:/);
});

test("a missing platform is an error, not a default", (t) => {
  t.regex(problemsOf({ app: { image: "x:1" } })[0], /hotel:platform: \(missing\) is not allowed; allowed values: docker, kubernetes/);
});

test("custom indexes are accepted as {name, table, columns}", (t) => {
  const c = validateStackConfig("test", { ...minimal(), postgres: { indexes: [{ name: "idx_rates_room_day", table: "rates", columns: ["room_id", "day"] }] } });
  t.deepEqual(c.postgres.indexes, [{ name: "idx_rates_room_day", table: "rates", columns: ["room_id", "day"] }]);
});

test("a maxmemory written with spaces or capitals is rendered as validated (one line)", (t) => {
  const c = validateStackConfig("test", { ...minimal(), redis: { maxmemory: " 512MB\n" } });
  t.deepEqual(c.redis.maxmemory, { text: "512mb", bytes: 512 * 1024 ** 2 });
});

test("cron: steps, ranges and lists within range are accepted", (t) => {
  for (const schedule of ["*/15 2-4 * * 1-5", "0,30 3 1 1,6 0", "30 3 * * 7"]) {
    t.is(validateStackConfig("test", { ...minimal(), cacheWarming: { schedule } }).cacheWarming.schedule, schedule);
  }
});

test("webhooks: https anywhere, plain http only to this machine (as tests use)", (t) => {
  for (const url of ["https://alerts.example.com/hook", "http://127.0.0.1:9095/hook", "http://localhost:8080", "http://[::1]:9/x"]) {
    t.is(validateStackConfig("test", { ...minimal(), alerts: { receivers: { warning: url } } }).alerts.receivers.warning, url);
  }
});

test("a stage file's top-level key Pulumi would ignore is refused, naming it and what is allowed", (t) => {
  const file = path.join(tempDir("stagefile"), "Pulumi.staging.yaml");
  fs.writeFileSync(file, "config:\n  hotel:platform: kubernetes\nhotel:redis:\n  maxmemoryPolicy: allkeys-lfu\n");
  const err = t.throws(() => checkStageFile("staging", file), { instanceOf: ConfigError });
  t.is(
    err!.message.trim(),
    `Invalid stack configuration (1 problem); no resource was registered:\n  - ${file}: top-level key "hotel:redis" is not allowed: Pulumi would ignore it (a quick win under it would silently not apply); allowed: config, encryptionsalt, secretsprovider, encryptedkey, environment`,
  );
});

test("a webhook kept encrypted in the stage file (secure:) is accepted where it cannot be read, and shown as [secret]", (t) => {
  const c = validateStackConfig("test", { ...minimal(), alerts: { receivers: { critical: { secure: "v1:Zm9vYmFy" } } } });
  t.is(c.alerts.receivers.critical, "[secret]");
  t.is(c.alerts.receivers.warning, "https://alerts.hotel.internal/hooks/tickets");
});

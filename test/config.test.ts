import test from "ava";
import { ALERTS_BEFORE, DB_POOL_BEFORE, REDIS_BEFORE } from "../config/defaults";
import { ConfigError, validateStackConfig } from "../config/validate";

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
  t.is(c.alerts.p95LatencyMs, 100);
  t.is(c.alerts.errorRatio, ALERTS_BEFORE.errorRatio);
  t.is(c.alerts.cacheMissRatio, 0.3);
  t.is(c.dbPool.poolSize, DB_POOL_BEFORE.poolSize);
  t.is(c.dbPool.maxOverflow, 0);
  t.is(c.dbPool.poolRecycleMs, undefined);
  t.false(c.dbPool.poolPrePing);
  t.is(c.redis.maxmemoryPolicy as string, REDIS_BEFORE.maxmemoryPolicy);
  t.is(c.redis.maxmemory, "1gb");
  t.is(c.redis.ttlMs.reservations, 30 * 60_000);
  t.false(c.postgres.pgStatStatements);
  t.is(c.postgres.logMinDurationStatementMs, undefined);
  t.deepEqual(c.postgres.indexes, []);
  t.false(c.cacheWarming.enabled);
  t.is(c.kubernetes.namespace, "hotel-test");
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ["unit-less latency", { alerts: { p95Latency: "50" } }, /hotel:alerts\.p95Latency: "50" is not allowed; expected a duration with a unit \(a number needs a unit\).*units: ms, s, m, h, d/],
  ["latency off the bucket boundaries", { alerts: { p95Latency: "60ms" } }, /hotel:alerts\.p95Latency: "60ms" is not allowed; expected one of alerts\.latencyBuckets/],
  ["error ratio as a percentage", { alerts: { errorRatio: 5 } }, /hotel:alerts\.errorRatio: 5 is not allowed; expected a number greater than 0 and at most 1/],
  ["negative TTL", { redis: { ttl: { availability: "-5m" } } }, /hotel:redis\.ttl\.availability: "-5m" is not allowed; expected a duration/],
  ["TTL as bare seconds", { redis: { ttl: { guest: 86400 } } }, /hotel:redis\.ttl\.guest: 86400 is not allowed; expected a duration with a unit \(a number needs a unit\)/],
  ["unknown eviction policy", { redis: { maxmemoryPolicy: "lfu" } }, /hotel:redis\.maxmemoryPolicy: "lfu" is not allowed; allowed values: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl/],
  ["decimal-suffix maxmemory", { redis: { maxmemory: "1g" } }, /hotel:redis\.maxmemory: "1g" is not allowed; .*units: b, kb, mb, gb/],
  ["negative max_overflow", { dbPool: { maxOverflow: -1 } }, /hotel:dbPool\.maxOverflow: -1 is not allowed; expected an integer from 0 to 500/],
  ["pool size as text", { dbPool: { poolSize: "25" } }, /hotel:dbPool\.poolSize: "25" is not allowed; expected an integer/],
  ["pool_pre_ping as text", { dbPool: { poolPrePing: "yes" } }, /hotel:dbPool\.poolPrePing: "yes" is not allowed; expected true or false/],
  ["SQLAlchemy has no min connections", { dbPool: { minConnections: 10 } }, /hotel:dbPool\.minConnections: 10 is not allowed; unknown key; known keys: poolSize, maxOverflow/],
  ["unknown top-level key", { alert: {} }, /hotel:alert: \{\} is not allowed; unknown key; known keys: platform, app/],
  ["unknown index", { postgres: { indexes: ["idx_guests_email"] } }, /hotel:postgres\.indexes\[0\]: "idx_guests_email" is not allowed; allowed values: idx_reservations_guest_id, idx_sessions_created_at, idx_sessions_guest_id, idx_locks_room_id/],
  ["index with an unsafe identifier", { postgres: { indexes: [{ name: "ix; DROP TABLE x", table: "t", columns: ["c"] }] } }, /hotel:postgres\.indexes\[0\]\.name: .* expected a lower-case SQL identifier/],
  ["duplicate index", { postgres: { indexes: ["idx_locks_room_id", "idx_locks_room_id"] } }, /hotel:postgres\.indexes\[1\]: "idx_locks_room_id" is not allowed; expected each index name once/],
  ["slow-query log without unit", { postgres: { logMinDurationStatement: 100 } }, /hotel:postgres\.logMinDurationStatement: 100 is not allowed; expected a duration with a unit/],
  ["unknown platform", { platform: "ecs" }, /hotel:platform: "ecs" is not allowed; allowed values: docker, kubernetes/],
  ["cron with 4 fields", { cacheWarming: { schedule: "3 * * *" } }, /hotel:cacheWarming\.schedule: "3 \* \* \*" is not allowed; expected a cron expression with 5 fields/],
  ["unknown warm key class", { cacheWarming: { keyClasses: ["locks"] } }, /hotel:cacheWarming\.keyClasses\[0\]: "locks" is not allowed; allowed values: availability, roomDetails, guest, reservations, rates/],
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

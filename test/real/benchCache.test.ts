/** The cache benchmark's replay on real Redis: every request classified, OPT an upper bound (no timing asserted). */
import test from "ava";
import { replay } from "../../bench/cache";
import { belady } from "../../bench/opt";
import { makeTrace } from "../../lab/trace";
import { byteSize } from "../../config/units";
import { stageConfig } from "../helpers";

const dev = stageConfig("dev");

test.serial("on real Redis, every request is a hit or a classified miss; OPT bounds every policy", async (t) => {
  const trace = makeTrace(30_000, 1.0, 3);
  const cost = { availability: 2800, roomDetails: 5300, guest: 1400, reservations: 1950, rates: 780 };
  const capacity = 6 * 1024 * 1024;
  const maxmemory = byteSize(`${Math.round((1024 * 1024 + capacity) / 1024)}kb`);
  const distinct = new Set(trace.requests).size;
  const opt = belady(trace, dev.redis.ttl, capacity, cost);
  for (const policy of ["allkeys-lru", "allkeys-lfu"] as const) {
    const r = await replay(trace, { ...dev.redis, maxmemory, maxmemoryPolicy: policy }, dev.redis.ttl);
    t.is(r.hits + r.compulsory + r.expiry + r.eviction, r.requests, policy);
    t.is(r.compulsory, distinct, policy);
    t.true(r.evictedKeys > 0, `${policy} evicted nothing: the memory is not under pressure`);
    t.true(opt.hits >= r.hits, `${policy} ${r.hits} > OPT ${opt.hits}`);
  }
  t.is(opt.compulsory, distinct);
  // With room for everything, only compulsory and expiry misses remain.
  const roomy = await replay(trace, dev.redis, dev.redis.ttl);
  t.is(roomy.eviction, 0);
  t.is(roomy.evictedKeys, 0);
});

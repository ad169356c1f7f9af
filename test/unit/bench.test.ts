/** The benchmark's machinery is correct (no timing is asserted here). */
import test from "ava";
import { belady, classifyMiss } from "../../bench/opt";
import { Trace, makeTrace, prng, zipf } from "../../lab/trace";
import { stageConfig } from "../helpers";

const dev = stageConfig("dev");

test("traces are reproducible from their seed, and Zipf ranks follow 1/r^s", (t) => {
  const a = makeTrace(5000, 1.0, 7);
  const b = makeTrace(5000, 1.0, 7);
  t.deepEqual(a.requests, b.requests);
  t.notDeepEqual(makeTrace(5000, 1.0, 8).requests, a.requests);
  const sample = zipf(100, 1.0, prng(1));
  const counts = new Array(100).fill(0);
  for (let i = 0; i < 200_000; i++) counts[sample()]++;
  // P(rank 1) / P(rank 2) = 2 for s = 1.
  t.true(Math.abs(counts[0] / counts[1] - 2) < 0.1, `${counts[0]} / ${counts[1]}`);
});

test("miss classification: first read, expired anyway, or evicted while valid", (t) => {
  t.is(classifyMiss(undefined, 300_000, 0), "compulsory");
  t.is(classifyMiss(0, 300_000, 300_000), "expiry");
  t.is(classifyMiss(0, 300_000, 299_999), "eviction");
});

function tinyTrace(keys: number[], stepMs = 1000): Trace {
  return {
    requests: Int32Array.from(keys),
    timeMs: Float64Array.from(keys.map((_, i) => i * stepMs)),
    keys: ["a", "b", "c", "d"],
    keyClass: ["rates", "rates", "rates", "rates"],
    keyBytes: [10, 10, 10, 10],
    skew: 1,
    seed: 0,
  };
}

test("Belady on a hand-checked trace: two slots, a b c a b d a b", (t) => {
  // Optimal: keep a and b (next used soonest); c and d are never read again, so not admitted.
  const ttl = { ...dev.redis.ttl, rates: 3_600_000 };
  const cost = { availability: 1, roomDetails: 1, guest: 1, reservations: 1, rates: 1 };
  t.deepEqual(belady(tinyTrace([0, 1, 2, 0, 1, 3, 0, 1]), ttl, 2, cost), { hits: 4, compulsory: 4, expiry: 0, eviction: 0 });
  // A TTL shorter than the reuse distance turns hits into expiry misses, even for OPT.
  const short = { ...ttl, rates: 2500 };
  t.deepEqual(belady(tinyTrace([0, 1, 2, 0, 1, 3, 0, 1]), short, 2, cost), { hits: 0, compulsory: 4, expiry: 4, eviction: 0 });
});

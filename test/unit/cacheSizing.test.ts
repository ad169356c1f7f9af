/** The cache-sizing arithmetic on traces small enough to work out by hand. */
import test from "ava";
import { CacheKeyClass } from "../../config/types";
import { belady } from "../../bench/opt";
import { perfectLfu } from "../../bench/perfectLfu";
import { CurvePoint, SizingError, parseAccessLog, sizeFor } from "../../bench/sizing";

const DAY = 86_400_000;
const ttl = Object.fromEntries(["availability", "roomDetails", "guest", "reservations", "rates"].map((c) => [c, DAY])) as Record<CacheKeyClass, number>;
const unit = Object.fromEntries(Object.keys(ttl).map((c) => [c, 1])) as Record<CacheKeyClass, number>;

test("by hand: a b a c a b with room for two values", (t) => {
  const trace = parseAccessLog("a\nb\na\nc\na\nb\n");
  // OPT keeps a and b and never admits c (read once): hits at a, a, b.
  t.deepEqual(belady(trace, ttl, 2, unit), { hits: 3, compulsory: 3, expiry: 0, eviction: 0 });
  // Perfect LFU admits c, evicting b (1 read, against a's 2); b then misses again.
  t.deepEqual(perfectLfu(trace, ttl, 2, unit), { hits: 2, compulsory: 3, expiry: 0, eviction: 1 });
  // With room for all three, both miss only the first reads.
  t.is(perfectLfu(trace, ttl, 3, unit).hits, 3);
});

test("by hand: a value read after its TTL misses as an expiry, in both simulations", (t) => {
  const trace = parseAccessLog("0 reservations:1\n10 reservations:1\n2000 reservations:1\n");
  const shortTtl = { ...ttl, reservations: 900_000 }; // 15 min
  t.deepEqual(belady(trace, shortTtl, 10, unit), { hits: 1, compulsory: 1, expiry: 1, eviction: 0 });
  t.deepEqual(perfectLfu(trace, shortTtl, 10, unit), { hits: 1, compulsory: 1, expiry: 1, eviction: 0 });
});

const curve: CurvePoint[] = [
  { fraction: 0.1, maxmemoryBytes: 10_000_000, hitRatio: 0.6 },
  { fraction: 0.5, maxmemoryBytes: 50_000_000, hitRatio: 0.8 },
  { fraction: 1, maxmemoryBytes: 100_000_000, hitRatio: 0.9 },
];

test("sizing: linear between measured sizes; the smallest size when it already suffices; unreachable above the ceiling", (t) => {
  // 0.7 is half-way from 0.6 to 0.8: half-way from 10 MB to 50 MB.
  const half = sizeFor(curve, 0.7);
  t.is(half.maxmemoryBytes, 30_000_000);
  t.is(half.fraction!.toFixed(3), "0.300");
  t.is(half.ceiling, 0.9);
  t.is(sizeFor(curve, 0.5).maxmemoryBytes, 10_000_000);
  t.deepEqual(sizeFor(curve, 0.935), { ceiling: 0.9 });
});

test("bad input is a clear error: a target outside (0, 1), an empty or malformed trace, a negative size", (t) => {
  t.throws(() => sizeFor(curve, 1.2), { instanceOf: SizingError, message: /--target must be a hit ratio between 0 and 1/ });
  t.throws(() => sizeFor([{ fraction: -0.1, maxmemoryBytes: -5, hitRatio: 0.5 }], 0.4), { message: /negative size/ });
  t.throws(() => parseAccessLog("\n# only a comment\n"), { instanceOf: SizingError, message: /the trace is empty/ });
  t.throws(() => parseAccessLog("a b c\n"), { message: /line 1 \("a b c"\): expected "<key>" or "<timestamp> <key>"/ });
  t.throws(() => parseAccessLog("10 a\n5 b\n"), { message: /line 2 .*timestamps go backwards/ });
  t.throws(() => parseAccessLog("10 a\nb\n"), { message: /line 2 .*every line needs a timestamp, or none does/ });
  t.throws(() => parseAccessLog("soon a\n"), { message: /line 1 .*not a number of seconds/ });
});

test("an access log's keys take their class from their prefix (else reservations), with its value size", (t) => {
  const trace = parseAccessLog("availability:7\nsomething-else\n");
  t.deepEqual(trace.keyClass, ["availability", "reservations"]);
  t.deepEqual(trace.keyBytes, [2048, 1536]);
  t.deepEqual([...trace.timeMs].map(Math.round), [0, 3]);
});

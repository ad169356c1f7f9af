/**
 * A replayable key trace shaped like the hotel API: five key classes with their own
 * key universes, value sizes and share of requests, Zipf-like popularity inside each
 * class, a seeded PRNG, and a virtual clock at the roadmap's 291 req/s.
 */
import { CacheKeyClass } from "../config/types";

export interface KeyClassSpec {
  share: number;
  keys: number;
  valueBytes: number;
}

/** Shares follow the roadmap's 25 h endpoint counts (availability 2000 : room details 1500 : guest 1200 : rates 900). */
export const CLASSES: Record<CacheKeyClass, KeyClassSpec> = {
  availability: { share: 0.3, keys: 3000, valueBytes: 2048 },
  roomDetails: { share: 0.22, keys: 600, valueBytes: 4096 },
  guest: { share: 0.18, keys: 20000, valueBytes: 1024 },
  rates: { share: 0.14, keys: 2000, valueBytes: 512 },
  reservations: { share: 0.16, keys: 12000, valueBytes: 1536 },
};
export const REQUESTS_PER_SECOND = 291;
const CATALOGUE_SEED = 0x5eed;

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inverse-CDF sampler over ranks 1..n with P(rank) ~ 1 / rank^s. */
export function zipf(n: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface Trace {
  /** Key id per request (index into keys). */
  requests: Int32Array;
  /** Virtual time of each request, ms. */
  timeMs: Float64Array;
  keys: string[];
  keyClass: CacheKeyClass[];
  keyBytes: number[];
  skew: number;
  seed: number;
}

export function makeTrace(count: number, skew: number, seed: number): Trace {
  const rand = prng(seed);
  const classes = Object.keys(CLASSES) as CacheKeyClass[];
  const keys: string[] = [];
  const keyClass: CacheKeyClass[] = [];
  const keyBytes: number[] = [];
  const offset: Record<string, number> = {};
  const samplers: Record<string, () => number> = {};
  // Rank r of a class is a fixed, shuffled key id: popularity is not alphabetical.
  const permutation: Record<string, Int32Array> = {};
  for (const c of classes) {
    offset[c] = keys.length;
    const spec = CLASSES[c];
    for (let i = 0; i < spec.keys; i++) {
      keys.push(`${c}:${i}`);
      keyClass.push(c);
      keyBytes.push(spec.valueBytes);
    }
    samplers[c] = zipf(spec.keys, skew, rand);
    const perm = Int32Array.from({ length: spec.keys }, (_, i) => i);
    // Which key holds which rank is a property of the catalogue, not of the day's
    // trace: traces with other seeds (another day) share the same popular keys.
    const shuffle = prng(CATALOGUE_SEED ^ spec.keys);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    permutation[c] = perm;
  }
  const cumulative: [CacheKeyClass, number][] = [];
  let acc = 0;
  for (const c of classes) cumulative.push([c, (acc += CLASSES[c].share)]);

  const requests = new Int32Array(count);
  const timeMs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u = rand() * acc;
    const c = cumulative.find(([, edge]) => u < edge)![0];
    requests[i] = offset[c] + permutation[c][samplers[c]()];
    timeMs[i] = (i * 1000) / REQUESTS_PER_SECOND;
  }
  return { requests, timeMs, keys, keyClass, keyBytes, skew, seed };
}

/** Index of the next request for the same key, or Infinity. */
export function nextUse(trace: Trace): Float64Array {
  const next = new Float64Array(trace.requests.length).fill(Infinity);
  const seen = new Map<number, number>();
  for (let i = trace.requests.length - 1; i >= 0; i--) {
    const k = trace.requests[i];
    const j = seen.get(k);
    if (j !== undefined) next[i] = j;
    seen.set(k, i);
  }
  return next;
}

/**
 * LFU with perfect counts, simulated on the same trace, memory and TTLs as the Redis
 * replays: every read counts (no logarithmic counter, no decay), a miss always admits
 * the value, and when memory is short the cached value read least often goes first
 * (the least recently read among equals). Expired values leave at their expiry, as the
 * replay deletes them. Set beside Redis's allkeys-lfu, it separates the cost of Redis's
 * approximation (sampled eviction, 8-bit log counters, decay) from LFU's own gap to OPT.
 */
import { CacheKeyClass } from "../config/types";
import { Heap } from "./heap";
import { MissBreakdown, classifyMiss } from "./opt";
import { Trace } from "../lab/trace";

export function perfectLfu(trace: Trace, ttlMs: Record<CacheKeyClass, number>, capacity: number, cost: Record<CacheKeyClass, number>): MissBreakdown {
  const out: MissBreakdown = { hits: 0, compulsory: 0, expiry: 0, eviction: 0 };
  const count = new Map<number, number>();
  const expiresAt = new Map<number, number>();
  const lastFill = new Map<number, number>();
  const version = new Map<number, number>();
  // [reads, last read index, key, version]: the fewest reads on top, then the oldest read.
  const byUse = new Heap<[number, number, number, number]>((a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]));
  // [expiry time, key, version]: the soonest expiry on top.
  const byExpiry = new Heap<[number, number, number]>((a, b) => a[0] < b[0]);
  let used = 0;
  const size = (k: number) => cost[trace.keyClass[k]];
  const current = (k: number, ver: number) => expiresAt.has(k) && version.get(k) === ver;
  const drop = (k: number) => {
    expiresAt.delete(k);
    version.set(k, (version.get(k) ?? 0) + 1);
    used -= size(k);
  };
  for (let i = 0; i < trace.requests.length; i++) {
    const k = trace.requests[i];
    const t = trace.timeMs[i];
    for (let e = byExpiry.peek(); e && e[0] <= t; e = byExpiry.peek()) {
      byExpiry.pop();
      if (current(e[1], e[2])) drop(e[1]);
    }
    const reads = (count.get(k) ?? 0) + 1;
    count.set(k, reads);
    if (expiresAt.has(k)) {
      out.hits++;
      version.set(k, version.get(k)! + 1);
      byUse.push([reads, i, k, version.get(k)!]);
      byExpiry.push([expiresAt.get(k)!, k, version.get(k)!]);
      continue;
    }
    const ttl = ttlMs[trace.keyClass[k]];
    out[classifyMiss(lastFill.get(k), ttl, t)]++;
    lastFill.set(k, t);
    if (size(k) > capacity) continue;
    while (used + size(k) > capacity) {
      const [, , victim, ver] = byUse.pop()!;
      if (current(victim, ver)) drop(victim);
    }
    const ver = (version.get(k) ?? 0) + 1;
    version.set(k, ver);
    expiresAt.set(k, t + ttl);
    used += size(k);
    byUse.push([reads, i, k, ver]);
    byExpiry.push([t + ttl, k, ver]);
  }
  return out;
}

/**
 * Belady's offline policy on the same trace and memory: on a miss, the value is
 * cached only if it will be read again before its TTL ends; when memory is short, the
 * cached value whose next read is furthest away (or after its expiry) goes first.
 * TTL expiry still forces a miss, as it does for the app. The ceiling for any
 * online eviction policy (exact for equal sizes, the standard heuristic otherwise).
 */
import { CacheKeyClass } from "../config/types";
import { Heap } from "./heap";
import { Trace, nextUse } from "../lab/trace";

export interface MissBreakdown {
  hits: number;
  compulsory: number;
  expiry: number;
  eviction: number;
}

/**
 * Why a read missed: first read ever (compulsory); the value fetched at the last miss
 * would have expired by now anyway (expiry); or it was still valid but not in the
 * cache (eviction: the only misses an eviction policy can change).
 */
export function classifyMiss(lastFillMs: number | undefined, ttlMs: number, nowMs: number): "compulsory" | "expiry" | "eviction" {
  if (lastFillMs === undefined) return "compulsory";
  return nowMs >= lastFillMs + ttlMs ? "expiry" : "eviction";
}

/**
 * @param capacity bytes available for values (the same budget Redis gets)
 * @param cost bytes one key of each class takes (measured on Redis: MEMORY USAGE)
 */
export function belady(trace: Trace, ttlMs: Record<CacheKeyClass, number>, capacity: number, cost: Record<CacheKeyClass, number>): MissBreakdown {
  const next = nextUse(trace);
  const n = trace.requests.length;
  const expiresAt = new Map<number, number>();
  const version = new Map<number, number>();
  // When the app last fetched the key (a miss): its value would be valid until then + TTL.
  const lastFill = new Map<number, number>();
  // [priority, key, version]: the furthest next use on top.
  const heap = new Heap<[number, number, number]>((x, y) => x[0] > y[0]);
  let used = 0;
  const out: MissBreakdown = { hits: 0, compulsory: 0, expiry: 0, eviction: 0 };
  const drop = (k: number) => {
    expiresAt.delete(k);
    version.set(k, (version.get(k) ?? 0) + 1);
    used -= cost[trace.keyClass[k]];
  };

  for (let i = 0; i < n; i++) {
    const k = trace.requests[i];
    const t = trace.timeMs[i];
    const exp = expiresAt.get(k);
    // A value read after its expiry is a useless value: its priority is "never".
    const priority = (nextIdx: number, until: number) => (nextIdx === Infinity || trace.timeMs[nextIdx] >= until ? Infinity : nextIdx);
    if (exp !== undefined && t < exp) {
      out.hits++;
      heap.push([priority(next[i], exp), k, version.get(k) ?? 0]);
      continue;
    }
    if (exp !== undefined) drop(k);
    const ttl = ttlMs[trace.keyClass[k]];
    out[classifyMiss(lastFill.get(k), ttl, t)]++;
    lastFill.set(k, t);

    const until = t + ttl;
    const p = priority(next[i], until);
    if (p === Infinity) continue; // Not read again while valid: do not admit.
    const size = cost[trace.keyClass[k]];
    if (size > capacity) continue;
    // Make room: evict the furthest next use, unless that is the newcomer itself.
    while (used + size > capacity) {
      const top = heap.pop()!;
      const [prio, victim, ver] = top;
      if ((version.get(victim) ?? 0) !== ver || !expiresAt.has(victim)) continue;
      if (prio < p) {
        heap.push(top);
        break;
      }
      drop(victim);
    }
    if (used + size > capacity) continue;
    expiresAt.set(k, until);
    version.set(k, (version.get(k) ?? 0) + 1);
    used += size;
    heap.push([p, k, version.get(k)!]);
  }
  return out;
}

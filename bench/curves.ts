/**
 * Miss-ratio curves: hit ratio against maxmemory, on real redis-server with the stack's
 * rendered redis.conf (the before state, allkeys-lru, allkeys-lfu, volatile-lfu), beside
 * Belady's OPT and an LFU with perfect counts simulated on the same trace, memory and
 * TTLs. The gap OPT - perfect LFU is LFU's own; perfect LFU - allkeys-lfu is the cost of
 * Redis's approximation.
 */
import { CacheKeyClass, RedisConfig } from "../config/types";
import { maxmemoryFor, measureCosts, replay } from "./cache";
import { MissBreakdown, belady } from "./opt";
import { perfectLfu } from "./perfectLfu";
import { CurvePoint } from "./sizing";
import { Trace } from "../lab/trace";

/** The sizes of the curves, as shares of the working set (at least 8, from 5 % to 100 %). */
const CURVE_FRACTIONS = [0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 0.8, 1.0];

export type CurvePolicy = "before" | "allkeys-lru" | "allkeys-lfu" | "volatile-lfu" | "perfect-lfu" | "opt";
export const CURVE_POLICIES: CurvePolicy[] = ["before", "allkeys-lru", "allkeys-lfu", "volatile-lfu", "perfect-lfu", "opt"];

export interface Curves {
  workingSetBytes: number;
  /** Redis's used_memory when empty: maxmemory counts it too. */
  baselineBytes: number;
  requests: number;
  points: Partial<Record<CurvePolicy, CurvePoint[]>>;
}

interface Setting {
  /** The before state (prod's redis block and TTLs). */
  before: RedisConfig;
  /** Quick win 3 (dev's redis block and TTLs). */
  after: RedisConfig;
}

/** Bytes the trace's distinct keys take in Redis, each class at its measured cost. */
export function workingSetBytes(trace: Trace, cost: Record<CacheKeyClass, number>): number {
  let total = 0;
  for (const k of new Set(trace.requests)) total += cost[trace.keyClass[k]];
  return total;
}

export async function missRatioCurves(trace: Trace, s: Setting, policies: CurvePolicy[] = CURVE_POLICIES, log: (s: string) => void = () => undefined): Promise<Curves> {
  const { cost, baseline } = await measureCosts(trace, s.after);
  const ws = workingSetBytes(trace, cost);
  const n = trace.requests.length;
  const points: Curves["points"] = {};
  for (const fraction of CURVE_FRACTIONS) {
    const capacity = Math.round(ws * fraction);
    const maxmemoryBytes = baseline + capacity;
    const maxmemory = maxmemoryFor(baseline, capacity);
    const measure = async (p: CurvePolicy): Promise<MissBreakdown> => {
      if (p === "opt") return belady(trace, s.after.ttl, capacity, cost);
      if (p === "perfect-lfu") return perfectLfu(trace, s.after.ttl, capacity, cost);
      if (p === "before") return replay(trace, { ...s.before, maxmemory }, s.before.ttl);
      return replay(trace, { ...s.after, maxmemory, maxmemoryPolicy: p }, s.after.ttl);
    };
    for (const p of policies) {
      const r = await measure(p);
      (points[p] ??= []).push({ fraction, maxmemoryBytes, hitRatio: r.hits / n });
    }
    log(`${(fraction * 100).toFixed(0)} % of the working set: ${policies.map((p) => `${p} ${(points[p]!.at(-1)!.hitRatio * 100).toFixed(1)} %`).join(", ")}`);
  }
  return { workingSetBytes: ws, baselineBytes: baseline, requests: n, points };
}

/**
 * Quick win 5: hit ratio over the first requests after a cold start, with no warming,
 * with the stack's warming set (the warmed classes' most-read keys, ranked on the
 * previous day's trace), and with the best warm set of the same size (the most
 * requested keys of this very window: an oracle).
 */
import { CacheWarmingConfig, RedisConfig } from "../config/types";
import { replay } from "./cache";
import { Trace, makeTrace } from "../lab/trace";

export interface WarmingResults {
  window: number;
  warmSetSize: number;
  cold: number;
  stack: number;
  oracle: number;
  stackOfOracle: number;
}

function topKeys(trace: Trace, window: number, size: number, keep: (k: number) => boolean): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < window; i++) {
    const k = trace.requests[i];
    if (keep(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, size)
    .map(([k]) => k);
}

export async function warmingBench(trace: Trace, redis: RedisConfig, warming: CacheWarmingConfig, window: number, size: number): Promise<WarmingResults> {
  const yesterday = makeTrace(trace.requests.length, trace.skew, trace.seed + 1);
  const warmed = new Set(warming.keyClasses);
  const stackSet = topKeys(yesterday, yesterday.requests.length, size, (k) => warmed.has(yesterday.keyClass[k]));
  const oracleSet = topKeys(trace, window, size, () => true);
  const ratio = async (warm: number[]) => {
    const r = await replay(trace, redis, redis.ttl, { requests: window, warm });
    return r.hits / r.requests;
  };
  const cold = await ratio([]);
  const stack = await ratio(stackSet);
  const oracle = await ratio(oracleSet);
  return { window, warmSetSize: size, cold, stack, oracle, stackOfOracle: (stack - cold) / (oracle - cold) };
}

/**
 * allkeys-lfu's knobs against OPT: maxmemory-samples, lfu-log-factor and lfu-decay-time
 * swept at the roadmap's memory ratio on several trace seeds, each setting's hit ratio
 * and Redis CPU per request measured side by side; and LFU's decay measured in real time.
 */
import { RedisConfig } from "../config/types";
import { maxmemoryFor, measureCosts, replay } from "./cache";
import { workingSetBytes } from "./curves";
import { belady } from "./opt";
import { REQUESTS_PER_SECOND, makeTrace } from "../lab/trace";

export interface KnobSetting {
  samples: number;
  logFactor: number;
  decayTime: number;
}

export interface KnobRun {
  seed: number;
  hitRatio: number;
  ofOpt: number;
  /** Redis CPU (user + system) per request, microseconds. */
  cpuUsPerRequest: number;
}

export interface KnobResult extends KnobSetting {
  runs: KnobRun[];
}

export interface KnobSweep {
  requests: number;
  memoryFraction: number;
  current: KnobSetting;
  results: KnobResult[];
  /** The setting nearest OPT (best mean hit ratio). */
  best: KnobSetting;
  /** True when `best` beats the current quick-win-3 setting by more than a point on every seed. */
  adopt: boolean;
}

export const KNOB_GRID = { samples: [5, 10, 20], logFactor: [1, 10, 100], decayTime: [1, 10] };
const SWEEP_SEEDS = [42, 7, 1234];

const same = (a: KnobSetting, b: KnobSetting) => a.samples === b.samples && a.logFactor === b.logFactor && a.decayTime === b.decayTime;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Whether `candidate` beats `current` by more than `margin` on every seed (runs in seed order). */
function beatsOnEverySeed(candidate: KnobRun[], current: KnobRun[], margin = 0.01): boolean {
  return candidate.length === current.length && candidate.every((r, i) => r.hitRatio - current[i].hitRatio > margin);
}

export async function knobSweep(after: RedisConfig, requests: number, memoryFraction: number, grid = KNOB_GRID, log: (s: string) => void = () => undefined): Promise<KnobSweep> {
  const current: KnobSetting = { samples: after.maxmemorySamples, logFactor: after.lfuLogFactor, decayTime: after.lfuDecayTime };
  const settings: KnobSetting[] = [];
  for (const samples of grid.samples) for (const logFactor of grid.logFactor) for (const decayTime of grid.decayTime) settings.push({ samples, logFactor, decayTime });
  if (!settings.some((s) => same(s, current))) settings.push(current);
  const results: KnobResult[] = settings.map((s) => ({ ...s, runs: [] }));
  for (const seed of SWEEP_SEEDS) {
    const trace = makeTrace(requests, 1.0, seed);
    const { cost, baseline } = await measureCosts(trace, after);
    const capacity = Math.round(workingSetBytes(trace, cost) * memoryFraction);
    const maxmemory = maxmemoryFor(baseline, capacity);
    const optHits = belady(trace, after.ttl, capacity, cost).hits;
    for (const r of results) {
      const redis = { ...after, maxmemory, maxmemoryPolicy: "allkeys-lfu" as const, maxmemorySamples: r.samples, lfuLogFactor: r.logFactor, lfuDecayTime: r.decayTime };
      const out = await replay(trace, redis, after.ttl);
      r.runs.push({ seed, hitRatio: out.hits / requests, ofOpt: out.hits / optHits, cpuUsPerRequest: (out.redisCpuMs * 1000) / requests });
    }
    log(`knobs, seed ${seed}: ${results.length} settings replayed`);
  }
  const best = [...results].sort((a, b) => mean(b.runs.map((x) => x.hitRatio)) - mean(a.runs.map((x) => x.hitRatio)))[0];
  const now = results.find((r) => same(r, current))!;
  const bestSetting = { samples: best.samples, logFactor: best.logFactor, decayTime: best.decayTime };
  return { requests, memoryFraction, current, results, best: bestSetting, adopt: !same(best, current) && beatsOnEverySeed(best.runs, now.runs) };
}

export interface DecayResult {
  segmentSeconds: number;
  requests: number;
  /** allkeys-lfu hit ratio with the segment replayed as fast as possible (decay barely acts). */
  fast: number;
  /** The same segment paced at its trace times (291 req/s): decay acts as in production. */
  realTime: number;
}

/** One segment of the hotel trace, replayed fast and in real time with quick win 3's settings. */
export async function decayInRealTime(after: RedisConfig, segmentSeconds: number, memoryFraction: number): Promise<DecayResult> {
  const requests = Math.round(segmentSeconds * REQUESTS_PER_SECOND);
  const trace = makeTrace(requests, 1.0, 42);
  const { cost, baseline } = await measureCosts(trace, after);
  const capacity = Math.round(workingSetBytes(trace, cost) * memoryFraction);
  const redis = { ...after, maxmemory: maxmemoryFor(baseline, capacity) };
  const fast = await replay(trace, redis, after.ttl);
  const paced = await replay(trace, redis, after.ttl, { realTime: true });
  return { segmentSeconds, requests, fast: fast.hits / requests, realTime: paced.hits / requests };
}

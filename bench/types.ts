/** The benchmark's results, as bench/results.json holds them and the report reads them. */
import { IndexResults } from "./indexes";
import { MissBreakdown } from "./opt";
import { CacheSizing } from "./sizingReport";
import { WarmingResults } from "./warming";

export interface PolicyResult extends MissBreakdown {
  hitRatio: number;
  ofOpt: number;
}

export interface CacheResult {
  skew: number;
  requests: number;
  workingSetBytes: number;
  maxmemoryBytes: number;
  policies: Record<"before" | "allkeys-lru" | "allkeys-lfu" | "volatile-lfu" | "opt", PolicyResult>;
}

export interface Results {
  params: { quick: boolean; requests: number; skews: number[]; memoryFraction: number; seed: number };
  machine: Record<string, string | number>;
  cache: CacheResult[];
  indexes: IndexResults;
  warming: WarmingResults;
  /** `npm run bench -- cache`: curves, knob sweep, decay (absent until that has run). */
  sizing?: CacheSizing;
}

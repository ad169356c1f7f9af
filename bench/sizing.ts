/**
 * Sizing the cache from miss-ratio curves: the maxmemory a policy needs for a target hit
 * ratio (linear between measured sizes), or "unreachable" above the curve's ceiling
 * (its hit ratio with the whole working set in memory, where only first reads and TTL
 * expiries still miss). And the reader of a user's own key-access log.
 */
import { CACHE_KEY_CLASSES, CacheKeyClass } from "../config/types";
import { CLASSES, REQUESTS_PER_SECOND, Trace } from "../lab/trace";

export interface CurvePoint {
  /** Share of the working set the memory holds (1 = all of it). */
  fraction: number;
  maxmemoryBytes: number;
  hitRatio: number;
}

export interface SizeAnswer {
  /** The hit ratio with the whole working set in memory. */
  ceiling: number;
  /** Bytes of maxmemory for the target; undefined when the target is above the ceiling. */
  maxmemoryBytes?: number;
  /** The share of the working set that is. */
  fraction?: number;
}

export class SizingError extends Error {}

export function sizeFor(points: CurvePoint[], target: number): SizeAnswer {
  if (!(target > 0 && target < 1)) throw new SizingError(`--target must be a hit ratio between 0 and 1 (exclusive), got ${target}`);
  const sorted = [...points].sort((a, b) => a.maxmemoryBytes - b.maxmemoryBytes);
  if (sorted.length === 0) throw new SizingError("no curve points to size from");
  if (sorted.some((p) => p.maxmemoryBytes < 0 || p.fraction < 0)) throw new SizingError("a curve point has a negative size");
  const ceiling = Math.max(...sorted.map((p) => p.hitRatio));
  if (target > ceiling) return { ceiling };
  const i = sorted.findIndex((p) => p.hitRatio >= target);
  if (i === 0) return { ceiling, maxmemoryBytes: sorted[0].maxmemoryBytes, fraction: sorted[0].fraction };
  const [a, b] = [sorted[i - 1], sorted[i]];
  const w = (target - a.hitRatio) / (b.hitRatio - a.hitRatio);
  return { ceiling, maxmemoryBytes: Math.round(a.maxmemoryBytes + w * (b.maxmemoryBytes - a.maxmemoryBytes)), fraction: a.fraction + w * (b.fraction - a.fraction) };
}

/** The key class of a user's key: its "<class>:" prefix, else reservations (said in the report). */
function classOfKey(key: string): CacheKeyClass {
  const prefix = key.split(":")[0];
  return (CACHE_KEY_CLASSES as readonly string[]).includes(prefix) ? (prefix as CacheKeyClass) : "reservations";
}

/**
 * A key-access log: one read per line, "<key>" or "<timestamp> <key>" (seconds since the
 * epoch, fractions allowed, not decreasing); blank lines and "#" comments are skipped.
 * Without timestamps the reads are spaced at the roadmap's 291 req/s.
 */
export function parseAccessLog(text: string): Trace {
  const ids = new Map<string, number>();
  const keys: string[] = [];
  const requests: number[] = [];
  const times: number[] = [];
  let timed: boolean | undefined;
  text.split("\n").forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const parts = line.split(/\s+/);
    const at = `line ${n + 1} (${JSON.stringify(line.slice(0, 60))})`;
    if (parts.length > 2) throw new SizingError(`${at}: expected "<key>" or "<timestamp> <key>"`);
    const hasTime = parts.length === 2;
    if (timed !== undefined && hasTime !== timed) throw new SizingError(`${at}: every line needs a timestamp, or none does`);
    timed = hasTime;
    if (hasTime) {
      const seconds = Number(parts[0]);
      if (!Number.isFinite(seconds) || seconds < 0) throw new SizingError(`${at}: the timestamp is not a number of seconds`);
      if (times.length && seconds * 1000 < times[times.length - 1]) throw new SizingError(`${at}: timestamps go backwards`);
      times.push(seconds * 1000);
    }
    const key = parts[parts.length - 1];
    if (!ids.has(key)) {
      ids.set(key, keys.length);
      keys.push(key);
    }
    requests.push(ids.get(key)!);
  });
  if (requests.length === 0) throw new SizingError("the trace is empty: no key reads in it");
  const t0 = timed ? times[0] : 0;
  const timeMs = Float64Array.from(requests, (_, i) => (timed ? times[i] - t0 : (i * 1000) / REQUESTS_PER_SECOND));
  const keyClass = keys.map(classOfKey);
  return { requests: Int32Array.from(requests), timeMs, keys, keyClass, keyBytes: keyClass.map((c) => CLASSES[c].valueBytes), skew: NaN, seed: 0 };
}

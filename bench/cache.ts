/**
 * Replays a trace against a real redis-server started from the stack's rendered
 * redis.conf (cache-aside: GET, and SET on a miss). Expiry runs on the trace's virtual
 * clock: the client deletes each value when its TTL ends in trace time, so a one-hour
 * trace replays in seconds with the TTLs it would have had; values are SET with a long
 * PX so that volatile-* policies may evict them. Eviction is Redis's own.
 */
import Redis from "ioredis";
import { ByteSize, CacheKeyClass, RedisConfig } from "../config/types";
import { byteSize } from "../config/units";
import { startRedis } from "../lab/servers";
import { renderRedisConf } from "../render/redisConf";
import { MissBreakdown, classifyMiss } from "./opt";
import { Trace } from "../lab/trace";

const BATCH = 64;
const LONG_PX = 7 * 86_400_000;

function valueFor(bytes: number): string {
  return "x".repeat(bytes);
}

export interface ReplayResult extends MissBreakdown {
  requests: number;
  evictedKeys: number;
  elapsedMs: number;
  /** Redis's own CPU time (user + system) over the replay, ms. */
  redisCpuMs: number;
}

/** Redis's CPU time so far (INFO cpu), ms. */
async function redisCpuMs(c: Redis): Promise<number> {
  const info = await c.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)![1]);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}

/** maxmemory for `capacity` bytes of values above Redis's empty footprint (maxmemory counts both). */
export function maxmemoryFor(baselineBytes: number, capacity: number): ByteSize {
  return byteSize(`${Math.round((baselineBytes + capacity) / 1024)}kb`);
}

/** Memory one key of each class takes in Redis (value, key, expire entry). */
export async function measureCosts(trace: Trace, redis: RedisConfig): Promise<{ cost: Record<CacheKeyClass, number>; baseline: number }> {
  const srv = await startRedis(renderRedisConf({ ...redis, maxmemory: { text: "0", bytes: 0 }, maxmemoryPolicy: "noeviction" }));
  try {
    const c = srv.client();
    const info = async () => Number(/used_memory:(\d+)/.exec(await c.info("memory"))![1]);
    const baseline = await info();
    const cost = {} as Record<CacheKeyClass, number>;
    const byClass = new Map<CacheKeyClass, number[]>();
    trace.keyClass.forEach((k, i) => byClass.set(k, [...(byClass.get(k) ?? []), i]));
    for (const [cls, ids] of byClass) {
      // Measure on a few hundred keys: per-key overhead includes the dict entries.
      const sample = ids.slice(0, 300);
      const before = await info();
      const p = c.pipeline();
      for (const id of sample) p.set(trace.keys[id], valueFor(trace.keyBytes[id]), "PX", LONG_PX);
      await p.exec();
      cost[cls] = Math.ceil(((await info()) - before) / sample.length);
      await c.flushall();
    }
    return { cost, baseline };
  } finally {
    await srv.stop();
  }
}

export interface ReplayOptions {
  requests?: number;
  warm?: number[];
  /** From which request to replay (a segment). */
  from?: number;
  /** Pace the requests at their trace times (LFU's per-minute decay then acts as in production). */
  realTime?: boolean;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

async function withPipeline(c: Redis, fill: (p: ReturnType<Redis["pipeline"]>) => void): Promise<void> {
  const p = c.pipeline();
  fill(p);
  await p.exec();
}

/** Deletes the values whose TTL ran out on the trace's clock by `now` (unless refilled since). */
async function expireDue(c: Redis, trace: Trace, queues: Map<CacheKeyClass, [number, number, number][]>, heads: Map<CacheKeyClass, number>, lastFill: Map<number, number>, now: number): Promise<void> {
  const expire = c.pipeline();
  let expiring = 0;
  for (const [cls, q] of queues) {
    let h = heads.get(cls) ?? 0;
    while (h < q.length && q[h][0] <= now) {
      const [, k, at] = q[h++];
      if (lastFill.get(k) === at) {
        expire.del(trace.keys[k]);
        expiring++;
      }
    }
    heads.set(cls, h);
  }
  if (expiring) await expire.exec();
}

export async function replay(trace: Trace, redis: RedisConfig, ttlMs: Record<CacheKeyClass, number>, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const srv = await startRedis(renderRedisConf(redis));
  const started = Date.now();
  try {
    const c: Redis = srv.client();
    const from = opts.from ?? 0;
    const n = Math.min(from + (opts.requests ?? trace.requests.length), trace.requests.length);
    const cpuBefore = await redisCpuMs(c);
    const lastFill = new Map<number, number>();
    // Virtual-clock expiry: [expiresAt, key, fill time] in a queue ordered by expiry per class
    // (each class has one TTL, so fills expire in the order they were made).
    const queues = new Map<CacheKeyClass, [number, number, number][]>();
    const heads = new Map<CacheKeyClass, number>();
    const fill = (p: ReturnType<Redis["pipeline"]>, k: number, t: number) => {
      p.set(trace.keys[k], valueFor(trace.keyBytes[k]), "PX", LONG_PX);
      lastFill.set(k, t);
      const cls = trace.keyClass[k];
      const q = queues.get(cls) ?? [];
      q.push([t + ttlMs[cls], k, t]);
      queues.set(cls, q);
    };
    // Warmed keys are not reads: their first read is not "compulsory".
    if (opts.warm?.length) await withPipeline(c, (p) => (opts.warm ?? []).forEach((k) => fill(p, k, 0)));
    const out: ReplayResult = { hits: 0, compulsory: 0, expiry: 0, eviction: 0, requests: n - from, evictedKeys: 0, elapsedMs: 0, redisCpuMs: 0 };
    const seen = new Set<number>(opts.warm ?? []);
    const wallStart = Date.now();
    for (let start = from; start < n; start += BATCH) {
      const end = Math.min(n, start + BATCH);
      const now = trace.timeMs[start];
      if (opts.realTime) await sleep(now - trace.timeMs[from] - (Date.now() - wallStart));
      await expireDue(c, trace, queues, heads, lastFill, now);

      const get = c.pipeline();
      // GET, not EXISTS: a read must touch the key's LRU clock / LFU counter, as the app's does.
      for (let i = start; i < end; i++) get.get(trace.keys[trace.requests[i]]);
      const found = (await get.exec())!;
      const set = c.pipeline();
      const filled = new Set<number>();
      for (let i = start; i < end; i++) {
        const k = trace.requests[i];
        if (found[i - start][1] !== null || filled.has(k)) {
          out.hits++;
          continue;
        }
        const kind = seen.has(k) ? classifyMiss(lastFill.get(k), ttlMs[trace.keyClass[k]], trace.timeMs[i]) : "compulsory";
        out[kind]++;
        seen.add(k);
        filled.add(k);
        fill(set, k, trace.timeMs[i]);
      }
      if (filled.size) await set.exec();
    }
    out.evictedKeys = Number(/evicted_keys:(\d+)/.exec(await c.info("stats"))![1]);
    out.redisCpuMs = (await redisCpuMs(c)) - cpuBefore;
    out.elapsedMs = Date.now() - started;
    return out;
  } finally {
    await srv.stop();
  }
}

/**
 * The rehearsal's load: the hotel trace's key mix (lab/trace.ts, the cache benchmark's
 * trace) as HTTP requests to the app on loopback, sent at a constant rate by vegeta
 * (scripts/vegeta.sh; an open model: a slow answer does not slow the sender, so latency
 * is not hidden by coordinated omission), bounded in time and count.
 */
import { execFile } from "child_process";
import { promisify } from "util";
import * as fs from "fs";
import * as path from "path";
import { CacheKeyClass } from "../../config/types";
import { makeTrace, prng } from "../../lab/trace";

/** Each cached key class's read on the stand-in app (lab/standInApp/app/reads.py), by key id. */
const CACHED_READS: Record<CacheKeyClass, (id: number) => string> = {
  availability: (id) => `/rooms/${id}/availability`,
  roomDetails: (id) => `/rooms/${id}`,
  rates: (id) => `/rates/${id}`,
  guest: (id) => `/guests/${id}/reservations`,
  reservations: (id) => `/reservations/${id + 1}`,
};

/** Reads that never touch the cache (sessions and locks live in PostgreSQL), as a share of all requests. */
const UNCACHED_READS: { share: number; path: (rand: () => number) => string }[] = [
  { share: 0.04, path: (r) => `/guests/${Math.floor(r() * 50_000)}/sessions` },
  { share: 0.03, path: (r) => `/rooms/${Math.floor(r() * 5_000)}/locks` },
  { share: 0.005, path: () => "/sessions/recent" },
];

export const ROADMAP_RATE = 291;
/** Every step replays the same requests: steps differ by the stack's config only. */
const TRACE_SEED = 42;
/** The settle load's trace: another day, so the measured load's keys are not primed by it. */
export const SETTLE_SEED = 43;

/** The request paths of a load: `count` requests of the trace, with the uncached reads mixed in at their shares. */
export function requestPaths(count: number, seed = TRACE_SEED): string[] {
  const trace = makeTrace(count, 1.0, seed);
  const rand = prng(seed ^ 0x10ad);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    let u = rand();
    const uncached = UNCACHED_READS.find((x) => (u -= x.share) < 0);
    if (uncached) {
      paths.push(uncached.path(rand));
      continue;
    }
    const [cls, id] = trace.keys[trace.requests[i]].split(":");
    paths.push(CACHED_READS[cls as CacheKeyClass](Number(id)));
  }
  return paths;
}

/** What vegeta measured on the client side. */
export interface ClientReport {
  requests: number;
  /** Requests per second sent, and answered successfully per second. */
  rate: number;
  throughput: number;
  success: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  /** Each distinct answer that was not a 2xx (its status and body, or vegeta's error when none came), with its count. */
  failures: Record<string, number>;
}

export interface Load {
  vegeta: string;
  baseUrl: string;
  rate: number;
  seconds: number;
  /** Where the targets and results go. */
  dir: string;
  /** Aborted on an interrupt: vegeta is killed at once. */
  signal?: AbortSignal;
  /** The trace's seed: the measured loads all use the same one; the settle load another day's. */
  seed?: number;
}

const exec = promisify(execFile);

/** Sends one load and returns vegeta's report; throws if vegeta fails, overruns its bound or is aborted. */
export async function runLoad(l: Load, name: string): Promise<ClientReport> {
  const targets = path.join(l.dir, `${name}.targets`);
  const results = path.join(l.dir, `${name}.bin`);
  fs.writeFileSync(
    targets,
    requestPaths(Math.ceil(l.rate * l.seconds), l.seed)
      .map((p) => `GET ${l.baseUrl}${p}\n`)
      .join("\n"),
  );
  const attack = ["attack", `-rate=${l.rate}/s`, `-duration=${l.seconds}s`, `-targets=${targets}`, `-output=${results}`, "-timeout=10s", "-max-workers=256"];
  const run = (args: string[]) => exec(l.vegeta, args, { encoding: "utf8", timeout: (l.seconds + 60) * 1000, maxBuffer: 64 << 20, signal: l.signal });
  await run(attack);
  const report = JSON.parse((await run(["report", "-type=json", results])).stdout);
  // The report counts status codes only: the bodies say which error the app raised.
  return clientReport(report, failedAnswers((await run(["encode", "-to=json", results])).stdout));
}

/** The answers that were not a 2xx in vegeta's results (`vegeta encode -to=json`: one JSON object per line, bodies in base64). */
export function failedAnswers(encoded: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of encoded.split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { code: number; error?: string; body?: string };
    if (r.code >= 200 && r.code < 300) continue;
    const body = Buffer.from(r.body ?? "", "base64")
      .toString("utf8")
      .trim()
      .slice(0, 200);
    const key = r.code === 0 ? `no answer: ${r.error ?? ""}` : `${r.code} ${body || (r.error ?? "")}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** vegeta's JSON report (latencies in ns) and the failed answers as the rehearsal's numbers. */
export function clientReport(v: any, failures: Record<string, number>): ClientReport {
  const ms = (ns: number) => ns / 1e6;
  return {
    requests: v.requests,
    rate: v.rate,
    throughput: v.throughput,
    success: v.success,
    p50Ms: ms(v.latencies["50th"]),
    p95Ms: ms(v.latencies["95th"]),
    p99Ms: ms(v.latencies["99th"]),
    statusCodes: v.status_codes ?? {},
    failures,
  };
}

/**
 * The rehearsal's own dev stack: a stack in a state folder of its own, run from a copy
 * of the stage file, on the project's Docker daemon with the stand-in images, each step
 * applied by the engine's `up` with the policy pack, exactly as `npm run up` does. The
 * user's stage file, state and containers are never touched; the stack is destroyed at
 * the end (unless kept) and a daemon the rehearsal started is stopped.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalDocker } from "../../lab/docker/daemon";
import { DockerCli, ensureLocalImages } from "../../lab/docker/images";
import { StackObjects, containerOf, stackObjects } from "../../lab/docker/stackObjects";
import { SeedCounts, seedRowsSql } from "../../lab/pgWorkload";
import { StackConfig } from "../../config/types";
import { EngineOptions, destroy, exportState, up } from "../engine";

export interface RehearsalStage {
  docker: DockerCli;
  options: EngineOptions;
  stageFile: string;
  /** True when the rehearsal started the daemon (and so stops it). */
  startedDaemon: boolean;
}

export async function openRehearsalStage(dir: string, say: (s: string) => void): Promise<RehearsalStage> {
  const local = new LocalDocker();
  const { host, started } = await local.ensure(say);
  const docker = new DockerCli(host);
  const localImages = ensureLocalImages(docker, { log: (s) => say(`docker: ${s}`) });
  const stageFile = path.join(dir, "Pulumi.dev.yaml");
  const options: EngineOptions = { stage: "dev", stateDir: path.join(dir, "state"), stageFile, dockerHost: host, localImages, onOutput: () => undefined, onError: (t) => say(t.trim()) };
  return { docker, options, stageFile, startedDaemon: started };
}

export interface Applied {
  seconds: number;
  changes: Record<string, number>;
  /** Advisory policy findings (a mandatory one fails the up). */
  advisories: string[];
}

/** One step: the stage file copy gets the step's text, then `up` with the policy pack. */
export async function applyStep(s: RehearsalStage, text: string): Promise<Applied> {
  fs.writeFileSync(s.stageFile, text);
  const advisories: string[] = [];
  const started = Date.now();
  const result = await up({
    ...s.options,
    onEvent: (e) => {
      if (e.policyEvent) advisories.push(`${e.policyEvent.policyName}: ${e.policyEvent.message.split("\n")[0]}`);
    },
  });
  return { seconds: (Date.now() - started) / 1000, changes: (result.summary.resourceChanges ?? {}) as Record<string, number>, advisories };
}

export const objectsOf = async (s: RehearsalStage): Promise<StackObjects> => stackObjects(await exportState(s.options));

/** psql as the database's owner inside the PostgreSQL container (local connections are trusted there). */
function psql(s: RehearsalStage, o: StackObjects, c: StackConfig, sql: string): string {
  const args = ["exec", "-i", "-u", "postgres", containerOf(o, "postgres"), "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", c.postgres.user, "-d", c.postgres.database];
  return s.docker.must(args, { input: sql, timeoutMs: 600_000 });
}

/** Rows for the app's tables (the app created them), then statistics, as after a day of traffic. */
export function seed(s: RehearsalStage, o: StackObjects, c: StackConfig, counts: SeedCounts): void {
  psql(s, o, c, `${seedRowsSql(counts)}\nANALYZE;`);
}

/** Counters read at the source, exact whatever Prometheus' clock: their change over a load is what a quick run asserts. */
export interface Counters {
  /** Scans of the app's tables (PostgreSQL's pg_stat_user_tables). */
  seqScans: number;
  idxScans: number;
  /** Key lookups that found a key or not (Redis's INFO stats). */
  cacheHits: number;
  cacheMisses: number;
  /** The app's pool (its /metrics). */
  poolCheckouts: number;
  poolWaits: number;
  poolTimeouts: number;
}

const infoField = (text: string, field: string) => Number(new RegExp(`^${field}:(\\d+)`, "m").exec(text)?.[1] ?? NaN);
const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

export async function readCounters(s: RehearsalStage, o: StackObjects, c: StackConfig, appUrl: string): Promise<Counters> {
  const scans = psql(s, o, c, "SELECT coalesce(sum(seq_scan), 0), coalesce(sum(idx_scan), 0) FROM pg_stat_user_tables WHERE relname IN ('reservations', 'sessions', 'locks');");
  const [seqScans, idxScans] = scans.trim().split("|").map(Number);
  const info = s.docker.must(["exec", containerOf(o, "redis"), "redis-cli", "INFO", "stats"]);
  const app = await (await fetch(`${appUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return {
    seqScans,
    idxScans,
    cacheHits: infoField(info, "keyspace_hits"),
    cacheMisses: infoField(info, "keyspace_misses"),
    poolCheckouts: metric(app, "db_pool_checkouts_total"),
    poolWaits: metric(app, "db_pool_waits_total"),
    poolTimeouts: metric(app, "db_pool_timeouts_total"),
  };
}

/** What changed between two readings. */
export const countersDelta = (a: Counters, b: Counters): Counters => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - a[k as keyof Counters]])) as unknown as Counters;

/**
 * Every step starts from an empty cache, as after a deploy that restarts Redis: the
 * steps are compared on equal terms, and the warmer (when on) shows what it is for.
 * Returns the warmer's report line, if it ran.
 */
export async function coldCache(s: RehearsalStage, o: StackObjects): Promise<string | undefined> {
  s.docker.must(["exec", containerOf(o, "redis"), "redis-cli", "FLUSHALL"]);
  const warmer = Object.entries(o.containers).find(([n]) => /warm/.test(n))?.[1];
  if (!warmer) return undefined;
  const before = warmerLines(s, warmer).length;
  s.docker.must(["restart", warmer]);
  for (let waited = 0; waited < 180_000; waited += 1_000) {
    const lines = warmerLines(s, warmer);
    if (lines.length > before) return lines[lines.length - 1];
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`the warmer (${warmer}) did not report within 180 s`);
}

const warmerLines = (s: RehearsalStage, container: string) =>
  s.docker
    .must(["logs", container], { timeoutMs: 30_000 })
    .split("\n")
    .filter((l) => /warmer: .* warmed/.test(l));

/** Waits until the app answers /health (it restarts when its settings change). */
export async function appHealthy(baseUrl: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3_000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the app at ${baseUrl} did not answer /health within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/**
 * Destroys the rehearsal's stack and stops a daemon it started. False when the destroy
 * failed: the daemon then keeps running and the work folder stays, for the next run to
 * recover and destroy (stopping the daemon would only hide the containers until it starts).
 */
export async function closeRehearsalStage(s: RehearsalStage, say: (t: string) => void): Promise<boolean> {
  try {
    await destroy(s.options);
  } catch (e) {
    say(`destroy of the rehearsal's stack failed (the next rehearsal destroys it first): ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  if (s.startedDaemon) await new LocalDocker().stop();
  return true;
}

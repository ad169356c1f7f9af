/**
 * The hotel schema the roadmap's slow queries run on, seeded with realistic volumes,
 * and the measurements shared by the PostgreSQL tests and benchmarks.
 */
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";

export interface SeedCounts {
  reservations: number;
  sessions: number;
  locks: number;
}

const GUESTS = 50_000;
const ROOMS = 5_000;

/** The app's tables: the stand-in app's schema file, so both create the same tables. */
const APP_TABLES_SQL = fs.readFileSync(path.join(__dirname, "standInApp", "schema.sql"), "utf8");

/** Rows for the app's tables, drawn with a fixed seed. */
export function seedRowsSql(n: SeedCounts): string {
  return `
    SELECT setseed(0.42);
    INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at)
      SELECT (random() * ${GUESTS})::int, (random() * 500)::int, date '2026-01-01' + (random() * 365)::int,
             1 + (random() * 6)::int, 'confirmed', now() - random() * interval '365 days'
        FROM generate_series(1, ${n.reservations});
    INSERT INTO sessions (guest_id, token, created_at)
      SELECT (random() * ${GUESTS})::int, md5(g::text), now() - random() * interval '90 days' FROM generate_series(1, ${n.sessions}) g;
    INSERT INTO locks (room_id, holder, acquired_at)
      SELECT (random() * ${ROOMS})::int, 'worker-' || (g % 16), now() - random() * interval '1 hour' FROM generate_series(1, ${n.locks}) g;`;
}

function seedSql(n: SeedCounts): string {
  return APP_TABLES_SQL + seedRowsSql(n);
}

export async function seed(db: Client, n: SeedCounts): Promise<void> {
  await db.query(seedSql(n));
  await db.query("VACUUM ANALYZE");
}

export interface RoadmapQuery {
  label: string;
  index: string;
  /** The query with a parameter drawn from `rand`. */
  sql(rand: () => number): string;
}

/** The roadmap's four slow queries (its EXPLAIN list and the indexes it proposes). */
export const ROADMAP_QUERIES: RoadmapQuery[] = [
  { label: "reservations by guest", index: "idx_reservations_guest_id", sql: (r) => `SELECT * FROM reservations WHERE guest_id = ${Math.floor(r() * GUESTS)}` },
  { label: "sessions of the last 24 h", index: "idx_sessions_created_at", sql: () => "SELECT * FROM sessions WHERE created_at > now() - interval '24 hours'" },
  { label: "sessions by guest", index: "idx_sessions_guest_id", sql: (r) => `SELECT * FROM sessions WHERE guest_id = ${Math.floor(r() * GUESTS)}` },
  { label: "locks by room", index: "idx_locks_room_id", sql: (r) => `SELECT * FROM locks WHERE room_id = ${Math.floor(r() * ROOMS)}` },
];

export async function plan(db: Client, sql: string): Promise<{ nodes: string[]; indexes: string[] }> {
  const res = await db.query(`EXPLAIN (FORMAT JSON) ${sql}`);
  const nodes: string[] = [];
  const indexes: string[] = [];
  const walk = (n: any) => {
    nodes.push(n["Node Type"]);
    if (n["Index Name"]) indexes.push(n["Index Name"]);
    (n.Plans ?? []).forEach(walk);
  };
  walk(res.rows[0]["QUERY PLAN"][0].Plan);
  return { nodes, indexes };
}

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export const INSERT_RESERVATION = "INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at) VALUES ($1, 7, date '2026-12-24', 2, 'confirmed', now())";

export interface WriterResult {
  latencies: number[];
  /** How long `during` took. */
  durationMs: number;
  /** Inserts that completed while `during` ran. */
  insertsDuring: number;
  /** Samples (every few ms, while `during` ran) in which the writer was waiting on a lock: a count, not a timing. */
  lockWaitSamples: number;
}

/** Samples, until `stop()`, whether the backend `pid` waits on a heavyweight lock (pg_stat_activity). */
async function lockWaitSampler(connect: () => Promise<Client>, pid: number): Promise<{ stop: () => Promise<number> }> {
  const c = await connect();
  let waits = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const r = await c.query("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", [pid]);
      if (r.rows[0]?.wait_event_type === "Lock") waits++;
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  return { stop: async () => ((sampling = false), await loop, await c.end(), waits) };
}

/** One writer inserting reservations one at a time, for as long as `during` runs. */
export async function writerDuring(connect: () => Promise<Client>, during: () => Promise<unknown>): Promise<WriterResult> {
  const writer = await connect();
  const pid = (await writer.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
  const latencies: number[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      latencies.push(await timeMs(() => writer.query(INSERT_RESERVATION, [Math.floor(Math.random() * GUESTS)])));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  const sampler = await lockWaitSampler(connect, pid);
  const before = latencies.length;
  const durationMs = await timeMs(during);
  const insertsDuring = latencies.length - before;
  const lockWaitSamples = await sampler.stop();
  await new Promise((r) => setTimeout(r, 100));
  done = true;
  await loop;
  await writer.end();
  return { latencies, durationMs, insertsDuring, lockWaitSamples };
}

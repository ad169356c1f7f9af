/**
 * The hotel schema the roadmap's slow queries run on, seeded with realistic volumes,
 * and the measurements shared by the PostgreSQL tests and benchmarks.
 */
import { Client } from "pg";

export interface SeedCounts {
  reservations: number;
  sessions: number;
  locks: number;
}

export const GUESTS = 50_000;
export const ROOMS = 5_000;

export function seedSql(n: SeedCounts): string {
  return `
    SELECT setseed(0.42);
    CREATE TABLE reservations (id bigserial PRIMARY KEY, guest_id int NOT NULL, room_id int NOT NULL,
      check_in date NOT NULL, nights int NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL);
    INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at)
      SELECT (random() * ${GUESTS})::int, (random() * 500)::int, date '2026-01-01' + (random() * 365)::int,
             1 + (random() * 6)::int, 'confirmed', now() - random() * interval '365 days'
        FROM generate_series(1, ${n.reservations});
    CREATE TABLE sessions (id bigserial PRIMARY KEY, guest_id int NOT NULL, token text NOT NULL, created_at timestamptz NOT NULL);
    INSERT INTO sessions (guest_id, token, created_at)
      SELECT (random() * ${GUESTS})::int, md5(g::text), now() - random() * interval '90 days' FROM generate_series(1, ${n.sessions}) g;
    CREATE TABLE locks (id bigserial PRIMARY KEY, room_id int NOT NULL, holder text NOT NULL, acquired_at timestamptz NOT NULL);
    INSERT INTO locks (room_id, holder, acquired_at)
      SELECT (random() * ${ROOMS})::int, 'worker-' || (g % 16), now() - random() * interval '1 hour' FROM generate_series(1, ${n.locks}) g;`;
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

export const INSERT_RESERVATION =
  "INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at) VALUES ($1, 7, date '2026-12-24', 2, 'confirmed', now())";

export interface WriterResult {
  latencies: number[];
  /** How long `during` took. */
  durationMs: number;
}

/** One writer inserting reservations one at a time, for as long as `during` runs. */
export async function writerDuring(connect: () => Promise<Client>, during: () => Promise<unknown>): Promise<WriterResult> {
  const writer = await connect();
  const latencies: number[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      latencies.push(await timeMs(() => writer.query(INSERT_RESERVATION, [Math.floor(Math.random() * GUESTS)])));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await new Promise((r) => setTimeout(r, 100));
  const durationMs = await timeMs(during);
  await new Promise((r) => setTimeout(r, 100));
  done = true;
  await loop;
  await writer.end();
  return { latencies, durationMs };
}

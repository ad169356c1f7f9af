/**
 * Quick win 4 on a real PostgreSQL with the stack's rendered settings: the roadmap's
 * four queries before and after the stack's indexes, what the indexes cost each
 * insert, and the writer's stall during a plain vs a concurrent build.
 */
import { Client } from "pg";
import { PostgresConfig } from "../config/types";
import { INSERT_RESERVATION, ROADMAP_QUERIES, percentile, plan, seed, timeMs, writerDuring } from "../lab/pgWorkload";
import { startPostgres } from "../lab/servers";
import { renderReconcileSql } from "../render/indexDdl";
import { renderPostgresConf } from "../render/postgresSettings";
import { prng } from "../lab/trace";

export interface Latency {
  p50: number;
  p95: number;
}

export interface IndexResults {
  rows: number;
  queries: { label: string; index: string; before: Latency & { plan: string }; after: Latency & { plan: string }; speedup: number }[];
  insert: { before: Latency; after: Latency };
  stall: { plain: { buildMs: number; maxInsertMs: number; inserts: number }; concurrent: { buildMs: number; maxInsertMs: number; inserts: number } };
}

const lat = (xs: number[]): Latency => ({ p50: percentile(xs, 50), p95: percentile(xs, 95) });

/** Each roadmap query's latency over `runs` executions, and its plan's node types. */
async function queryLatencies(db: Client, runs: number): Promise<Record<string, Latency & { plan: string }>> {
  const out: Record<string, Latency & { plan: string }> = {};
  for (const q of ROADMAP_QUERIES) {
    const rand = prng(7);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await timeMs(() => db.query(q.sql(rand))));
    const shape = await plan(
      db,
      q.sql(() => 0.5),
    );
    out[q.label] = { ...lat(times), plan: shape.nodes.join(" > ") };
  }
  return out;
}

export async function indexBench(pgAfter: PostgresConfig, pgBefore: PostgresConfig, rows: number, runs: number): Promise<IndexResults> {
  const pg = await startPostgres(renderPostgresConf(pgAfter));
  try {
    const db = await pg.connect();
    await seed(db, { reservations: rows, sessions: Math.round(rows / 5), locks: Math.round(rows / 5) });
    const reconcile = (cfg: PostgresConfig) => pg.psqlScript(renderReconcileSql(cfg));
    const measureQueries = () => queryLatencies(db, runs);
    const measureInserts = async () => {
      // Warm the connection, plan cache and buffers first: the first inserts are the slowest.
      for (let i = 0; i < runs; i++) await db.query(INSERT_RESERVATION, [i % 50_000]);
      const times: number[] = [];
      for (let i = 0; i < 4 * runs; i++) times.push(await timeMs(() => db.query(INSERT_RESERVATION, [(i * 7919) % 50_000])));
      return lat(times);
    };

    await reconcile(pgBefore);
    const qBefore = await measureQueries();
    const iBefore = await measureInserts();
    await reconcile(pgAfter);
    await db.query("ANALYZE");
    const qAfter = await measureQueries();
    const iAfter = await measureInserts();

    // Writer stall: the roadmap's plain statement vs the stack's script, on reservations(guest_id).
    await reconcile(pgBefore);
    const plain = await writerDuring(pg.connect, () => db.query("CREATE INDEX idx_reservations_guest_id ON reservations(guest_id)"));
    await db.query("DROP INDEX idx_reservations_guest_id");
    const concurrent = await writerDuring(pg.connect, () => reconcile({ ...pgAfter, indexes: pgAfter.indexes.filter((i) => i.name === "idx_reservations_guest_id") }));
    const stall = (w: { latencies: number[]; durationMs: number }) => ({ buildMs: w.durationMs, maxInsertMs: Math.max(...w.latencies), inserts: w.latencies.length });

    return {
      rows,
      queries: ROADMAP_QUERIES.map((q) => ({
        label: q.label,
        index: q.index,
        before: qBefore[q.label],
        after: qAfter[q.label],
        speedup: qBefore[q.label].p50 / qAfter[q.label].p50,
      })),
      insert: { before: iBefore, after: iAfter },
      stall: { plain: stall(plain), concurrent: stall(concurrent) },
    };
  } finally {
    await pg.stop();
  }
}

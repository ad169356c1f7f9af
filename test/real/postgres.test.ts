/**
 * Quick win 4 on a real PostgreSQL 15 started with the stack's rendered settings:
 * pg_stat_statements, the slow-query log, and the reconcile script run by psql
 * exactly as the migration Job runs it.
 */
import test from "ava";
import { Client } from "pg";
import { RawConfig } from "../../config/stages";
import { ROADMAP_QUERIES, plan as planOf, seed, writerDuring } from "../../lab/pgWorkload";
import { PostgresServer, startPostgres } from "../../lab/servers";
import { RECONCILE_LOCK_KEY, renderReconcileSql } from "../../render/indexDdl";
import { renderPostgresConf } from "../../render/postgresSettings";
import { stageConfig } from "../helpers";

const RESERVATIONS = 1_000_000;
const SESSIONS = 200_000;
const LOCKS = 200_000;

const dev = stageConfig("dev");
const prod = stageConfig("prod");

/** The roadmap's four slow queries, each with a fixed parameter. */
const QUERIES: Record<string, { sql: string; index: string }> = Object.fromEntries(ROADMAP_QUERIES.map((q) => [q.label, { sql: q.sql(() => 0.0848), index: q.index }]));

let pg: PostgresServer;
let db: Client;
const report: string[] = [];

test.before(async () => {
  pg = await startPostgres(renderPostgresConf(dev.postgres));
  db = await pg.connect();
  await seed(db, { reservations: RESERVATIONS, sessions: SESSIONS, locks: LOCKS });
});

test.after.always(async () => {
  if (report.length) console.log(`\n${report.join("\n")}\n`);
  await pg?.stop();
});

/** -e echoes every statement sent, including those \gexec generates. */
const reconcile = (sql: string) => pg.psqlScript(sql, ["-e"]);

const plan = (sql: string) => planOf(db, sql);

async function medianMs(sql: string, runs = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await db.query(sql);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

async function indexState(name: string): Promise<{ exists: boolean; valid?: boolean; def?: string }> {
  const res = await db.query("SELECT i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1", [name]);
  return res.rows.length ? { exists: true, valid: res.rows[0].valid, def: res.rows[0].def } : { exists: false };
}

async function checksum(): Promise<string> {
  const res = await db.query(`SELECT
    (SELECT count(*) || ':' || sum(hashtext(r::text)::bigint) FROM reservations r) AS r,
    (SELECT count(*) || ':' || sum(hashtext(s::text)::bigint) FROM sessions s) AS s,
    (SELECT count(*) || ':' || sum(hashtext(l::text)::bigint) FROM locks l) AS l`);
  return JSON.stringify(res.rows[0]);
}

test.serial("the server runs with the rendered settings", async (t) => {
  const show = async (k: string) => (await db.query(`SHOW ${k}`)).rows[0][k];
  t.is(await show("shared_preload_libraries"), "pg_stat_statements");
  t.is(await show("compute_query_id"), "on");
  t.is(await show("log_min_duration_statement"), "100ms");
  t.is(await show("pg_stat_statements.max"), "5000");
});

test.serial("before the indexes, each of the roadmap's queries is a sequential scan", async (t) => {
  for (const [label, q] of Object.entries(QUERIES)) {
    const p = await plan(q.sql);
    t.true(p.nodes.includes("Seq Scan"), `${label}: ${p.nodes}`);
    t.deepEqual(p.indexes, []);
    report.push(`before  ${label.padEnd(26)} ${p.nodes.join(" > ").padEnd(30)} median ${(await medianMs(q.sql)).toFixed(2)} ms`);
  }
});

test.serial("the stack's script builds the four indexes concurrently; each query then uses its index", async (t) => {
  const out = await reconcile(renderReconcileSql(dev.postgres));
  t.is((out.match(/^CREATE INDEX CONCURRENTLY "idx_\w+" ON public\."\w+" USING btree/gm) ?? []).length, 4);
  t.is((out.match(/^COMMENT ON INDEX public\."idx_\w+" IS 'managed-by:hotel-stack';$/gm) ?? []).length, 4);
  t.notRegex(out, /^CREATE INDEX (?!CONCURRENTLY)/m);
  await db.query("ANALYZE");
  for (const [label, q] of Object.entries(QUERIES)) {
    const state = await indexState(q.index);
    t.true(state.valid, q.index);
    const p = await plan(q.sql);
    t.false(p.nodes.includes("Seq Scan"), `${label}: ${p.nodes}`);
    t.deepEqual(p.indexes, [q.index], label);
    report.push(`after   ${label.padEnd(26)} ${p.nodes.join(" > ").padEnd(30)} median ${(await medianMs(q.sql)).toFixed(2)} ms  (${q.index})`);
  }
});

test.serial("a second run changes nothing (idempotent)", async (t) => {
  const states = async () => {
    const out = [];
    for (const q of Object.values(QUERIES)) out.push(await indexState(q.index));
    return out;
  };
  const before = await states();
  const oids = (await db.query("SELECT relname, oid FROM pg_class WHERE relname LIKE 'idx_%' ORDER BY 1")).rows;
  const out = await reconcile(renderReconcileSql(dev.postgres));
  // psql -e echoes executed statements at the start of a line.
  t.notRegex(out, /^(DROP|CREATE) INDEX|^COMMENT ON/m);
  t.notRegex(out, /was not created by the stack/);
  t.deepEqual(await states(), before);
  t.deepEqual((await db.query("SELECT relname, oid FROM pg_class WHERE relname LIKE 'idx_%' ORDER BY 1")).rows, oids);
});

test.serial("pg_stat_statements answers with the PG13+ columns; the roadmap's mean_time query fails", async (t) => {
  const res = await db.query("SELECT query, calls, mean_exec_time, total_exec_time FROM pg_stat_statements WHERE query LIKE '%FROM reservations WHERE guest_id%' ORDER BY mean_exec_time DESC");
  t.true(res.rows.length > 0);
  t.true(Number(res.rows[0].calls) >= 15);
  await t.throwsAsync(() => db.query("SELECT query, calls, mean_time FROM pg_stat_statements WHERE mean_time > 50 ORDER BY mean_time DESC"), {
    message: /column "mean_time" does not exist/,
  });
});

test.serial("pg_reload_conf() reloads; the roadmap's SELECT RELOAD CONFIG is not SQL", async (t) => {
  // It parses as "SELECT reload AS config": a column that does not exist.
  await t.throwsAsync(() => db.query("SELECT RELOAD CONFIG"), { message: /column "reload" does not exist/ });
  t.true((await db.query("SELECT pg_reload_conf() AS ok")).rows[0].ok);
});

test.serial("statements slower than log_min_duration_statement reach the server log", async (t) => {
  await db.query("SELECT pg_sleep(0.15) /* slow-probe */");
  await db.query("SELECT 1 /* fast-probe */");
  await new Promise((r) => setTimeout(r, 200));
  t.regex(pg.serverLog(), /duration: \d+\.\d+ ms\s+statement: SELECT pg_sleep\(0\.15\) \/\* slow-probe \*\//);
  t.notRegex(pg.serverLog(), /fast-probe/);
});

test.serial("rollback: removing the indexes from config drops them concurrently; data unchanged", async (t) => {
  const before = await checksum();
  const out = await reconcile(renderReconcileSql(prod.postgres));
  for (const q of Object.values(QUERIES)) {
    t.regex(out, new RegExp(`DROP INDEX CONCURRENTLY IF EXISTS public\\.${q.index};`));
    t.false((await indexState(q.index)).exists, q.index);
  }
  t.notRegex(out, /^DROP INDEX (?!CONCURRENTLY)/m);
  t.is(await checksum(), before);
  const seq = await plan(QUERIES["locks by room"].sql);
  t.true(seq.nodes.includes("Seq Scan"));
});

test.serial("an INVALID index left by a failed concurrent build is detected and rebuilt", async (t) => {
  // A build of the stack's that failed before its COMMENT ran: cancelled by a timeout, it stays INVALID.
  await db.query("DROP INDEX IF EXISTS idx_reservations_guest_id");
  await db.query("SET statement_timeout = '5ms'");
  await t.throwsAsync(() => db.query("CREATE INDEX CONCURRENTLY idx_reservations_guest_id ON reservations (guest_id)"), {
    message: /statement timeout/,
  });
  await db.query("SET statement_timeout = 0");
  t.deepEqual(await indexState("idx_reservations_guest_id"), {
    exists: true,
    valid: false,
    def: "CREATE INDEX idx_reservations_guest_id ON public.reservations USING btree (guest_id)",
  });
  // The trap: IF NOT EXISTS accepts the invalid index and the query keeps scanning.
  await db.query("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_reservations_guest_id ON reservations (guest_id)");
  t.false((await indexState("idx_reservations_guest_id")).valid);
  t.true((await plan(QUERIES["reservations by guest"].sql)).nodes.includes("Seq Scan"));

  const out = await reconcile(renderReconcileSql(dev.postgres));
  t.regex(out, /DROP INDEX CONCURRENTLY IF EXISTS public\.idx_reservations_guest_id;/);
  t.deepEqual(await indexState("idx_reservations_guest_id"), {
    exists: true,
    valid: true,
    def: "CREATE INDEX idx_reservations_guest_id ON public.reservations USING btree (guest_id)",
  });
  t.deepEqual((await plan(QUERIES["reservations by guest"].sql)).indexes, ["idx_reservations_guest_id"]);
});

const indexNote = async (name: string) => (await db.query("SELECT obj_description(to_regclass($1), 'pg_class') AS note", [name])).rows[0].note as string | null;

test.serial("an index the stack did not create is left as it is under a declared name: unique, constraint or plain; reported, never marked, rebuilt or dropped", async (t) => {
  await reconcile(renderReconcileSql(prod.postgres)); // no managed index left
  // The app's own: a unique index, a constraint's index and a plain one, each under a name the stage declares.
  await db.query("CREATE UNIQUE INDEX idx_sessions_guest_id ON sessions (id, guest_id)");
  await db.query("ALTER TABLE locks ADD CONSTRAINT idx_locks_room_id UNIQUE (id, room_id)");
  await db.query("CREATE INDEX idx_sessions_created_at ON sessions (created_at DESC)");
  const defs = async () => Promise.all(["idx_sessions_guest_id", "idx_locks_room_id", "idx_sessions_created_at"].map(async (n) => (await indexState(n)).def));
  const before = await defs();
  for (let run = 0; run < 2; run++) {
    const out = await reconcile(renderReconcileSql(dev.postgres));
    for (const name of ["idx_sessions_guest_id", "idx_locks_room_id", "idx_sessions_created_at"]) {
      t.true(out.includes(`reconcile: ${name} exists and was not created by the stack: left as it is (not marked, rebuilt or dropped)`), `${name}, run ${run + 1}`);
      t.is(await indexNote(name), null, name);
    }
    t.notRegex(out, /DROP INDEX CONCURRENTLY IF EXISTS public\.(idx_sessions_guest_id|idx_locks_room_id|idx_sessions_created_at);/);
    t.deepEqual(await defs(), before);
  }
  // Removing the indexes from the stage drops only the one the stack built.
  t.is(await indexNote("idx_reservations_guest_id"), "managed-by:hotel-stack");
  await reconcile(renderReconcileSql(prod.postgres));
  t.false((await indexState("idx_reservations_guest_id")).exists);
  t.deepEqual(await defs(), before);

  // A unique index an older script marked (it ran COMMENT after IF NOT EXISTS) is unmarked, never rebuilt or dropped.
  await db.query("COMMENT ON INDEX idx_sessions_guest_id IS 'managed-by:hotel-stack'");
  await reconcile(renderReconcileSql(prod.postgres));
  t.is(await indexNote("idx_sessions_guest_id"), null);
  t.deepEqual(await defs(), before);

  await db.query("DROP INDEX idx_sessions_guest_id, idx_sessions_created_at");
  await db.query("ALTER TABLE locks DROP CONSTRAINT idx_locks_room_id");
  await reconcile(renderReconcileSql(dev.postgres));
  t.is(await indexNote("idx_locks_room_id"), "managed-by:hotel-stack");
});

test.serial("a redefined index (same name, new columns) is dropped and rebuilt", async (t) => {
  const redefined = stageConfig("dev", (c: RawConfig) => {
    c["hotel:postgres"].indexes = ["idx_reservations_guest_id", "idx_sessions_created_at", "idx_sessions_guest_id", { name: "idx_locks_room_id", table: "locks", columns: ["room_id", "acquired_at"] }];
  });
  const out = await reconcile(renderReconcileSql(redefined.postgres));
  t.regex(out, /DROP INDEX CONCURRENTLY IF EXISTS public\.idx_locks_room_id;/);
  t.is((await indexState("idx_locks_room_id")).def, "CREATE INDEX idx_locks_room_id ON public.locks USING btree (room_id, acquired_at)");
  await reconcile(renderReconcileSql(dev.postgres));
  t.is((await indexState("idx_locks_room_id")).def, "CREATE INDEX idx_locks_room_id ON public.locks USING btree (room_id)");
});

test.serial("non-blocking: inserts go on during the stack's concurrent build, and wait during a plain one", async (t) => {
  const onlyGuestIndex = stageConfig("dev", (c: RawConfig) => (c["hotel:postgres"].indexes = ["idx_reservations_guest_id"]));
  await reconcile(renderReconcileSql(prod.postgres));
  t.false((await indexState("idx_reservations_guest_id")).exists);

  // The roadmap's statement, verbatim.
  const plain = await writerDuring(pg.connect, () => db.query("CREATE INDEX idx_reservations_guest_id ON reservations(guest_id)"));
  await db.query("DROP INDEX idx_reservations_guest_id");
  const concurrent = await writerDuring(pg.connect, () => reconcile(renderReconcileSql(onlyGuestIndex.postgres)));
  t.true((await indexState("idx_reservations_guest_id")).valid);

  const max = (xs: number[]) => Math.max(...xs);
  report.push(
    `writer during plain CREATE INDEX:      build ${plain.durationMs.toFixed(0)} ms, ${plain.latencies.length} inserts, max insert ${max(plain.latencies).toFixed(1)} ms`,
    `writer during CREATE INDEX CONCURRENTLY: build ${concurrent.durationMs.toFixed(0)} ms, ${concurrent.latencies.length} inserts, max insert ${max(concurrent.latencies).toFixed(1)} ms`,
  );
  // Counts, not timings (a loaded 2-core machine stretches both builds): the plain build holds a
  // SHARE lock, so the writer is seen waiting on a lock; during the concurrent build it never is,
  // and its inserts keep completing.
  t.true(plain.lockWaitSamples > 0, `the writer never waited on a lock during the plain build (${plain.insertsDuring} inserts)`);
  t.is(concurrent.lockWaitSamples, 0, `the writer waited on a lock during the concurrent build`);
  t.true(concurrent.insertsDuring > 0, "inserts complete during the concurrent build");
});

const withTimeout = (reconcileTimeout: string) => stageConfig("dev", (c: RawConfig) => (c["hotel:postgres"] = { ...c["hotel:postgres"], reconcileTimeout })).postgres;

test.serial("one run at a time: while another run holds the advisory lock, the script stops with a line that says so; then it runs", async (t) => {
  const other = await pg.connect();
  await other.query(`SELECT pg_advisory_lock(${RECONCILE_LOCK_KEY})`);
  const err = await t.throwsAsync(reconcile(renderReconcileSql(dev.postgres)));
  t.regex(err!.message, /reconcile: another run of this script holds advisory lock 7243101; this run stops and is retried/);
  await other.query(`SELECT pg_advisory_unlock(${RECONCILE_LOCK_KEY})`);
  await reconcile(renderReconcileSql(dev.postgres));
  t.true((await indexState("idx_locks_room_id")).valid);
});

test.serial("first deploy: the script waits for the app's tables, then builds the indexes; with no tables it stops after its bound", async (t) => {
  await db.query("DROP DATABASE IF EXISTS first_deploy");
  await db.query("CREATE DATABASE first_deploy");
  const run = pg.psqlScript(renderReconcileSql(withTimeout("1m")), ["-d", "first_deploy"]);
  await new Promise((r) => setTimeout(r, 3000));
  const app = new Client({ connectionString: pg.url.replace(/\/postgres$/, "/first_deploy") });
  app.on("error", () => undefined);
  await app.connect();
  try {
    await app.query("CREATE TABLE reservations (guest_id int); CREATE TABLE sessions (guest_id int, created_at timestamptz); CREATE TABLE locks (room_id int)");
    const out = await run;
    t.regex(out, /reconcile: waiting for tables reservations, sessions, locks \(the app creates them on its first start\)/);
    const built = await app.query("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname LIKE 'idx_%'");
    t.is(built.rows[0].n, 4);
  } finally {
    await app.end();
  }

  await db.query("DROP DATABASE IF EXISTS never_deployed");
  await db.query("CREATE DATABASE never_deployed");
  const started = Date.now();
  const err = await t.throwsAsync(pg.psqlScript(renderReconcileSql(withTimeout("10s")), ["-d", "never_deployed"]));
  t.regex(err!.message, /reconcile: tables reservations, sessions, locks still missing after 5 s/);
  t.true(Date.now() - started < 20_000);
});

test.serial("rollback drops only what the stack created: a DBA's own pg_stat_statements and index stay", async (t) => {
  const extension = async () => (await db.query("SELECT obj_description(oid, 'pg_extension') AS note FROM pg_extension WHERE extname = 'pg_stat_statements'")).rows[0];
  await db.query("DROP EXTENSION IF EXISTS pg_stat_statements");
  await db.query("CREATE EXTENSION pg_stat_statements"); // the DBA's
  await db.query("CREATE INDEX IF NOT EXISTS dba_reservations_status ON reservations (status)");
  await reconcile(renderReconcileSql(prod.postgres));
  t.truthy(await extension(), "the DBA's extension is left alone");
  t.true((await indexState("dba_reservations_status")).exists);
  // One the stack created (marked) is dropped on rollback.
  await db.query("DROP EXTENSION pg_stat_statements");
  await reconcile(renderReconcileSql(dev.postgres));
  t.is((await extension()).note, "managed-by:hotel-stack");
  await reconcile(renderReconcileSql(prod.postgres));
  t.is(await extension(), undefined);
  await db.query("DROP INDEX dba_reservations_status");
});

test.serial("the exporter's monitoring role: created once with pg_monitor only (no superuser, no password); one of that name the stack did not create is left as it is", async (t) => {
  const role = async (name: string) =>
    (await db.query("SELECT rolsuper, rolcanlogin, rolpassword IS NULL AS no_password, pg_has_role(oid, 'pg_monitor', 'MEMBER') AS monitor FROM pg_authid WHERE rolname = $1", [name])).rows[0];
  for (let run = 0; run < 2; run++) {
    const out = await reconcile(renderReconcileSql(dev.postgres, { manageExtension: true, monitoringRole: "hotel_monitor" }));
    t.is((out.match(/^CREATE ROLE "hotel_monitor"/gm) ?? []).length, run === 0 ? 1 : 0, `run ${run + 1}`);
  }
  t.deepEqual(await role("hotel_monitor"), { rolsuper: false, rolcanlogin: true, no_password: true, monitor: true });
  await db.query("CREATE ROLE someone_elses LOGIN");
  const out = await reconcile(renderReconcileSql(dev.postgres, { manageExtension: true, monitoringRole: "someone_elses" }));
  t.regex(out, /reconcile: role someone_elses exists and was not created by the stack: left as it is/);
  t.false((await role("someone_elses")).monitor, "not granted pg_monitor");
  await db.query("DROP ROLE someone_elses");
});

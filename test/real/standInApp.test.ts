/**
 * The stand-in app honours the contract's settings (docs/APP_CONTRACT.md), shown by what
 * each one changes: the app runs as a local process (Debian's python3, the code of its
 * image) on a real PostgreSQL and Redis, once per setting value, under the same bounded
 * load on loopback. Every verdict is a count or an identity (waits, timeouts, backend
 * pids, TTLs), never a latency.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { PROJECT_DIR } from "../../config/stages";
import { PostgresServer, RedisServer, freePort, startPostgres, startRedis } from "../../lab/servers";
import { seedRowsSql } from "../../lab/pgWorkload";
import { createIndexSql, dropIndexSql } from "../../render/indexDdl";
import { stageConfig } from "../helpers";

const APP_DIR = path.join(PROJECT_DIR, "lab", "standInApp");
const DB = "hotel";
const ROWS = 2000;

let pg: PostgresServer;
let redis: RedisServer;
let admin: Client;

test.before(async () => {
  pg = await startPostgres("");
  redis = await startRedis('save ""\nappendonly no\n');
  const c = await pg.connect();
  await c.query(`CREATE DATABASE ${DB}`);
  await c.end();
  admin = new Client({ host: "127.0.0.1", port: pg.port, user: "postgres", database: DB });
  await admin.connect();
  // The app's own schema file, so the tests can seed before the first app starts.
  await admin.query(fs.readFileSync(path.join(APP_DIR, "schema.sql"), "utf8"));
});

test.after.always(async () => {
  await admin?.end();
  await redis?.stop();
  await pg?.stop();
});

interface App {
  url: string;
  metrics: () => Promise<Record<string, number>>;
  stop: () => Promise<void>;
}

/** The stand-in with the contract's variables (defaults as a small stage's), and `settings` on top. */
async function startApp(settings: Record<string, string>): Promise<App> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    PORT: String(port),
    SCHEMA_FILE: path.join(APP_DIR, "schema.sql"),
    DB_HOST: "127.0.0.1",
    DB_PORT: String(pg.port),
    DB_NAME: DB,
    DB_USER: "postgres",
    DB_PASSWORD: "",
    REDIS_HOST: "127.0.0.1",
    REDIS_PORT: String(redis.port),
    DB_POOL_SIZE: "5",
    DB_MAX_OVERFLOW: "0",
    DB_POOL_TIMEOUT_SECONDS: "30",
    DB_POOL_RECYCLE_SECONDS: "-1",
    DB_POOL_PRE_PING: "false",
    CACHE_TTL_RESERVATIONS_SECONDS: "900",
    CACHE_TTL_JITTER: "0",
    ...settings,
  };
  const proc: ChildProcess = spawn("/usr/bin/python3", ["-m", "app"], { cwd: APP_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (d) => (log += d));
  proc.stderr!.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100 || proc.exitCode !== null) throw new Error(`stand-in did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const metrics = async () =>
    Object.fromEntries(
      (await (await fetch(`${url}/metrics`)).text())
        .split("\n")
        .filter((l) => l.startsWith("db_pool_"))
        .map((l) => [l.split(" ")[0], Number(l.split(" ")[1])]),
    );
  const stop = () => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once("exit", () => r()), proc.kill())));
  return { url, metrics, stop };
}

async function seed(): Promise<void> {
  await admin.query("TRUNCATE reservations RESTART IDENTITY");
  await admin.query(
    `INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at) SELECT g % 500, g % 40, date '2026-12-24', 2, 'confirmed', now() FROM generate_series(1, ${ROWS}) g`,
  );
  await redisFlush();
}

const redisFlush = async () => void (await redis.client().flushall());

/** `clients` concurrent loops over distinct reservation ids (each a cache miss, so a checkout): `perClient` requests each. */
async function load(app: App, clients: number, perClient: number): Promise<number[]> {
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) statuses.push((await fetch(`${app.url}/reservations/${1 + c * perClient + i}`)).status);
    }),
  );
  return statuses;
}

const backendPids = async () => (await admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'stand-in-api' ORDER BY pid")).rows.map((r) => r.pid as number);

/**
 * The app's backends once a closed connection's has gone: a backend leaves
 * pg_stat_activity a moment after its client closes (found when a recycled connection's
 * old backend was still listed). At most 5 s; more than one after that is what it is.
 */
async function settledBackendPids(): Promise<number[]> {
  for (const until = Date.now() + 5_000; ; await new Promise((r) => setTimeout(r, 100))) {
    const pids = await backendPids();
    if (pids.length <= 1 || Date.now() > until) return pids;
  }
}

test.serial("DB_POOL_SIZE and DB_MAX_OVERFLOW: 16 clients wait on a pool of 1; never on 16, nor on 1 with an overflow of 15", async (t) => {
  const waits: Record<string, number> = {};
  for (const [label, size, overflow] of [
    ["1 + 0", "1", "0"],
    ["16 + 0", "16", "0"],
    ["1 + 15", "1", "15"],
  ]) {
    await seed();
    const app = await startApp({ DB_POOL_SIZE: size, DB_MAX_OVERFLOW: overflow });
    try {
      const statuses = await load(app, 16, 25);
      t.deepEqual([...new Set(statuses)], [200], label);
      const m = await app.metrics();
      t.true(m.db_pool_checkouts_total >= 400, `${label}: ${m.db_pool_checkouts_total} checkouts`);
      waits[label] = m.db_pool_waits_total;
    } finally {
      await app.stop();
    }
  }
  t.log(`checkouts that found the pool full, of 400 under 16 clients: ${JSON.stringify(waits)}`);
  t.true(waits["1 + 0"] > 0);
  t.is(waits["16 + 0"], 0);
  t.is(waits["1 + 15"], 0);
});

test.serial("DB_POOL_TIMEOUT_SECONDS: with the only connection held, the next request gets a 503 after the timeout and is counted", async (t) => {
  await seed();
  const app = await startApp({ DB_POOL_SIZE: "1", DB_MAX_OVERFLOW: "0", DB_POOL_TIMEOUT_SECONDS: "1" });
  const blocker = new Client({ host: "127.0.0.1", port: pg.port, user: "postgres", database: DB });
  await blocker.connect();
  try {
    // The app's one connection blocks on the lock; the second request finds the pool empty.
    await blocker.query("BEGIN; LOCK TABLE reservations IN ACCESS EXCLUSIVE MODE");
    const held = fetch(`${app.url}/reservations/1`);
    await new Promise((r) => setTimeout(r, 300));
    t.is((await fetch(`${app.url}/reservations/2`)).status, 503);
    t.like(await app.metrics(), { db_pool_timeouts_total: 1, db_pool_connections_in_use: 1 });
    await blocker.query("COMMIT");
    t.is((await held).status, 200);
  } finally {
    await blocker.end();
    await app.stop();
  }
});

test.serial("DB_POOL_PRE_PING: a connection the server ended is replaced unseen with it, and fails a request without it", async (t) => {
  const after: Record<string, number> = {};
  for (const prePing of ["true", "false"]) {
    await seed();
    const app = await startApp({ DB_POOL_SIZE: "1", DB_POOL_PRE_PING: prePing });
    try {
      t.is((await fetch(`${app.url}/reservations/1`)).status, 200);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stand-in-api'");
      after[prePing] = (await fetch(`${app.url}/reservations/2`)).status;
    } finally {
      await app.stop();
    }
  }
  t.deepEqual(after, { true: 200, false: 500 });
});

/**
 * A TCP relay to PostgreSQL that, once armed, holds each new connection for `delayMs`
 * before it passes anything on: a server slow to answer a connect, as a busy machine's
 * PostgreSQL is while it forks, authenticates and preloads.
 */
async function slowRelay(delayMs: number): Promise<{ port: number; arm: () => void; close: () => Promise<void> }> {
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.pause();
    sockets.add(client);
    setTimeout(
      () => {
        const upstream = net.connect(pg.port, "127.0.0.1", () => (client.pipe(upstream).pipe(client), client.resume()));
        sockets.add(upstream);
        const end = () => (client.destroy(), upstream.destroy());
        upstream.on("error", end).on("close", end);
        client.on("error", end).on("close", end);
      },
      armed ? delayMs : 0,
    );
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const close = () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r())));
  return { port, arm: () => void (armed = true), close };
}

test.serial("a connect slower than 3 s is waited for (the contract's app, through asyncpg, waits 60 s): the request is served, not failed", async (t) => {
  await seed();
  const relay = await slowRelay(4_000);
  const app = await startApp({ DB_PORT: String(relay.port), DB_POOL_SIZE: "1", DB_POOL_PRE_PING: "true" });
  try {
    relay.arm();
    // The pool's one connection ends; the next checkout's ping finds it dead and opens a new one, through the slow relay.
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'stand-in-api'");
    const started = Date.now();
    const res = await fetch(`${app.url}/reservations/1`);
    const waited = Date.now() - started;
    t.is(res.status, 200, await res.text());
    t.true(waited >= 4_000, `the request waited ${waited} ms: the new connection went through the slow relay`);
  } finally {
    await app.stop();
    await relay.close();
  }
});

test.serial("DB_POOL_RECYCLE_SECONDS: a connection older than it is replaced at checkout; with -1 it is kept", async (t) => {
  const sameBackend: Record<string, boolean> = {};
  for (const recycle of ["1", "-1"]) {
    await seed();
    const app = await startApp({ DB_POOL_SIZE: "1", DB_POOL_RECYCLE_SECONDS: recycle });
    try {
      await fetch(`${app.url}/reservations/1`);
      const before = await backendPids();
      await new Promise((r) => setTimeout(r, 1500));
      await fetch(`${app.url}/reservations/2`);
      const later = await settledBackendPids();
      t.is(later.length, 1, recycle);
      sameBackend[recycle] = before[0] === later[0];
    } finally {
      await app.stop();
    }
  }
  t.deepEqual(sameBackend, { "1": false, "-1": true });
});

test.serial("DB_POOL_USE_LIFO: one request after another reuses the last connection with it, and goes round every pooled one without it", async (t) => {
  const served: Record<string, { used: number; open: number }> = {};
  for (const lifo of ["true", "false"]) {
    await seed();
    const app = await startApp({ DB_POOL_SIZE: "3", DB_POOL_USE_LIFO: lifo });
    try {
      // Requests at once open more than one connection; then ten one after another.
      await load(app, 3, 10);
      const pids: number[] = [];
      for (let i = 0; i < 10; i++) pids.push((await (await fetch(`${app.url}/health`)).json()).backend_pid);
      served[lifo] = { used: new Set(pids).size, open: (await backendPids()).length };
    } finally {
      await app.stop();
    }
  }
  t.log(JSON.stringify(served));
  t.true(served.true.open >= 2 && served.false.open >= 2, "both pools had more than one connection to choose from");
  t.is(served.true.used, 1, "LIFO: always the connection returned last");
  t.is(served.false.used, served.false.open, "FIFO: every open connection in turn");
});

test.serial("CACHE_TTL_RESERVATIONS_SECONDS and CACHE_TTL_JITTER: every cached reservation gets the class's TTL, spread by the jitter", async (t) => {
  const ttls: Record<string, number[]> = {};
  for (const jitter of ["0", "0.1"]) {
    await seed();
    const app = await startApp({ CACHE_TTL_RESERVATIONS_SECONDS: "900", CACHE_TTL_JITTER: jitter });
    try {
      await load(app, 4, 25);
      const c = redis.client();
      ttls[jitter] = await Promise.all(Array.from({ length: 100 }, (_, i) => c.ttl(`reservation:${i + 1}`)));
    } finally {
      await app.stop();
    }
  }
  t.true(
    ttls["0"].every((s) => s >= 898 && s <= 900),
    `no jitter: ${[...new Set(ttls["0"])]}`,
  );
  t.true(
    ttls["0.1"].every((s) => s >= 808 && s <= 990),
    `jitter 0.1: ${Math.min(...ttls["0.1"])}..${Math.max(...ttls["0.1"])}`,
  );
  t.true(new Set(ttls["0.1"]).size >= 20, `jitter 0.1 spreads the expiries: ${new Set(ttls["0.1"]).size} distinct TTLs of 100`);
});

/** The roadmap's four reads as the stand-in serves them, each with the index the roadmap adds for it. */
const ROADMAP_READS: [string, (i: number) => string, string, string][] = [
  ["reservations by guest", (i) => `/guests/${i}/reservations`, "idx_reservations_guest_id", "reservations"],
  ["sessions by guest", (i) => `/guests/${i}/sessions`, "idx_sessions_guest_id", "sessions"],
  ["sessions of the last 24 h", () => "/sessions/recent", "idx_sessions_created_at", "sessions"],
  ["locks by room", (i) => `/rooms/${i}/locks`, "idx_locks_room_id", "locks"],
];

/** Scans of an index and of its table so far, as the statistics show them. */
async function scans(index: string, table: string): Promise<{ idx: number; seq: number }> {
  await admin.query("SELECT pg_stat_clear_snapshot()");
  const idx = (await admin.query("SELECT COALESCE(sum(idx_scan), 0)::int AS n FROM pg_stat_user_indexes WHERE indexrelname = $1", [index])).rows[0].n as number;
  const seq = (await admin.query("SELECT seq_scan::int AS n FROM pg_stat_user_tables WHERE relname = $1", [table])).rows[0].n as number;
  return { idx, seq };
}

/**
 * The scans once `enough` holds, or after about 20 s. A backend reports its statistics at
 * the end of a transaction at most once a second, else when idle for 10 s: a request a
 * second later (/health, on the app's one connection) makes it report sooner.
 */
async function scansOnce(app: App, index: string, table: string, enough: (s: { idx: number; seq: number }) => boolean) {
  for (let i = 0; ; i++) {
    await new Promise((r) => setTimeout(r, 1100));
    await fetch(`${app.url}/health`);
    const s = await scans(index, table);
    if (enough(s) || i >= 18) return s;
  }
}

test.serial("the roadmap's reads: each reaches the index the roadmap adds for it; without the index, a sequential scan of its table", async (t) => {
  await admin.query("TRUNCATE reservations, sessions, locks RESTART IDENTITY");
  await admin.query(seedRowsSql({ reservations: 100_000, sessions: 50_000, locks: 20_000 }));
  const indexes = stageConfig("dev").postgres.indexes;
  t.deepEqual(indexes.map((i) => i.name).sort(), ROADMAP_READS.map((r) => r[2]).sort(), "dev declares the roadmap's four indexes");
  for (const ix of indexes) await admin.query(createIndexSql(ix));
  await admin.query("VACUUM ANALYZE");
  // The test's own session reports what its statements scanned (a second on, at its next transaction's end).
  await new Promise((r) => setTimeout(r, 1100));
  await admin.query("SELECT 1");
  await redisFlush();
  // One connection: its statistics are the ones to wait for.
  const app = await startApp({ DB_POOL_SIZE: "1" });
  try {
    for (const [label, path, index, table] of ROADMAP_READS) {
      const before = await scans(index, table);
      for (let i = 1; i <= 20; i++) t.is((await fetch(`${app.url}${path(i)}`)).status, 200, label);
      const after = await scansOnce(app, index, table, (s) => s.idx - before.idx >= 20);
      t.true(after.idx - before.idx >= 20, `${label}: ${after.idx - before.idx} scans of ${index}`);
      t.is(after.seq - before.seq, 0, `${label}: no sequential scan of ${table}`);
    }
    // Quick win 4 rolled back: the same reads scan their tables.
    for (const ix of indexes) await admin.query(dropIndexSql(ix.name));
    await admin.query("ANALYZE");
    await redisFlush();
    for (const [label, path, , table] of ROADMAP_READS) {
      const before = await scans("none", table);
      for (let i = 21; i <= 25; i++) await fetch(`${app.url}${path(i)}`);
      const after = await scansOnce(app, "none", table, (s) => s.seq - before.seq >= 5);
      t.true(after.seq - before.seq >= 5, `${label} without its index: ${after.seq - before.seq} sequential scans of ${table}`);
    }
  } finally {
    await app.stop();
  }
});

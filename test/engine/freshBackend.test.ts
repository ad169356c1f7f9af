/**
 * The first opening of a fresh shared PostgreSQL backend, raced. Pulumi's backend creates
 * its table with `CREATE TABLE IF NOT EXISTS`, and a process that loses the race to a
 * concurrent creator fails before doing anything (the driver's own two reads, started side
 * by side, did so on a full run: the state of a new stage "could not be read"). The race is
 * made certain here: a session of the test holds the same table's creation uncommitted,
 * the CLI's creation waits on it, and the test commits once the CLI is seen waiting. Each
 * case gets a database of its own on one real PostgreSQL.
 */
import { execFileSync, spawn } from "child_process";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { PROJECT_DIR } from "../../config/stages";
import { cliAsync, lostTableCreationRace, toolchainBin } from "../../ops/engine/toolchain";
import { PG_BIN, PostgresServer, startPostgres } from "../../lab/servers";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";
import { tempDir } from "../fixtures/files";

/** A read that opens the backend and needs no stack or passphrase; on an empty backend it prints []. */
const LIST_STACKS = ["stack", "ls", "--all", "--json"];

let pg: PostgresServer;
/** The backend's table, index and key as Pulumi creates them, dumped from a database the CLI opened alone. */
let tableDdl: string;

const backendUrl = (db: string) => `postgres://postgres@127.0.0.1:${pg.port}/${db}?sslmode=disable`;
const cliEnv = (db: string) => ({ PULUMI_BACKEND_URL: backendUrl(db), PULUMI_HOME: tempDir("fresh-backend-home"), PULUMI_SKIP_UPDATE_CHECK: "true" });

test.before(async () => {
  pg = await startPostgres("");
  await createDatabase("opened_alone");
  await cliAsync(toolchainBin(), cliEnv("opened_alone"), PROJECT_DIR, LIST_STACKS);
  const dump = execFileSync(`${PG_BIN}/pg_dump`, ["--schema-only", "--table", "pulumi_state", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "opened_alone"], { encoding: "utf8" });
  // psql's meta-commands (\restrict) are not SQL.
  tableDdl = dump
    .split("\n")
    .filter((line) => !line.startsWith("\\"))
    .join("\n");
});

test.after.always(async () => {
  await pg?.stop();
});

async function createDatabase(name: string): Promise<void> {
  const admin = await pg.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

/** Whether a session on `db` other than the holder waits on a lock. */
async function someoneWaits(db: string): Promise<boolean> {
  const admin = await pg.connect();
  const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [db]);
  await admin.end();
  return rows[0].n > 0;
}

/**
 * Runs `call` against a fresh database `db` while this test's session creates the same
 * table, uncommitted; commits once `call`'s creation waits on it, then returns what `call` gave.
 */
async function raced<T>(db: string, call: () => Promise<T>): Promise<T> {
  await createDatabase(db);
  const holder = new Client({ connectionString: backendUrl(db) });
  await holder.connect();
  await holder.query("BEGIN");
  await holder.query(tableDdl);
  let settled = false;
  // A call that ends without waiting (it failed some other way) ends the wait too: its own error shows.
  const outcome = call().finally(() => (settled = true));
  const deadline = Date.now() + 60_000;
  while (!settled && !(await someoneWaits(db))) {
    if (Date.now() > deadline) throw new Error(`the CLI never waited on the table's creation in ${db}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await holder.query("COMMIT");
  await holder.end();
  return outcome;
}

/** A child process's exit code, stdout and stderr. */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT_DIR, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test.serial("the race is real: the stock CLI that loses it fails before doing anything, and the driver recognises its error", async (t) => {
  const res = await raced("raw_cli", () => run(path.join(toolchainBin(), "pulumi"), LIST_STACKS, cliEnv("raw_cli")));
  t.not(res.code, 0);
  t.regex(res.stderr, /unable to open bucket .*failed to create table pulumi_state: pq: duplicate key value violates unique constraint "pg_type_typname_nsp_index" \(23505\)/);
  t.true(lostTableCreationRace(res.stderr));
  t.false(lostTableCreationRace("error: unable to open bucket postgres://x: failed to ping PostgreSQL: dial tcp: connection refused"), "another failure to open is not retried");
});

test.serial("the driver's read started beside other work (cliAsync) loses the race and reads the backend", async (t) => {
  const stacks = await raced("driver_async", () => cliAsync(toolchainBin(), cliEnv("driver_async"), PROJECT_DIR, LIST_STACKS));
  t.deepEqual(JSON.parse(stacks), []);
});

test.serial("the driver's blocking CLI call (cli) loses the race and reads the backend", async (t) => {
  // In a child process: the call blocks its own event loop while this one commits.
  const probe = `const t = require("./ops/engine/toolchain");
process.stdout.write(t.cli(t.toolchainBin(), ${JSON.stringify(cliEnv("driver_sync"))}, ${JSON.stringify(PROJECT_DIR)}, ${JSON.stringify(LIST_STACKS)}));`;
  const res = await raced("driver_sync", () => run(process.execPath, [...TS_ENTRY_ARGS, "-e", probe], {}));
  t.is(res.code, 0, res.stderr);
  t.deepEqual(JSON.parse(res.stdout), []);
});

/**
 * The app role's script on a real PostgreSQL, run as the Job and the Docker container
 * run it (psql -f app-role.sql as the owner, the password's SCRAM verifier in
 * APP_PASSWORD_VERIFIER): the role it makes logs in with that password and can do what
 * the app does, and nothing an owner can.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { APP_VERIFIER_ENV, renderAppRoleSql, scramVerifier } from "../../render/credentials";
import { PG_BIN, PostgresServer, startPostgres } from "../../lab/servers";

let pg: PostgresServer;
let admin: Client;
const DB = "hotel";
const FIRST = "app-password-3c5e7a";
const SECOND = "app-password-9d1b42";

test.before(async () => {
  pg = await startPostgres("");
  admin = await pg.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  const hba = path.join(pg.dir, "data", "pg_hba.conf");
  fs.writeFileSync(hba, `host all hotel_app,someone_else 127.0.0.1/32 scram-sha-256\n` + fs.readFileSync(hba, "utf8"));
  await admin.query("SELECT pg_reload_conf()");
  // A table an app connected as the owner made before the app had a role of its own.
  await ownerQuery("CREATE TABLE reservations (id bigserial PRIMARY KEY, status text NOT NULL)");
});

test.after.always(async () => {
  await admin?.end();
  await pg?.stop();
});

async function ownerQuery(sql: string) {
  const c = new Client({ host: "127.0.0.1", port: pg.port, user: "postgres", database: DB });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

function runScript(role: string, verifier: string | undefined) {
  const script = path.join(pg.dir, "app-role.sql");
  fs.writeFileSync(script, renderAppRoleSql(role, DB, "public"));
  const env: NodeJS.ProcessEnv = { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres", PGDATABASE: DB };
  if (verifier !== undefined) env[APP_VERIFIER_ENV] = verifier;
  else delete env[APP_VERIFIER_ENV];
  return spawnSync(`${PG_BIN}/psql`, ["-X", "-v", "ON_ERROR_STOP=1", "-f", script], { encoding: "utf8", env });
}

/** Logs in as the app would and runs its statements; the error's message when one fails. */
async function asApp(password: string, ...statements: string[]): Promise<string> {
  const c = new Client({ host: "127.0.0.1", port: pg.port, user: "hotel_app", database: DB, password });
  try {
    await c.connect();
    for (const s of statements) await c.query(s);
    return "ok";
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

test.serial("the script makes hotel_app with the password behind the verifier: it logs in, and is no superuser, CREATEDB or CREATEROLE", async (t) => {
  const run = runScript("hotel_app", scramVerifier(FIRST));
  t.is(run.status, 0, run.stderr);
  t.is(await asApp(FIRST, "SELECT 1"), "ok");
  t.regex(await asApp("wrong-password", "SELECT 1"), /password authentication failed for user "hotel_app"/);
  const role = (await admin.query("SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, shobj_description(oid, 'pg_authid') AS mark FROM pg_roles WHERE rolname = 'hotel_app'"))
    .rows[0];
  t.deepEqual(role, { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, mark: "managed-by:hotel-stack" });
});

test.serial("hotel_app does what the app does (its own tables, the owner's older ones) and none of what the owner does", async (t) => {
  t.is(await asApp(FIRST, "CREATE TABLE IF NOT EXISTS sessions (id bigserial PRIMARY KEY, token text)", "INSERT INTO sessions (token) VALUES ('t')", "SELECT * FROM sessions"), "ok");
  t.is(await asApp(FIRST, "INSERT INTO reservations (status) VALUES ('confirmed')", "UPDATE reservations SET status = 'cancelled'", "SELECT * FROM reservations", "DELETE FROM reservations"), "ok");
  t.regex(await asApp(FIRST, "CREATE EXTENSION pg_stat_statements"), /permission denied to create extension/);
  t.regex(await asApp(FIRST, "ALTER ROLE postgres PASSWORD 'x'"), /must be superuser to alter superuser roles/);
  t.regex(await asApp(FIRST, "DROP TABLE reservations"), /must be owner of table reservations/);
  t.regex(await asApp(FIRST, "CREATE DATABASE other"), /permission denied to create database/);
  t.regex(await asApp(FIRST, "SET log_statement = 'none'"), /permission denied to set parameter "log_statement"/);
});

test.serial("a re-run is idempotent; a new verifier moves the role to the new password, and the old one stops working", async (t) => {
  t.is(runScript("hotel_app", scramVerifier(FIRST)).status, 0);
  t.is(await asApp(FIRST, "SELECT 1"), "ok");
  const run = runScript("hotel_app", scramVerifier(SECOND));
  t.is(run.status, 0, run.stderr);
  t.is(await asApp(SECOND, "SELECT 1"), "ok");
  t.regex(await asApp(FIRST, "SELECT 1"), /password authentication failed/);
  t.is((await admin.query("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'hotel_app'")).rows[0].n, 1);
});

test.serial("no verifier in the environment: the run fails naming the variable, and the role keeps its password", async (t) => {
  for (const verifier of [undefined, "", SECOND]) {
    const run = runScript("hotel_app", verifier);
    t.is(run.status, 3, String(verifier));
    t.regex(run.stderr, /app role: APP_PASSWORD_VERIFIER holds no SCRAM-SHA-256 verifier; nothing was changed/);
  }
  t.is(await asApp(SECOND, "SELECT 1"), "ok");
});

test.serial("a role of that name the stack did not create is not taken over: the run fails and its password stays", async (t) => {
  await admin.query("CREATE ROLE someone_else LOGIN SUPERUSER PASSWORD 'theirs-1a2b'");
  const run = runScript("someone_else", scramVerifier(FIRST));
  t.is(run.status, 3);
  t.regex(run.stderr, /app role: role someone_else exists and was not created by the stack; its password and rights were left as they are/);
  const role = (await admin.query("SELECT rolsuper, shobj_description(oid, 'pg_authid') AS mark FROM pg_roles WHERE rolname = 'someone_else'")).rows[0];
  t.deepEqual(role, { rolsuper: true, mark: null });
  const c = new Client({ host: "127.0.0.1", port: pg.port, user: "someone_else", database: DB, password: "theirs-1a2b" });
  await c.connect();
  t.is((await c.query("SELECT current_user AS u")).rows[0].u, "someone_else");
  await c.end();
});

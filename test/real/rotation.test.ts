/**
 * The password rotation's SQL on a real PostgreSQL, run exactly as the in-cluster Job
 * runs it (psql -f rotate.sql as the role, current password in PGPASSWORD, the new one's
 * SCRAM verifier in NEXT_PASSWORD_VERIFIER), on a server that records everything it can:
 * every statement logged, utility statements tracked by pg_stat_statements.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { CURRENT_PASSWORD_ENV, NEXT_PASSWORD_ENV, NEXT_VERIFIER_ENV, ROTATE_SH_FILE, ROTATE_SQL_FILE, renderRotateScript, renderRotateSql, scramVerifier } from "../../render/credentials";
import { PG_BIN, PostgresServer, startPostgres } from "../../lab/servers";

let pg: PostgresServer;
let admin: Client;
const ROLE = "hotel";
const OLD = "old-password-1f2e3d";
const NEW = "new-password-9a8b7c";

const RECORD_EVERYTHING = [
  "shared_preload_libraries = 'pg_stat_statements'",
  "pg_stat_statements.track = 'all'",
  "pg_stat_statements.track_utility = on",
  "log_statement = 'all'",
  "log_min_duration_statement = 0",
  "log_min_error_statement = 'error'",
  "",
].join("\n");

test.before(async () => {
  pg = await startPostgres(RECORD_EVERYTHING);
  admin = await pg.connect();
  await admin.query("CREATE EXTENSION pg_stat_statements");
  // A plain role, as the app's is: no superuser, may change only its own password.
  await admin.query(`CREATE ROLE ${ROLE} LOGIN NOSUPERUSER PASSWORD '${OLD}'`);
  await admin.query(`CREATE ROLE intruder LOGIN NOSUPERUSER PASSWORD 'intruder-pw'`);
  // Password authentication for the roles over TCP (the fixture trusts everyone else).
  const hba = path.join(pg.dir, "data", "pg_hba.conf");
  fs.writeFileSync(hba, `host all ${ROLE},intruder 127.0.0.1/32 scram-sha-256\n` + fs.readFileSync(hba, "utf8"));
  await admin.query("SELECT pg_reload_conf()");
});

test.after.always(async () => {
  await admin?.end();
  await pg?.stop();
});

const login = async (password: string) => {
  const c = new Client({ host: "127.0.0.1", port: pg.port, user: ROLE, database: "postgres", password });
  try {
    await c.connect();
    return (await c.query("SELECT current_user AS u")).rows[0].u as string;
  } finally {
    await c.end().catch(() => undefined);
  }
};

function runRotation(user: string, current: string, nextVerifier: string) {
  const script = path.join(pg.dir, "rotate.sql");
  fs.writeFileSync(script, renderRotateSql(ROLE));
  return spawnSync(`${PG_BIN}/psql`, ["-X", "-v", "ON_ERROR_STOP=1", "-f", script], {
    encoding: "utf8",
    env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: user, PGDATABASE: "postgres", PGPASSWORD: current, [NEXT_VERIFIER_ENV]: nextVerifier },
  });
}

/** Every place a server keeps statement text: statistics, activity, the log. */
async function serverRecords(): Promise<string> {
  const stats = (await admin.query("SELECT string_agg(query, E'\\n') AS q FROM pg_stat_statements")).rows[0].q as string;
  const activity = (await admin.query("SELECT string_agg(query, E'\\n') AS q FROM pg_stat_activity")).rows[0].q as string;
  return `${stats}\n${activity}\n${pg.serverLog()}`;
}

test.serial("the client computes the verifier PostgreSQL itself stores for a password (same salt, same iterations)", async (t) => {
  await admin.query("SET password_encryption = 'scram-sha-256'");
  await admin.query("CREATE ROLE probe PASSWORD 'probe-password-77'");
  const stored = (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'probe'")).rows[0].rolpassword as string;
  const salt = Buffer.from(stored.split("$")[1].split(":")[1], "base64");
  t.regex(stored, /^SCRAM-SHA-256\$4096:/);
  t.is(scramVerifier("probe-password-77", salt), stored);
  t.not(scramVerifier("probe-password-78", salt), stored);
  // The stack's verifier is the same for the same password (a stable render), another for another.
  t.is(scramVerifier(NEW), scramVerifier(NEW));
  t.not(scramVerifier(NEW), scramVerifier(OLD));
  await admin.query("DROP ROLE probe");
});

test.serial("a plain role rotates its own password with the script: the old one is refused, the new one works, and the new password reaches no statistics, activity or log", async (t) => {
  t.is(await login(OLD), ROLE);
  const res = runRotation(ROLE, OLD, scramVerifier(NEW));
  t.is(res.status, 0, res.stderr);
  await t.throwsAsync(login(OLD), { message: /password authentication failed for user "hotel"/ });
  t.is(await login(NEW), ROLE);
  const records = await serverRecords();
  // The statement was recorded (so the check below looks where the password would be)...
  t.regex(records, /ALTER ROLE "hotel" WITH PASSWORD/);
  t.regex(pg.serverLog(), /statement: ALTER ROLE "hotel" WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
  // ...but only with the verifier, which cannot log in.
  t.false(records.includes(NEW), "the new password is in no server record");
  t.false(res.stdout.includes(NEW) || res.stderr.includes(NEW));
});

test.serial("a rotation that fails on the server leaves the password unchanged and puts no password in its error", async (t) => {
  const third = "third-password-5c4d";
  // Another role may not change this one's password: the ALTER fails on the server, and the log shows the statement.
  const res = runRotation("intruder", "intruder-pw", scramVerifier(third));
  t.not(res.status, 0);
  t.regex(res.stderr, /rotate\.sql:\d+: ERROR:  permission denied/);
  t.is(await login(NEW), ROLE);
  t.regex(pg.serverLog(), /ERROR: {2}permission denied[\s\S]*STATEMENT: {2}ALTER ROLE "hotel" WITH PASSWORD 'SCRAM-SHA-256/);
  t.false((await serverRecords()).includes(third), "the failed rotation's password is in no server record");
});

test.serial("with the wrong current password the script changes nothing", async (t) => {
  const res = runRotation(ROLE, "not-the-password", scramVerifier("fourth-password-1a2b"));
  t.not(res.status, 0);
  t.regex(res.stderr, /password authentication failed/);
  t.is(await login(NEW), ROLE);
});

/** rotate.sh as the Job runs it: the current and next passwords and the verifier in its environment. */
function runRotateScript(current: string, next: string) {
  fs.writeFileSync(path.join(pg.dir, ROTATE_SQL_FILE), renderRotateSql(ROLE));
  fs.writeFileSync(path.join(pg.dir, ROTATE_SH_FILE), renderRotateScript());
  return spawnSync("sh", [path.join(pg.dir, ROTATE_SH_FILE)], {
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${PG_BIN}:${process.env.PATH}`,
      PGHOST: "127.0.0.1",
      PGPORT: String(pg.port),
      PGUSER: ROLE,
      PGDATABASE: "postgres",
      [CURRENT_PASSWORD_ENV]: current,
      [NEXT_PASSWORD_ENV]: next,
      [NEXT_VERIFIER_ENV]: scramVerifier(next),
    },
  });
}

test.serial("the Job's rotate.sh is idempotent: it rotates once, a re-run after it finds the role on the next password and changes nothing, and with neither password it fails", async (t) => {
  const fifth = "fifth-password-6e7f";
  const first = runRotateScript(NEW, fifth);
  t.is(first.status, 0, first.stderr);
  t.regex(first.stdout, /rotate: the role has the next password/);
  t.is(await login(fifth), ROLE);
  const stored = async () => (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [ROLE])).rows[0].rolpassword as string;
  const verifier = await stored();
  // Re-run (a run killed after the Job, then the same rotation again): the current password no longer logs in, the next one does.
  const again = runRotateScript(NEW, fifth);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stdout, /rotate: the role already has the next password: nothing to do/);
  t.is(await stored(), verifier, "the role's verifier is untouched");
  // Neither password logs in (the role was changed by hand): it fails, and the role keeps what it has.
  const neither = runRotateScript("wrong-current", "wrong-next");
  t.not(neither.status, 0);
  t.regex(neither.stderr, /password authentication failed for user "hotel"/);
  t.is(await stored(), verifier);
  t.false((await serverRecords()).includes(fifth), "the next password reached no server record");
});

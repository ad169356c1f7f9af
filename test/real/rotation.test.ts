/**
 * The password rotation's SQL on a real PostgreSQL, run exactly as the in-cluster Job
 * runs it (psql -f rotate.sql as the role, current password in PGPASSWORD, the new one
 * in NEXT_PASSWORD). A Job under kwok runs nothing, so this is where the SQL is proven.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { NEXT_PASSWORD_ENV, renderRotateSql } from "../../render/credentials";
import { PG_BIN, PostgresServer, startPostgres } from "../../lab/servers";

let pg: PostgresServer;
const ROLE = "hotel";
const OLD = "old-password-1f2e3d";
const NEW = "new-password-9a8b7c";

test.before(async () => {
  // Every statement logged, as a badly set stage would: the rotation must still keep the password out.
  pg = await startPostgres("log_statement = 'all'\nlog_min_duration_statement = 0\n");
  const admin = await pg.connect();
  await admin.query(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${OLD}'`);
  // Password authentication for the role over TCP (the fixture trusts everyone else).
  const hba = path.join(pg.dir, "data", "pg_hba.conf");
  fs.writeFileSync(hba, `host all ${ROLE} 127.0.0.1/32 scram-sha-256\n` + fs.readFileSync(hba, "utf8"));
  await admin.query("SELECT pg_reload_conf()");
  await admin.end();
});

test.after.always(async () => {
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

test.serial("the rotation script changes the role's password: the old one is refused, the new one works, and the new one never reaches the server's log", async (t) => {
  t.is(await login(OLD), ROLE);
  const script = path.join(pg.dir, "rotate.sql");
  fs.writeFileSync(script, renderRotateSql(ROLE));
  const res = spawnSync(`${PG_BIN}/psql`, ["-X", "-v", "ON_ERROR_STOP=1", "-f", script], {
    encoding: "utf8",
    env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: ROLE, PGDATABASE: "postgres", PGPASSWORD: OLD, [NEXT_PASSWORD_ENV]: NEW },
  });
  t.is(res.status, 0, res.stderr);
  await t.throwsAsync(login(OLD), { message: /password authentication failed for user "hotel"/ });
  t.is(await login(NEW), ROLE);
  t.false(pg.serverLog().includes(NEW), "the new password is not in the server log");
  t.false(res.stdout.includes(NEW) || res.stderr.includes(NEW));
});

test.serial("with the wrong current password the script changes nothing", async (t) => {
  const script = path.join(pg.dir, "rotate.sql");
  const res = spawnSync(`${PG_BIN}/psql`, ["-X", "-v", "ON_ERROR_STOP=1", "-f", script], {
    encoding: "utf8",
    env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: ROLE, PGDATABASE: "postgres", PGPASSWORD: "not-the-password", [NEXT_PASSWORD_ENV]: "third" },
  });
  t.not(res.status, 0);
  t.regex(res.stderr, /password authentication failed/);
  t.is(await login(NEW), ROLE);
});

/**
 * The database credentials beyond the password itself: the checksum that rolls the app's
 * pods when the password changes, and the script that rotates the role's password.
 */
import * as crypto from "crypto";
import { checksum } from "./checksum";
import { MANAGED_MARKER, quoteIdent, sqlText } from "./sql";

/** Pod annotation: a one-way checksum of the password (a changed password rolls the pods). Redacted in published renders. */
export const CREDENTIALS_CHECKSUM = "hotel-reservation/credentials-checksum";
export const credentialsChecksum = (password: string) => checksum("postgres-credentials", password);

/**
 * Where the rotation Job mounts its scripts, and the variables it reads: the password
 * the role is known to have, the next one (only to try logging in with it: SCRAM never
 * sends it to the server) and the next one's SCRAM verifier (what the server gets).
 */
export const ROTATION_DIR = "/rotation";
export const ROTATE_SQL_FILE = "rotate.sql";
export const ROTATE_SH_FILE = "rotate.sh";
export const CURRENT_PASSWORD_ENV = "CURRENT_PASSWORD";
export const NEXT_PASSWORD_ENV = "NEXT_PASSWORD";
export const NEXT_VERIFIER_ENV = "NEXT_PASSWORD_VERIFIER";

/** The app role's Job: where its script is mounted, and the variable with the role's SCRAM verifier. */
export const APP_ROLE_DIR = "/app-role";
export const APP_ROLE_SQL_FILE = "app-role.sql";
export const APP_VERIFIER_ENV = "APP_PASSWORD_VERIFIER";
export const APP_ROLE_APP_NAME = "hotel-stack-app-role";

/** PostgreSQL's own iteration count for SCRAM-SHA-256 (scram_iterations' default). */
const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, as
 * pg_authid.rolpassword holds it). ALTER ROLE ... PASSWORD with a verifier stores it as
 * it is, so the password itself never reaches the server: its statistics, activity view
 * and log see only the verifier, which cannot log in. The salt is derived from the
 * password so that a render is stable (a new salt each run would change the Secret at
 * every preview); the passwords are random, so no two roles share a salt.
 */
export function scramVerifier(password: string, salt: Buffer = crypto.createHash("sha256").update(`scram-salt:${password}`).digest().subarray(0, 16)): string {
  // SASLprep is the identity on printable ASCII; other passwords would need it.
  if (!/^[\x21-\x7e]+$/.test(password)) throw new Error("scramVerifier: the password must be printable ASCII (the stack's are hex)");
  const salted = crypto.pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  const hmac = (key: Buffer, text: string) => crypto.createHmac("sha256", key).update(text).digest();
  const storedKey = crypto.createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Rotates the role's password. Run as that role with the current password (PGPASSWORD)
 * and the new one's SCRAM verifier in $NEXT_PASSWORD_VERIFIER: psql reads it from the
 * environment itself, so it is never on a command line, and the server gets only the
 * verifier. A role may change its own password, so no superuser is needed (an earlier
 * version turned statement logging off, which a plain role may not do).
 */
export function renderRotateSql(role: string): string {
  return [
    "-- Rendered by the hotel-reservation Pulumi stack: rotates the application role's password.",
    `-- Run with: PGPASSWORD=<current> ${NEXT_VERIFIER_ENV}=<SCRAM-SHA-256 verifier of the new one> psql -v ON_ERROR_STOP=1 -f rotate.sql`,
    "\\set ON_ERROR_STOP on",
    `\\set next_verifier \`printenv ${NEXT_VERIFIER_ENV}\``,
    `ALTER ROLE ${quoteIdent(role)} WITH PASSWORD :'next_verifier';`,
    "",
  ].join("\n");
}

/**
 * The rotation Job's entry point, idempotent so that a re-run after any interruption
 * finishes the rotation: when the role already takes the next password (an earlier run
 * got that far) there is nothing to do; else it logs in with the current one and runs
 * rotate.sql; when neither logs in it fails, changing nothing. Connection settings
 * (PGHOST, PGUSER, ...) come from the environment.
 */
export function renderRotateScript(): string {
  return [
    "#!/bin/sh",
    "# Rendered by the hotel-reservation Pulumi stack: moves the role to the next password, once.",
    "set -eu",
    `if PGPASSWORD="$${NEXT_PASSWORD_ENV}" psql -X -Atq -c 'SELECT 1' >/dev/null 2>&1; then`,
    '  echo "rotate: the role already has the next password: nothing to do"',
    "  exit 0",
    "fi",
    `PGPASSWORD="$${CURRENT_PASSWORD_ENV}" psql -X -v ON_ERROR_STOP=1 -f "$(dirname "$0")/${ROTATE_SQL_FILE}"`,
    'echo "rotate: the role has the next password"',
    "",
  ].join("\n");
}

/** Stops the script (ON_ERROR_STOP) with a message: psql's \quit has no exit code. */
const fail = (message: string) => `DO $$ BEGIN RAISE EXCEPTION ${sqlText(message)}; END $$;`;

/**
 * Creates the app's role (once, marked as the stack's) and gives it the password whose
 * SCRAM verifier is in $APP_PASSWORD_VERIFIER, and the rights the app needs and no more:
 * CONNECT and TEMPORARY on the database, USAGE and CREATE on the schema (the app creates
 * its tables and so owns them), read/write on tables and sequences already there (those
 * an app connected as the owner made before). Run as the owner (a superuser). A role of
 * that name the stack did not create stops the run: its password and rights are not ours
 * to change. Idempotent: a re-run sets the same verifier and grants.
 */
export function renderAppRoleSql(role: string, database: string, schema: string): string {
  const r = quoteIdent(role);
  const own = `SELECT COALESCE((SELECT shobj_description(oid, 'pg_authid') = ${sqlText(MANAGED_MARKER)} FROM pg_roles WHERE rolname = ${sqlText(role)}), false) AS own_app_role \\gset`;
  return [
    "-- Rendered by the hotel-reservation Pulumi stack: the app's role, its password and its rights.",
    `-- Run as the database's owner with ${APP_VERIFIER_ENV}=<SCRAM-SHA-256 verifier>: psql -v ON_ERROR_STOP=1 -f ${APP_ROLE_SQL_FILE}`,
    "\\set ON_ERROR_STOP on",
    `\\set app_verifier \`printenv ${APP_VERIFIER_ENV}\``,
    "SELECT :'app_verifier' LIKE 'SCRAM-SHA-256$%' AS verifier_given \\gset",
    "\\if :verifier_given",
    "\\else",
    fail(`app role: ${APP_VERIFIER_ENV} holds no SCRAM-SHA-256 verifier; nothing was changed`),
    "\\endif",
    `SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${sqlText(role)}) AS create_app_role \\gset`,
    "\\if :create_app_role",
    `CREATE ROLE ${r} LOGIN;`,
    `COMMENT ON ROLE ${r} IS ${sqlText(MANAGED_MARKER)};`,
    "\\endif",
    own,
    "\\if :own_app_role",
    "\\else",
    fail(`app role: role ${role} exists and was not created by the stack; its password and rights were left as they are`),
    "\\endif",
    `ALTER ROLE ${r} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_verifier';`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${r};`,
    `GRANT USAGE, CREATE ON SCHEMA ${quoteIdent(schema)} TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} TO ${r};`,
    `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${quoteIdent(schema)} TO ${r};`,
    "",
  ].join("\n");
}

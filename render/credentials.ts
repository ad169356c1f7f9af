/**
 * The database credentials beyond the password itself: the checksum that rolls the app's
 * pods when the password changes, and the script that rotates the role's password.
 */
import { checksum } from "./checksum";
import { quoteIdent } from "./sql";

/** Pod annotation: a one-way checksum of the password (a changed password rolls the pods). Redacted in published renders. */
export const CREDENTIALS_CHECKSUM = "hotel-reservation/credentials-checksum";
export const credentialsChecksum = (password: string) => checksum("postgres-credentials", password);

/** Where the rotation Job mounts its script, and the variable that carries the new password. */
export const ROTATION_DIR = "/rotation";
export const NEXT_PASSWORD_ENV = "NEXT_PASSWORD";

/**
 * Rotates the role's password. Run as that role with the current password (PGPASSWORD)
 * and the new one in $NEXT_PASSWORD: psql reads it from the environment itself, so it
 * is never on a command line, and the session turns statement logging off so the new
 * password never reaches the server's log, whatever the stage's log settings.
 */
export function renderRotateSql(role: string): string {
  return [
    "-- Rendered by the hotel-reservation Pulumi stack: rotates the application role's password.",
    `-- Run with: PGPASSWORD=<current> ${NEXT_PASSWORD_ENV}=<new> psql -v ON_ERROR_STOP=1 -f rotate.sql`,
    "\\set ON_ERROR_STOP on",
    `\\set next_password \`printenv ${NEXT_PASSWORD_ENV}\``,
    "SET log_statement = 'none';",
    "SET log_min_duration_statement = -1;",
    `ALTER ROLE ${quoteIdent(role)} WITH PASSWORD :'next_password';`,
    "",
  ].join("\n");
}

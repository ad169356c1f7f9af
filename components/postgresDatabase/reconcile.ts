/** How the reconcile script runs, on either platform: psql in autocommit, stopping at the first error. */
export const MIGRATIONS_DIR = "/migrations";
export const RECONCILE_APP_NAME = "hotel-stack-reconcile";
export const psqlCommand = ["psql", "-v", "ON_ERROR_STOP=1", "-f", `${MIGRATIONS_DIR}/reconcile.sql`];

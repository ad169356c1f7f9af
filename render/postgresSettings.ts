/** Quick win 4 (server side): the PostgreSQL settings, as `-c` flags and as postgresql.conf lines. */
import { PostgresConfig } from "../config/types";
import { SERVICES } from "../contract/services";

export const POSTGRES_PORT = SERVICES.postgres.port;

/**
 * Settings that need a restart (shared_preload_libraries, max_connections) are
 * rendered here and nowhere else: they reach the server as start-up flags.
 */
export function postgresSettings(pg: PostgresConfig): Record<string, string> {
  const settings: Record<string, string> = {
    max_connections: String(pg.maxConnections),
    superuser_reserved_connections: String(pg.superuserReservedConnections),
    shared_preload_libraries: pg.pgStatStatements ? "pg_stat_statements" : "",
    log_min_duration_statement: pg.logMinDurationStatement === undefined ? "-1" : String(Math.round(pg.logMinDurationStatement)),
  };
  if (pg.pgStatStatements) {
    // "auto" would also compute query ids once the module is loaded; explicit is reviewable.
    settings.compute_query_id = "on";
    settings["pg_stat_statements.max"] = String(pg.pgStatStatementsMax);
    settings["pg_stat_statements.track"] = pg.pgStatStatementsTrack;
  }
  return settings;
}

/** `postgres -c key=value ...` arguments. */
export function postgresArgs(pg: PostgresConfig): string[] {
  return Object.entries(postgresSettings(pg)).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

/** postgresql.conf lines (for a server started from a config file). */
export function renderPostgresConf(pg: PostgresConfig): string {
  return (
    Object.entries(postgresSettings(pg))
      .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'`)
      .join("\n") + "\n"
  );
}

/**
 * The slowest statements as metrics: a custom query for postgres_exporter
 * (`--extend.query-path`) over pg_stat_statements, which the exporter's built-in
 * collectors do not read in every version the stages pin. The dashboard's "slow
 * statements" panel reads the series it yields, so both take the names from here.
 */
import { stringify } from "yaml";

/** The query's name: the exporter prefixes every column's metric with it. */
const QUERY_NAME = "hotel_statements";
const COLUMNS = { calls: "calls", seconds: "exec_seconds" } as const;

/** The series the exporter yields (counters: read them with rate()), labelled by queryid and the normalized text. */
export const STATEMENT_METRICS = {
  calls: `${QUERY_NAME}_${COLUMNS.calls}`,
  seconds: `${QUERY_NAME}_${COLUMNS.seconds}`,
} as const;

/** Where the exporter finds the file (mounted or uploaded). */
export const EXPORTER_QUERIES_DIR = "/etc/postgres-exporter";
export const EXPORTER_QUERIES_FILE = "queries.yaml";
export const exporterQueriesFlag = () => `--extend.query-path=${EXPORTER_QUERIES_DIR}/${EXPORTER_QUERIES_FILE}`;

/** How many statements: the label set stays bounded whatever the workload. */
const STATEMENTS_KEPT = 20;

/**
 * The app's statements only (DML, as pg_stat_statements normalizes them: constants are
 * $n), never utility statements such as ALTER ROLE, whose text may carry a verifier, nor
 * the exporter's own.
 */
export function renderExporterQueries(): string {
  const sql = [
    `SELECT s.queryid::text AS queryid, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120) AS query,`,
    `       s.calls AS ${COLUMNS.calls}, s.total_exec_time / 1000.0 AS ${COLUMNS.seconds}`,
    "  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid",
    ` WHERE d.datname = current_database() AND s.query ~* '^\\s*(select|insert|update|delete|with)\\M'`,
    // Not the exporter's own scrapes (it logs in as the monitoring role, or on Docker as the owner, never as the app).
    "   AND s.userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user)",
    ` ORDER BY s.total_exec_time DESC LIMIT ${STATEMENTS_KEPT}`,
  ].join("\n");
  return stringify({
    [QUERY_NAME]: {
      query: sql,
      metrics: [
        { queryid: { usage: "LABEL", description: "pg_stat_statements' query id" } },
        { query: { usage: "LABEL", description: "The normalized statement, first 120 characters" } },
        { [COLUMNS.calls]: { usage: "COUNTER", description: "Times the statement ran" } },
        { [COLUMNS.seconds]: { usage: "COUNTER", description: "Seconds spent running the statement, in all" } },
      ],
    },
  });
}

/** The postgres policies' mutation table: each row must be rejected by exactly its policy, with its message. */
import { DOCKER, K8S } from "../helpers";
import { MutationRow, merge, one } from "./policyCases";

export const postgresRows: MutationRow[] = [
  [
    "pool 25+5 x 4 replicas x 4 workers against max_connections 100",
    "db-connection-budget",
    { stage: "staging", patch: merge("hotel:app", { replicas: 4, workers: 4 }) },
    /16 app processes \+ 0 warmer x \(pool_size 25 \+ max_overflow 5\) \+ 1 exporter \+ 5 admin = 486 connections, but PostgreSQL accepts max_connections 100 - superuser_reserved_connections 3 = 97/,
  ],
  [
    "a plain CREATE INDEX (the roadmap's DDL)",
    "pg-indexes-concurrently",
    {
      stage: "prod",
      patch: merge("hotel:postgres", { indexes: ["idx_locks_room_id"] }),
      mutate: (rs) => {
        const cm = one(rs, K8S.configMap, "postgres-reconcile");
        cm.inputs.data["reconcile.sql"] += "CREATE INDEX idx_locks_room_id ON locks(room_id);\n";
      },
    },
    /"CREATE INDEX idx_locks_room_id ON locks\(room_id\)" is not CONCURRENTLY: a plain CREATE INDEX holds a SHARE lock/,
  ],
  [
    "the index script wrapped in a transaction",
    "pg-indexes-concurrently",
    {
      stage: "dev",
      mutate: (rs) => {
        const c = one(rs, DOCKER.container, "postgres-reconcile-");
        c.inputs.uploads[0].content = `BEGIN;\n${c.inputs.uploads[0].content}COMMIT;\n`;
      },
    },
    /opens a transaction block: CREATE INDEX CONCURRENTLY cannot run inside one/,
  ],
  [
    "slow-query log at 0 ms (every statement)",
    "pg-slow-query-log-floor",
    { stage: "staging", patch: merge("hotel:postgres", { logMinDurationStatement: "0ms" }) },
    /log_min_duration_statement=0 logs every statement faster than 50 ms too/,
  ],
  [
    "pg_stat_statements extension on a server that does not preload it",
    "pg-stat-statements-preloaded",
    {
      stage: "dev",
      mutate: (rs) => {
        const pg = one(rs, DOCKER.container, "postgres");
        pg.inputs.command = pg.inputs.command.map((a: string) => (a.startsWith("shared_preload_libraries=") ? "shared_preload_libraries=" : a));
      },
    },
    /creates the pg_stat_statements extension, but no PostgreSQL server has it in shared_preload_libraries/,
  ],
];

import * as postgresql from "@pulumi/postgresql";
import { StackValidationPolicy } from "@pulumi/policy";
import { postgresSettingsOf } from "../readers/pods";
import { filesOf } from "../readers/stack";
import { RECONCILE_SQL_FILE } from "../../contract/files";

export const pgStatStatementsPreloaded: StackValidationPolicy = {
  name: "pg-stat-statements-preloaded",
  description: "The pg_stat_statements extension only where the server preloads the module.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const wanted = args.resources.filter(
      (r) => r.asType(postgresql.Extension)?.name === "pg_stat_statements" || /CREATE EXTENSION (IF NOT EXISTS )?pg_stat_statements/i.test(filesOf(r)[RECONCILE_SQL_FILE] ?? ""),
    );
    const preloaded = args.resources.some((r) =>
      (postgresSettingsOf(r)?.["shared_preload_libraries"] ?? "")
        .split(",")
        .map((x) => x.trim())
        .includes("pg_stat_statements"),
    );
    if (preloaded) return;
    for (const r of wanted) {
      report(
        `${r.name} creates the pg_stat_statements extension, but no PostgreSQL server has it in shared_preload_libraries: ` +
          `its views would fail ("must be loaded via shared_preload_libraries"). Set hotel:postgres.pgStatStatements: true, which does both.`,
        r.urn,
      );
    }
  },
};

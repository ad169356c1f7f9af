import { ResourceValidationPolicy } from "@pulumi/policy";
import { onReconcileSql } from "../readers/files";

/** Every CREATE/DROP INDEX statement in the script must be CONCURRENTLY, outside a transaction. */
export const pgIndexesConcurrently: ResourceValidationPolicy = {
  name: "pg-indexes-concurrently",
  description: "Indexes are built and dropped CONCURRENTLY, outside a transaction block.",
  enforcementLevel: "mandatory",
  validateResource: onReconcileSql((sql, report) => {
    // Comments, string literals (pg_get_indexdef() texts to compare with) and DO blocks'
    // dollar-quoted bodies (PL/pgSQL's BEGIN is not a transaction) are not statements.
    const code = sql
      .replace(/\$\$[\s\S]*?\$\$/g, "$$$$")
      .replace(/--.*$/gm, "")
      .replace(/'(?:[^']|'')*'/g, "''");
    for (const m of code.matchAll(/\b(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)\b(?!\s+CONCURRENTLY)[^;]*/gi)) {
      report(
        `"${m[0].trim().slice(0, 80)}" is not CONCURRENTLY: a plain CREATE INDEX holds a SHARE lock that blocks every insert and update for the whole build ` +
          `(and DROP INDEX an ACCESS EXCLUSIVE lock). Use CREATE INDEX CONCURRENTLY IF NOT EXISTS / DROP INDEX CONCURRENTLY IF EXISTS.`,
      );
    }
    if (/^\s*(BEGIN|START TRANSACTION)\b/im.test(code)) {
      report("the index script opens a transaction block: CREATE INDEX CONCURRENTLY cannot run inside one. Run it with psql in autocommit mode.");
    }
  }),
};

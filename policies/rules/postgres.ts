import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Res, T, durationMs, postgresSettings, reconcileSql } from "../facts";

export const pgStatStatementsPreloaded: StackValidationPolicy = {
  name: "pg-stat-statements-preloaded",
  description: "The pg_stat_statements extension only where the server preloads the module.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as unknown as Res[];
    const wanted = resources.filter(
      (r) =>
        (r.type === T.pgExtension && r.props.name === "pg_stat_statements") ||
        /CREATE EXTENSION (IF NOT EXISTS )?pg_stat_statements/i.test(reconcileSql(r) ?? ""),
    );
    const servers = resources.map(postgresSettings).filter((s) => s);
    const preloaded = servers.some((s) => (s!["shared_preload_libraries"] ?? "").split(",").map((x) => x.trim()).includes("pg_stat_statements"));
    for (const r of wanted) {
      if (!preloaded) {
        report(
          `${r.name} creates the pg_stat_statements extension, but no PostgreSQL server has it in shared_preload_libraries: ` +
            `its views would fail ("must be loaded via shared_preload_libraries"). Set hotel:postgres.pgStatStatements: true, which does both.`,
          r.urn,
        );
      }
    }
  },
};

export const slowQueryLogFloor: ResourceValidationPolicy = {
  name: "pg-slow-query-log-floor",
  description: "log_min_duration_statement is off or at least a floor, so the log is not flooded.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { floorMs: { type: "number", default: 50 } } },
  validateResource: (args, report) => {
    const s = postgresSettings(args as unknown as Res);
    const v = s?.["log_min_duration_statement"];
    if (v === undefined || v === "-1") return;
    const floor = args.getConfig<{ floorMs?: number }>().floorMs ?? 50;
    const ms = durationMs(v);
    if (ms === undefined || ms < floor) {
      report(`log_min_duration_statement=${v} logs every statement faster than ${floor} ms too: at 291 req/s that floods the log. Use at least ${floor}ms (the roadmap's 100ms), or off.`);
    }
  },
};

/** Every CREATE/DROP INDEX statement in the script must be CONCURRENTLY, outside a transaction. */
export const indexesConcurrent: ResourceValidationPolicy = {
  name: "pg-indexes-concurrently",
  description: "Indexes are built and dropped CONCURRENTLY, outside a transaction block.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const sql = reconcileSql(args as unknown as Res);
    if (sql === undefined) return;
    // Comments and string literals (pg_get_indexdef() texts to compare with) are not statements.
    const code = sql.replace(/--.*$/gm, "").replace(/'(?:[^']|'')*'/g, "''");
    for (const m of code.matchAll(/\b(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX)\b(?!\s+CONCURRENTLY)[^;]*/gi)) {
      report(
        `"${m[0].trim().slice(0, 80)}" is not CONCURRENTLY: a plain CREATE INDEX holds a SHARE lock that blocks every insert and update for the whole build ` +
          `(and DROP INDEX an ACCESS EXCLUSIVE lock). Use CREATE INDEX CONCURRENTLY IF NOT EXISTS / DROP INDEX CONCURRENTLY IF EXISTS.`,
      );
    }
    if (/^\s*(BEGIN|START TRANSACTION)\b/im.test(code)) {
      report("the index script opens a transaction block: CREATE INDEX CONCURRENTLY cannot run inside one. Run it with psql in autocommit mode.");
    }
  },
};

import { StackValidationPolicy } from "@pulumi/policy";
import { connectionBudget } from "../../render/connectionBudget";
import { Res, T, appSettings, podSpec, postgresSettings } from "../facts";

const NAME = "app.kubernetes.io/name";

/** How many processes open a pool with these settings: Deployment replicas x workers, or one container's workers. */
function processesUsing(settings: Res, env: Record<string, string>, resources: Res[]): number {
  const workers = Number(env["WEB_CONCURRENCY"] ?? 1);
  if (settings.type === T.container) return workers;
  const app = settings.props.metadata?.labels?.[NAME];
  return resources
    .filter((d) => d.type === T.deployment && d.props.metadata?.labels?.[NAME] === app)
    .reduce((n, d) => n + (d.props.spec?.replicas ?? 1) * workers, 0);
}

/**
 * replicas x worker processes x (pool_size + max_overflow), plus the cache warmer, the
 * exporters and an admin reserve, must fit in max_connections - superuser_reserved_connections.
 */
export const connectionBudgetPolicy: StackValidationPolicy = {
  name: "db-connection-budget",
  description: "Every app process's pool, added up, fits in PostgreSQL's connection limit.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { adminConnections: { type: "number", default: 5 } } },
  validateStack: (args, report) => {
    const resources = args.resources as unknown as Res[];
    const server = resources.map((r) => [r, postgresSettings(r)] as const).find(([, s]) => s);
    if (!server) return;
    const settings = server[1]!;
    const admin = args.getConfig<{ adminConnections?: number }>().adminConnections ?? 5;

    let processes = 0;
    let pool = { size: 0, overflow: 0 };
    const isWarmer = (r: Res) => r.type === T.container && (r.props.command ?? []).includes("app.cache_warmer");
    for (const r of resources) {
      const env = appSettings(r);
      if (!env || isWarmer(r)) continue;
      pool = { size: Number(env["DB_POOL_SIZE"]), overflow: Number(env["DB_MAX_OVERFLOW"]) };
      processes += processesUsing(r, env, resources);
    }
    // The warmer runs the app's code, so it opens the same pool.
    const warmers = resources.filter((r) => r.type === T.cronJob || isWarmer(r)).length;
    // postgres_exporter is configured by DATA_SOURCE_URI: one connection each.
    const exporters =
      resources.flatMap((r) => podSpec(r)?.spec.containers ?? []).filter((c: any) => (c.env ?? []).some((e: any) => e.name === "DATA_SOURCE_URI")).length +
      resources.filter((r) => r.type === T.container && (r.props.envs ?? []).some((e: string) => e.startsWith("DATA_SOURCE_URI="))).length;

    const b = connectionBudget({
      replicas: processes + warmers,
      workers: 1,
      poolSize: pool.size,
      maxOverflow: pool.overflow,
      otherConnections: exporters + admin,
      maxConnections: Number(settings["max_connections"] ?? 100),
      superuserReservedConnections: Number(settings["superuser_reserved_connections"] ?? 3),
    });
    if (!b.fits) {
      report(
        `connection budget exceeded: ${processes} app processes + ${warmers} warmer x (pool_size ${pool.size} + max_overflow ${pool.overflow}) ` +
          `+ ${exporters} exporter + ${admin} admin = ${b.total} connections, but PostgreSQL accepts max_connections ${settings["max_connections"] ?? 100} ` +
          `- superuser_reserved_connections ${settings["superuser_reserved_connections"] ?? 3} = ${b.available}. ` +
          `Lower hotel:dbPool.poolSize/maxOverflow, hotel:app.replicas or hotel:app.workers, or raise hotel:postgres.maxConnections.`,
        server[0].urn,
      );
    }
  },
};

import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { connectionBudget } from "../../config/connectionBudget";
import { WARMER_COMMAND } from "../../render/warming";
import { envOf } from "../readers/files";
import { podOf, postgresSettingsOf } from "../readers/pods";
import { appSettingsOf } from "../readers/stack";
import { policySettings } from "../settings";

const settings = policySettings<{ adminConnections: number }>({ adminConnections: { type: "number", default: 5 } });
const NAME = "app.kubernetes.io/name";
const WARMER = WARMER_COMMAND[WARMER_COMMAND.length - 1];

/** How many processes open a pool with these settings: Deployment replicas x workers, or one container's workers. */
function processesUsing(settingsHolder: PolicyResource, env: Record<string, string>, resources: PolicyResource[]): number {
  const workers = Number(env["WEB_CONCURRENCY"] ?? 1);
  const cm = settingsHolder.asType(k8s.core.v1.ConfigMap);
  if (!cm) return workers;
  const app = cm.metadata?.labels?.[NAME];
  return resources
    .map((r) => r.asType(k8s.apps.v1.Deployment))
    .filter((d) => d?.metadata?.labels?.[NAME] === app)
    .reduce((n, d) => n + (d?.spec?.replicas ?? 1) * workers, 0);
}

const isDockerWarmer = (r: PolicyResource) => (r.asType(docker.Container)?.command ?? []).includes(WARMER);

/** postgres_exporter is configured by DATA_SOURCE_URI (host and port) or DATA_SOURCE_NAME (a whole DSN, e.g. a unix socket): one connection each. */
const EXPORTER_ENV = ["DATA_SOURCE_URI", "DATA_SOURCE_NAME"];
function exporters(resources: PolicyResource[]): number {
  const inPods = resources.flatMap((r) => podOf(r)?.spec.containers ?? []).filter((c) => (c.env ?? []).some((e) => EXPORTER_ENV.includes(e.name)));
  const containers = resources.filter((r) => EXPORTER_ENV.some((name) => name in envOf(r.asType(docker.Container)?.envs)));
  return inPods.length + containers.length;
}

/**
 * replicas x worker processes x (pool_size + max_overflow), plus the cache warmer, the
 * exporters and an admin reserve, must fit in max_connections - superuser_reserved_connections.
 */
export const dbConnectionBudget: StackValidationPolicy = {
  name: "db-connection-budget",
  description: "Every app process's pool, added up, fits in PostgreSQL's connection limit.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources;
    const server = resources.find((r) => postgresSettingsOf(r));
    if (!server) return;
    const pg = postgresSettingsOf(server) ?? {};
    const { adminConnections: admin } = settings.read(args);
    let processes = 0;
    let pool = { size: 0, overflow: 0 };
    for (const r of resources) {
      const env = appSettingsOf(r);
      if (!env || isDockerWarmer(r)) continue;
      pool = { size: Number(env["DB_POOL_SIZE"]), overflow: Number(env["DB_MAX_OVERFLOW"]) };
      processes += processesUsing(r, env, resources);
    }
    // The warmer runs the app's code, so it opens the same pool.
    const warmers = resources.filter((r) => r.isType(k8s.batch.v1.CronJob) || isDockerWarmer(r)).length;
    const exporterCount = exporters(resources);
    const maxConnections = Number(pg["max_connections"] ?? 100);
    const reserved = Number(pg["superuser_reserved_connections"] ?? 3);
    const b = connectionBudget({
      replicas: processes + warmers,
      workers: 1,
      poolSize: pool.size,
      maxOverflow: pool.overflow,
      otherConnections: exporterCount + admin,
      maxConnections,
      superuserReservedConnections: reserved,
    });
    if (!b.fits) {
      report(
        `connection budget exceeded: ${processes} app processes + ${warmers} warmer x (pool_size ${pool.size} + max_overflow ${pool.overflow}) ` +
          `+ ${exporterCount} exporter + ${admin} admin = ${b.total} connections, but PostgreSQL accepts max_connections ${maxConnections} ` +
          `- superuser_reserved_connections ${reserved} = ${b.available}. ` +
          `Lower hotel:dbPool.poolSize/maxOverflow, hotel:app.replicas or hotel:app.workers, or raise hotel:postgres.maxConnections.`,
        server.urn,
      );
    }
  },
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

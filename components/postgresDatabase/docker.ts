/**
 * PostgreSQL on Docker: the server container, pg_stat_statements through
 * @pulumi/postgresql (Pulumi reaches the published port), a one-shot psql container for
 * the index part of the reconcile script, one for the app's role, and the exporter.
 */
import * as docker from "@pulumi/docker";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../../config/types";
import { checksum } from "../../render/checksum";
import { POSTGRES_PORT, postgresArgs } from "../../render/postgresSettings";
import { DockerTarget, STOP_GRACE_SECONDS, envList, envWithSecret, image, labels, onNetwork } from "../docker/containers";
import { MIGRATIONS_DIR, RECONCILE_APP_NAME, psqlCommand } from "./reconcile";
import { APP_ROLE_APP_NAME, APP_ROLE_DIR, APP_ROLE_SQL_FILE, APP_VERIFIER_ENV, renderAppRoleSql, scramVerifier } from "../../render/credentials";
import { SCHEMA } from "../../render/indexDdl";
import { EXPORTER_QUERIES_DIR, EXPORTER_QUERIES_FILE, exporterQueriesFlag, renderExporterQueries } from "../../render/statementMetrics";
import { POSTGRES_APP_ROLE } from "../../contract/services";

interface Args {
  target: DockerTarget;
  postgres: PostgresConfig;
  image: string;
  exporterImage: string;
  password: pulumi.Input<string>;
  /** The app role's password (drawn once). */
  appPassword: pulumi.Output<string>;
  hostPort: number;
}

function server(name: string, args: Args, img: docker.RemoteImage, parent: pulumi.Resource): docker.Container {
  const pg = args.postgres;
  // A volume of its own (auto-named): the data outlives a replaced container (a flag
  // change restarts PostgreSQL by replacing it) and goes with `destroy`, as dev's should.
  const data = new docker.Volume(`${name}-data`, { labels: labels(args.target) }, { parent });
  return new docker.Container(
    name,
    {
      image: img.imageId,
      command: ["postgres", ...postgresArgs(pg)],
      envs: envWithSecret({ POSTGRES_USER: pg.user, POSTGRES_DB: pg.database }, "POSTGRES_PASSWORD", args.password),
      ports: [{ internal: POSTGRES_PORT, external: args.hostPort, ip: "127.0.0.1" }],
      volumes: [{ volumeName: data.name, containerPath: "/var/lib/postgresql/data" }],
      healthcheck: { tests: ["CMD-SHELL", `pg_isready -U ${pg.user} -d ${pg.database}`], interval: "2s", timeout: "2s", retries: 30 },
      wait: true,
      waitTimeout: 120,
      networksAdvanced: onNetwork(args.target, name),
      labels: labels(args.target),
      restart: "unless-stopped",
      // The image stops on SIGINT, PostgreSQL's fast shutdown: a checkpoint, no recovery at the next start.
      destroyGraceSeconds: STOP_GRACE_SECONDS,
    },
    { parent },
  );
}

/**
 * The app's role: a one-shot psql container, as the owner, runs app-role.sql with the
 * password's verifier. A new password changes its environment, which replaces the
 * container, so the script runs again. What it returns is the password, there only once
 * the container has finished: the app never starts with a password the role lacks.
 */
function appRole(name: string, args: Args, img: docker.RemoteImage, db: docker.Container, parent: pulumi.Resource): pulumi.Output<string> {
  const pg = args.postgres;
  const env = { PGHOST: name, PGUSER: pg.user, PGDATABASE: pg.database, PGAPPNAME: APP_ROLE_APP_NAME };
  const envs = pulumi.all([args.password, args.appPassword]).apply(([owner, app]) => envList({ ...env, PGPASSWORD: owner, [APP_VERIFIER_ENV]: scramVerifier(app) }));
  const file = `${APP_ROLE_DIR}/${APP_ROLE_SQL_FILE}`;
  const job = psqlOnce(
    `${name}-app-role`,
    `${name}-app-role`,
    args,
    { img, db, parent },
    { command: ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-f", file], file, content: renderAppRoleSql(POSTGRES_APP_ROLE, pg.database, SCHEMA), envs: pulumi.secret(envs) },
  );
  return pulumi.secret(pulumi.all([job.id, args.appPassword]).apply(([, pw]) => pw));
}

/**
 * A one-shot psql container on the stage's network, started after the server: the update
 * waits for psql to finish (attach), so a failed script fails the update.
 */
function psqlOnce(
  name: string,
  alias: string,
  args: Args,
  on: { img: docker.RemoteImage; db: docker.Container; parent: pulumi.Resource },
  run: { command: string[]; file: string; content: string; envs: pulumi.Input<string[]> },
): docker.Container {
  return new docker.Container(
    name,
    {
      image: on.img.imageId,
      command: run.command,
      uploads: [{ file: run.file, content: run.content }],
      envs: run.envs,
      networksAdvanced: onNetwork(args.target, alias),
      labels: labels(args.target),
      attach: true,
      logs: true,
      mustRun: false,
      restart: "no",
    },
    { parent: on.parent, dependsOn: [on.db] },
  );
}

export function postgresOnDocker(parent: pulumi.Resource, name: string, args: Args, sql: string): { host: pulumi.Output<string>; appPassword: pulumi.Output<string> } {
  const pg = args.postgres;
  const img = image(`${name}-image`, args.image, parent);
  const db = server(name, args, img, parent);
  const provider = new postgresql.Provider(
    `${name}-sql`,
    { host: "127.0.0.1", port: args.hostPort, username: pg.user, password: args.password, database: pg.database, sslmode: "disable", superuser: true },
    { parent, dependsOn: [db] },
  );
  if (pg.pgStatStatements) {
    // CREATE EXTENSION IF NOT EXISTS: one a DBA made first is adopted. The provider cannot
    // tell it from the stack's own at delete, so a rollback never drops it (on Kubernetes
    // the reconcile script marks its own and drops only that one).
    new postgresql.Extension(`${name}-pg-stat-statements`, { name: "pg_stat_statements", database: pg.database }, { parent, provider, retainOnDelete: true });
  }
  psqlOnce(
    `${name}-reconcile-${checksum(sql)}`,
    `${name}-reconcile`,
    args,
    { img, db, parent },
    {
      command: psqlCommand,
      file: `${MIGRATIONS_DIR}/reconcile.sql`,
      content: sql,
      envs: envWithSecret({ PGHOST: name, PGUSER: pg.user, PGDATABASE: pg.database, PGAPPNAME: RECONCILE_APP_NAME }, "PGPASSWORD", args.password),
    },
  );
  new docker.Container(
    `${name}-exporter`,
    {
      image: image(`${name}-exporter-image`, args.exporterImage, parent).imageId,
      envs: envWithSecret({ DATA_SOURCE_URI: `${name}:${POSTGRES_PORT}/${pg.database}?sslmode=disable`, DATA_SOURCE_USER: pg.user }, "DATA_SOURCE_PASS", args.password),
      // The slowest statements, only where pg_stat_statements is on (the query fails elsewhere).
      ...(pg.pgStatStatements ? { command: [exporterQueriesFlag()], uploads: [{ file: `${EXPORTER_QUERIES_DIR}/${EXPORTER_QUERIES_FILE}`, content: renderExporterQueries() }] } : {}),
      networksAdvanced: onNetwork(args.target, `${name}-exporter`),
      labels: labels(args.target),
      restart: "unless-stopped",
    },
    { parent, dependsOn: [db] },
  );
  return { host: pulumi.output(name), appPassword: appRole(name, args, img, db, parent) };
}

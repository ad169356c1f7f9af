/**
 * PostgreSQL on Kubernetes: credentials Secret, StatefulSet (server flags + exporter),
 * Service, NetworkPolicy, and the reconcile script run by a Job inside the cluster.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../../config/types";
import { POSTGRES_PORT, postgresArgs } from "../../render/postgresSettings";
import { checksum } from "../../render/checksum";
import { EXPORTER_QUERIES_DIR, EXPORTER_QUERIES_FILE, exporterQueriesFlag, renderExporterQueries } from "../../render/statementMetrics";
import { POSTGRES_MONITOR_ROLE, POSTGRES_SOCKET_DIR, SERVICES } from "../../contract/services";
import {
  DATA_ACCESS_LABEL,
  KubeTarget,
  SIZING,
  containerSecurity,
  dataStoreNetworkPolicy,
  FIXED_VOLUME_TEMPLATES,
  REPLACE_UNREADY,
  dataVolume,
  dataVolumeSize,
  labels,
  meta,
  podSecurity,
  serviceMonitor,
} from "../kubernetes/objects";
import {
  CURRENT_PASSWORD_ENV,
  NEXT_PASSWORD_ENV,
  NEXT_VERIFIER_ENV,
  ROTATE_SH_FILE,
  ROTATE_SQL_FILE,
  ROTATION_DIR,
  renderRotateScript,
  renderRotateSql,
  scramVerifier,
} from "../../render/credentials";
import { DatabasePassword, targetPassword } from "../password";
import { appRoleOnKubernetes } from "./appRole";
import { MIGRATIONS_DIR, RECONCILE_APP_NAME, psqlCommand } from "./reconcile";
import { RECONCILE_SQL_FILE } from "../../contract/files";
import { DATASTORE_UID, NOBODY_UID } from "../../contract/uids";

const EXPORTER_PORT = SERVICES.postgresExporter.port;
/** The server's unix socket, shared with the exporter. */
const SOCKET_VOLUME = "socket";
type EnvFrom = (key: string) => k8s.types.input.core.v1.EnvVarSource;

interface Args {
  target: KubeTarget;
  postgres: PostgresConfig;
  image: string;
  exporterImage: string;
  storage: string;
  passwordSeed?: pulumi.Input<string>;
}

/** The exporter reads the slowest statements only where pg_stat_statements is on (its query fails elsewhere). */
const QUERIES_VOLUME = "exporter-queries";

function serverContainers(args: Args, fromSecret: EnvFrom): k8s.types.input.core.v1.Container[] {
  const pg = args.postgres;
  const queries = pg.pgStatStatements;
  return [
    {
      name: "postgres",
      image: args.image,
      args: ["postgres", ...postgresArgs(pg)],
      env: [
        { name: "POSTGRES_USER", valueFrom: fromSecret("username") },
        { name: "POSTGRES_PASSWORD", valueFrom: fromSecret("password") },
        { name: "POSTGRES_DB", valueFrom: fromSecret("database") },
        { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
      ],
      ports: [{ name: "postgres", containerPort: POSTGRES_PORT }],
      resources: SIZING.postgres,
      securityContext: containerSecurity,
      readinessProbe: { exec: { command: ["pg_isready", "-U", pg.user, "-d", pg.database] }, periodSeconds: 5 },
      volumeMounts: [
        { name: "data", mountPath: "/var/lib/postgresql/data" },
        { name: SOCKET_VOLUME, mountPath: POSTGRES_SOCKET_DIR },
      ],
    },
    {
      name: "exporter",
      image: args.exporterImage,
      // The monitoring role over the shared unix socket: no password, so a rotation never cuts the metrics off.
      env: [{ name: "DATA_SOURCE_NAME", value: `host=${POSTGRES_SOCKET_DIR} port=${POSTGRES_PORT} user=${POSTGRES_MONITOR_ROLE} dbname=${pg.database} sslmode=disable` }],
      ...(queries ? { args: [exporterQueriesFlag()] } : {}),
      volumeMounts: [{ name: SOCKET_VOLUME, mountPath: POSTGRES_SOCKET_DIR }, ...(queries ? [{ name: QUERIES_VOLUME, mountPath: EXPORTER_QUERIES_DIR, readOnly: true }] : [])],
      ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
      resources: SIZING.exporter,
      securityContext: { ...containerSecurity, runAsUser: NOBODY_UID, runAsGroup: NOBODY_UID },
    },
  ];
}

function statefulSet(name: string, args: Args, sel: Record<string, string>, serviceName: pulumi.Input<string>, fromSecret: EnvFrom, opts: pulumi.CustomResourceOptions) {
  const t = args.target;
  const volumes: k8s.types.input.core.v1.Volume[] = [{ name: SOCKET_VOLUME, emptyDir: {} }];
  if (args.postgres.pgStatStatements) {
    const text = renderExporterQueries();
    const queries = new k8s.core.v1.ConfigMap(`${name}-exporter-queries`, { metadata: meta(`${name}-exporter-queries`, t.namespace, sel), data: { [EXPORTER_QUERIES_FILE]: text } }, opts);
    volumes.push({ name: QUERIES_VOLUME, configMap: { name: queries.metadata.name } });
  }
  return new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: meta(name, t.namespace, sel),
      spec: {
        serviceName,
        replicas: 1,
        selector: { matchLabels: sel },
        template: {
          metadata: { labels: sel, annotations: { "hotel-reservation/config-checksum": checksum(...postgresArgs(args.postgres)) } },
          spec: { securityContext: podSecurity(DATASTORE_UID), containers: serverContainers(args, fromSecret), volumes },
        },
        volumeClaimTemplates: [dataVolume(t, args.storage)],
      },
    },
    { ...opts, protect: t.protectStateful, retainOnDelete: t.protectStateful, ignoreChanges: FIXED_VOLUME_TEMPLATES },
  );
}

/**
 * The script's checksum is in the names: a changed script replaces the ConfigMap and
 * the Job (whose template is immutable), so the new script runs once; an unchanged one
 * runs nothing.
 */
function reconcileJob(name: string, args: Args, sql: string, host: pulumi.Input<string>, fromSecret: EnvFrom, server: pulumi.Resource, opts: pulumi.CustomResourceOptions) {
  const t = args.target;
  const sel = labels(name, { "app.kubernetes.io/component": "database" });
  const reconcileName = `${name}-reconcile-${checksum(sql)}`;
  const script = new k8s.core.v1.ConfigMap(`${name}-reconcile`, { metadata: meta(reconcileName, t.namespace, sel), data: { [RECONCILE_SQL_FILE]: sql } }, opts);
  const jobLabels = labels(`${name}-reconcile`, { "app.kubernetes.io/component": "migration", [DATA_ACCESS_LABEL]: "true" });
  const psql: k8s.types.input.core.v1.Container = {
    name: "psql",
    image: args.image,
    command: psqlCommand,
    env: [
      { name: "PGHOST", value: host },
      { name: "PGPORT", value: String(POSTGRES_PORT) },
      { name: "PGUSER", valueFrom: fromSecret("username") },
      { name: "PGPASSWORD", valueFrom: fromSecret("password") },
      { name: "PGDATABASE", valueFrom: fromSecret("database") },
      { name: "PGAPPNAME", value: RECONCILE_APP_NAME },
    ],
    resources: SIZING.job,
    securityContext: containerSecurity,
    volumeMounts: [{ name: "migrations", mountPath: MIGRATIONS_DIR }],
  };
  return new k8s.batch.v1.Job(
    `${name}-reconcile`,
    {
      metadata: meta(reconcileName, t.namespace, jobLabels, REPLACE_UNREADY),
      spec: {
        // Retries cover the database still starting and a run that found another one
        // holding the lock; the script is idempotent. One setting bounds the run.
        backoffLimit: 6,
        activeDeadlineSeconds: Math.round(args.postgres.reconcileTimeout / 1000),
        template: {
          metadata: { labels: jobLabels },
          spec: {
            restartPolicy: "OnFailure",
            securityContext: podSecurity(DATASTORE_UID),
            containers: [psql],
            volumes: [{ name: "migrations", configMap: { name: script.metadata.name } }],
          },
        },
      },
    },
    // Pulumi waits a minute longer than the Job's own deadline, so the Job's failure is what it reports.
    { ...opts, dependsOn: [server], customTimeouts: { create: reconcileWait(args.postgres), update: reconcileWait(args.postgres) } },
  );
}

/**
 * Password rotation (npm run rotate-password): while the password resource holds a next
 * password, a Job inside the cluster moves the role to it (rotate.sh: nothing to do when
 * the role has it already, else it logs in with the current one and sends the next
 * one's SCRAM verifier). The Job's name carries a digest of the next password: a new
 * rotation runs a new Job, a re-run of an interrupted one finds its own. A Job that
 * failed is replaced by the next run (pulumi.com/replaceUnready), not awaited forever.
 */
function rotationJob(name: string, args: Args, host: pulumi.Input<string>, current: string, next: string, opts: pulumi.CustomResourceOptions): k8s.batch.v1.Job {
  const t = args.target;
  const jobName = `${name}-rotate-${checksum("postgres-rotation", next).slice(0, 10)}`;
  const jobLabels = labels(`${name}-rotate-password`, { "app.kubernetes.io/component": "migration", [DATA_ACCESS_LABEL]: "true" });
  const secret = new k8s.core.v1.Secret(
    `${name}-rotate-password`,
    {
      metadata: meta(jobName, t.namespace, jobLabels),
      type: "Opaque",
      stringData: pulumi.secret({ [CURRENT_PASSWORD_ENV]: current, [NEXT_PASSWORD_ENV]: next, [NEXT_VERIFIER_ENV]: scramVerifier(next) }),
    },
    opts,
  );
  const scripts = { [ROTATE_SQL_FILE]: renderRotateSql(args.postgres.user), [ROTATE_SH_FILE]: renderRotateScript() };
  const script = new k8s.core.v1.ConfigMap(`${name}-rotate-password`, { metadata: meta(jobName, t.namespace, jobLabels), data: scripts }, opts);
  const fromRotation = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: secret.metadata.name, key } } });
  return new k8s.batch.v1.Job(
    `${name}-rotate-password`,
    {
      metadata: meta(jobName, t.namespace, jobLabels, REPLACE_UNREADY),
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 300,
        template: {
          metadata: { labels: jobLabels },
          spec: {
            restartPolicy: "OnFailure",
            securityContext: podSecurity(DATASTORE_UID),
            containers: [
              {
                name: "rotate",
                image: args.image,
                command: ["sh", `${ROTATION_DIR}/${ROTATE_SH_FILE}`],
                env: [
                  { name: "PGHOST", value: host },
                  { name: "PGPORT", value: String(POSTGRES_PORT) },
                  { name: "PGUSER", value: args.postgres.user },
                  { name: "PGDATABASE", value: args.postgres.database },
                  fromRotation(CURRENT_PASSWORD_ENV),
                  fromRotation(NEXT_PASSWORD_ENV),
                  fromRotation(NEXT_VERIFIER_ENV),
                ],
                resources: SIZING.job,
                securityContext: containerSecurity,
                volumeMounts: [{ name: "rotation", mountPath: ROTATION_DIR }],
              },
            ],
            volumes: [{ name: "rotation", configMap: { name: script.metadata.name } }],
          },
        },
      },
    },
    { ...opts, customTimeouts: { create: "6m", update: "6m" } },
  );
}

/**
 * The password the credentials Secret (and so the app, the warmer and the exporter)
 * gets: the current one, or during a rotation the next one, and then only once the
 * rotation Job has completed (its outputs resolve after the provider's await). A run
 * killed before that leaves the Secret on the current password, which the role still
 * accepts until the Job ran; the next run finishes it.
 */
function passwordForConsumers(name: string, args: Args, stored: DatabasePassword, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  // A starting password: the resource is being created with it, no rotation can be pending.
  if (args.passwordSeed !== undefined) return targetPassword(stored, args.passwordSeed);
  // The Service's name is fixed: the rotation Job reaches the server before the Secret exists in its new form.
  const gated = pulumi.all([stored.current, stored.next]).apply(([current, next]) => {
    if (!next) return pulumi.output(current);
    return rotationJob(name, args, name, current, next, opts).metadata.name.apply(() => next);
  });
  return pulumi.secret(gated);
}

const reconcileWait = (pg: PostgresConfig) => `${Math.ceil(pg.reconcileTimeout / 60_000) + 1}m`;

/** The owner's stored password (rotated) and the app role's (drawn once). */
interface Passwords {
  stored: DatabasePassword;
  app: pulumi.Output<string>;
}

export function postgresOnKubernetes(parent: pulumi.Resource, name: string, args: Args, passwords: Passwords, sql: string) {
  const t = args.target;
  const pg = args.postgres;
  const opts = { parent, provider: t.provider };
  const sel = labels(name, { "app.kubernetes.io/component": "database" });
  const password = passwordForConsumers(name, args, passwords.stored, opts);
  const secret = new k8s.core.v1.Secret(
    `${name}-credentials`,
    { metadata: meta(`${name}-credentials`, t.namespace, sel), type: "Opaque", stringData: { username: pg.user, password, database: pg.database } },
    opts,
  );
  const fromSecret: EnvFrom = (key) => ({ secretKeyRef: { name: secret.metadata.name, key } });
  const ports = [
    { name: "postgres", port: POSTGRES_PORT, targetPort: POSTGRES_PORT },
    { name: "metrics", port: EXPORTER_PORT, targetPort: EXPORTER_PORT },
  ];
  const svc = new k8s.core.v1.Service(name, { metadata: meta(name, t.namespace, sel), spec: { selector: sel, ports } }, opts);
  const server = statefulSet(name, args, sel, svc.metadata.name, fromSecret, opts);
  dataVolumeSize(name, t, args.storage, server, opts);
  serviceMonitor(name, t, sel, "metrics", opts);
  dataStoreNetworkPolicy(`${name}-ingress`, t, sel, { data: POSTGRES_PORT, metrics: EXPORTER_PORT }, opts);

  reconcileJob(name, args, sql, svc.metadata.name, fromSecret, server, opts);
  const app = appRoleOnKubernetes(
    name,
    { target: t, image: args.image, database: pg.database, host: svc.metadata.name, ownerSecret: fromSecret, password: passwords.app },
    { ...opts, dependsOn: [server, secret] },
  );
  return { host: svc.metadata.name, password, app };
}

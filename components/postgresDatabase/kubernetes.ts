/**
 * PostgreSQL on Kubernetes: credentials Secret, StatefulSet (server flags + exporter),
 * Service, NetworkPolicy, and the reconcile script run by a Job inside the cluster.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../../config/types";
import { POSTGRES_PORT, postgresArgs } from "../../render/postgresSettings";
import { checksum } from "../../render/checksum";
import { SERVICES } from "../../contract/services";
import {
  DATA_ACCESS_LABEL,
  KubeTarget,
  SIZING,
  containerSecurity,
  dataStoreNetworkPolicy,
  FIXED_VOLUME_TEMPLATES,
  dataVolume,
  dataVolumeSize,
  labels,
  meta,
  podSecurity,
  serviceMonitor,
} from "../kubernetes/objects";
import { NEXT_VERIFIER_ENV, ROTATION_DIR, credentialsChecksum, renderRotateSql, scramVerifier } from "../../render/credentials";
import { MIGRATIONS_DIR, RECONCILE_APP_NAME, psqlCommand } from "./reconcile";
import { RECONCILE_SQL_FILE } from "../../contract/files";
import { DATASTORE_UID, NOBODY_UID } from "../../contract/uids";

const EXPORTER_PORT = SERVICES.postgresExporter.port;
type EnvFrom = (key: string) => k8s.types.input.core.v1.EnvVarSource;

interface Args {
  target: KubeTarget;
  postgres: PostgresConfig;
  image: string;
  exporterImage: string;
  password: pulumi.Input<string>;
  previousPassword?: pulumi.Input<string>;
  storage: string;
}

function serverContainers(args: Args, fromSecret: EnvFrom): k8s.types.input.core.v1.Container[] {
  const pg = args.postgres;
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
      volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
    },
    {
      name: "exporter",
      image: args.exporterImage,
      env: [
        { name: "DATA_SOURCE_URI", value: `localhost:${POSTGRES_PORT}/${pg.database}?sslmode=disable` },
        { name: "DATA_SOURCE_USER", valueFrom: fromSecret("username") },
        { name: "DATA_SOURCE_PASS", valueFrom: fromSecret("password") },
      ],
      ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
      resources: SIZING.exporter,
      securityContext: { ...containerSecurity, runAsUser: NOBODY_UID, runAsGroup: NOBODY_UID },
    },
  ];
}

function statefulSet(name: string, args: Args, sel: Record<string, string>, serviceName: pulumi.Input<string>, fromSecret: EnvFrom, opts: pulumi.CustomResourceOptions) {
  const t = args.target;
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
          spec: { securityContext: podSecurity(DATASTORE_UID), containers: serverContainers(args, fromSecret) },
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
      metadata: meta(reconcileName, t.namespace, jobLabels),
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
 * Password rotation (npm run rotate-password): a Job inside the cluster changes the
 * role's password first, connecting with the one it has now; the credentials Secret
 * takes the new one only after the Job succeeded (its dependency), and the app's pods
 * roll on the Secret's checksum. The driver's next run drops the Job and its Secret.
 */
function rotationJob(name: string, args: Args, host: pulumi.Input<string>, previous: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): k8s.batch.v1.Job {
  const t = args.target;
  const jobName = `${name}-rotate-password`;
  const jobLabels = labels(jobName, { "app.kubernetes.io/component": "migration", [DATA_ACCESS_LABEL]: "true" });
  const secret = new k8s.core.v1.Secret(
    jobName,
    { metadata: meta(jobName, t.namespace, jobLabels), type: "Opaque", stringData: { current: previous, nextVerifier: pulumi.output(args.password).apply(scramVerifier) } },
    // The new password itself never leaves the stack: the server gets its SCRAM verifier.
    opts,
  );
  const script = new k8s.core.v1.ConfigMap(jobName, { metadata: meta(jobName, t.namespace, jobLabels), data: { "rotate.sql": renderRotateSql(args.postgres.user) } }, opts);
  const fromRotation = (key: string) => ({ secretKeyRef: { name: secret.metadata.name, key } });
  return new k8s.batch.v1.Job(
    jobName,
    {
      metadata: meta(jobName, t.namespace, jobLabels),
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 300,
        template: {
          metadata: { labels: jobLabels },
          spec: {
            restartPolicy: "OnFailure",
            securityContext: podSecurity(DATASTORE_UID),
            containers: [
              {
                name: "psql",
                image: args.image,
                command: ["psql", "-v", "ON_ERROR_STOP=1", "-f", `${ROTATION_DIR}/rotate.sql`],
                env: [
                  { name: "PGHOST", value: host },
                  { name: "PGPORT", value: String(POSTGRES_PORT) },
                  { name: "PGUSER", value: args.postgres.user },
                  { name: "PGDATABASE", value: args.postgres.database },
                  { name: "PGPASSWORD", valueFrom: fromRotation("current") },
                  { name: NEXT_VERIFIER_ENV, valueFrom: fromRotation("nextVerifier") },
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

const reconcileWait = (pg: PostgresConfig) => `${Math.ceil(pg.reconcileTimeout / 60_000) + 1}m`;

export function postgresOnKubernetes(parent: pulumi.Resource, name: string, args: Args, sql: string) {
  const t = args.target;
  const pg = args.postgres;
  const opts = { parent, provider: t.provider };
  const sel = labels(name, { "app.kubernetes.io/component": "database" });
  // The Service's name is fixed: the rotation Job reaches the server before the Secret exists in its new form.
  const rotation = args.previousPassword === undefined ? undefined : rotationJob(name, args, name, args.previousPassword, opts);
  const secret = new k8s.core.v1.Secret(
    `${name}-credentials`,
    { metadata: meta(`${name}-credentials`, t.namespace, sel), type: "Opaque", stringData: { username: pg.user, password: args.password, database: pg.database } },
    { ...opts, dependsOn: rotation ? [rotation] : [] },
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
  return { host: svc.metadata.name, secretName: secret.metadata.name, checksum: pulumi.secret(pulumi.output(args.password).apply(credentialsChecksum)) };
}

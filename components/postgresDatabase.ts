import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../config/types";
import { renderReconcileSql } from "../render/indexDdl";
import { POSTGRES_PORT, postgresArgs } from "../render/postgresSettings";
import { envList, image, onNetwork } from "./dockerTarget";
import { DATA_ACCESS_LABEL, SIZING, checksum, containerSecurity, dataStoreNetworkPolicy, labels, meta, podSecurity } from "./kube";
import { Target } from "./target";

export const POSTGRES_EXPORTER_PORT = 9187;
const MIGRATIONS_DIR = "/migrations";

export interface PostgresDatabaseArgs {
  target: Target;
  postgres: PostgresConfig;
  image: string;
  exporterImage: string;
  password: pulumi.Input<string>;
  /** Kubernetes only: size of the data volume. */
  storage?: string;
  /** Docker only: host port where @pulumi/postgresql reaches the server. */
  hostPort?: number;
}

/**
 * Quick win 4: PostgreSQL started with the rendered settings, postgres_exporter, and
 * the schema objects (pg_stat_statements, the declared indexes) applied by the
 * reconcile script: from a Job inside the cluster on Kubernetes, where the machine
 * running pulumi cannot reach the database; through @pulumi/postgresql (extension)
 * and a one-shot psql container (indexes) on Docker.
 */
export class PostgresDatabase extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly port: number = POSTGRES_PORT;
  public readonly reconcileSql: string;
  /** Kubernetes Secret holding the password (Kubernetes targets only). */
  public readonly credentialsSecretName?: pulumi.Output<string>;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:PostgresDatabase", name, {}, opts);
    const t = args.target;
    if (t.kind === "kubernetes") {
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: true });
      const { host, secretName } = this.onKubernetes(name, args, t);
      this.host = host;
      this.credentialsSecretName = secretName;
    } else {
      // The extension is a @pulumi/postgresql resource here; the script keeps to indexes.
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: false });
      this.host = this.onDocker(name, args, t);
    }
    this.registerOutputs({ host: this.host, port: this.port, reconcileSql: this.reconcileSql });
  }

  private onKubernetes(name: string, args: PostgresDatabaseArgs, t: Extract<Target, { kind: "kubernetes" }>) {
    const opts = { parent: this, provider: t.provider };
    const pg = args.postgres;
    const sel = labels(name, { "app.kubernetes.io/component": "database" });
    const secret = new k8s.core.v1.Secret(
      `${name}-credentials`,
      { metadata: meta(`${name}-credentials`, t.namespace, sel), type: "Opaque", stringData: { username: pg.user, password: args.password, database: pg.database } },
      opts,
    );
    const fromSecret = (key: string) => ({ secretKeyRef: { name: secret.metadata.name, key } });
    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta(name, t.namespace, sel),
        spec: {
          selector: sel,
          ports: [
            { name: "postgres", port: POSTGRES_PORT, targetPort: POSTGRES_PORT },
            { name: "metrics", port: POSTGRES_EXPORTER_PORT, targetPort: POSTGRES_EXPORTER_PORT },
          ],
        },
      },
      opts,
    );
    const serverArgs = postgresArgs(pg);
    const statefulSet = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta(name, t.namespace, sel),
        spec: {
          serviceName: svc.metadata.name,
          replicas: 1,
          selector: { matchLabels: sel },
          template: {
            metadata: { labels: sel, annotations: { "hotel-reservation/config-checksum": checksum(...serverArgs) } },
            spec: {
              securityContext: podSecurity(999),
              containers: [
                {
                  name: "postgres",
                  image: args.image,
                  args: ["postgres", ...serverArgs],
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
                  ports: [{ name: "metrics", containerPort: POSTGRES_EXPORTER_PORT }],
                  resources: SIZING.exporter,
                  securityContext: { ...containerSecurity, runAsUser: 65534, runAsGroup: 65534 },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: t.storageClass,
                resources: { requests: { storage: args.storage ?? "10Gi" } },
              },
            },
          ],
        },
      },
      { ...opts, protect: t.protectStateful, retainOnDelete: t.protectStateful },
    );
    dataStoreNetworkPolicy(`${name}-ingress`, sel, POSTGRES_PORT, POSTGRES_EXPORTER_PORT, t.namespace, opts);

    // The script's checksum is in the names: a changed script replaces the ConfigMap and
    // the Job (whose template is immutable), so the new script runs once; an unchanged
    // one runs nothing.
    const reconcileName = `${name}-reconcile-${checksum(this.reconcileSql)}`;
    const script = new k8s.core.v1.ConfigMap(
      `${name}-reconcile`,
      { metadata: meta(reconcileName, t.namespace, sel), data: { "reconcile.sql": this.reconcileSql } },
      opts,
    );
    const jobLabels = labels(`${name}-reconcile`, { "app.kubernetes.io/component": "migration", [DATA_ACCESS_LABEL]: "true" });
    new k8s.batch.v1.Job(
      `${name}-reconcile`,
      {
        metadata: meta(reconcileName, t.namespace, jobLabels),
        spec: {
          // Retries cover the database still starting; the script is idempotent.
          backoffLimit: 6,
          template: {
            metadata: { labels: jobLabels },
            spec: {
              restartPolicy: "OnFailure",
              securityContext: podSecurity(999),
              containers: [
                {
                  name: "psql",
                  image: args.image,
                  command: ["psql", "-v", "ON_ERROR_STOP=1", "-f", `${MIGRATIONS_DIR}/reconcile.sql`],
                  env: [
                    { name: "PGHOST", value: svc.metadata.name },
                    { name: "PGPORT", value: String(POSTGRES_PORT) },
                    { name: "PGUSER", valueFrom: fromSecret("username") },
                    { name: "PGPASSWORD", valueFrom: fromSecret("password") },
                    { name: "PGDATABASE", valueFrom: fromSecret("database") },
                    { name: "PGAPPNAME", value: "hotel-stack-reconcile" },
                  ],
                  resources: SIZING.job,
                  securityContext: containerSecurity,
                  volumeMounts: [{ name: "migrations", mountPath: MIGRATIONS_DIR }],
                },
              ],
              volumes: [{ name: "migrations", configMap: { name: script.metadata.name } }],
            },
          },
        },
      },
      { ...opts, dependsOn: [statefulSet] },
    );
    return { host: svc.metadata.name, secretName: secret.metadata.name };
  }

  private onDocker(name: string, args: PostgresDatabaseArgs, t: Extract<Target, { kind: "docker" }>): pulumi.Output<string> {
    const pg = args.postgres;
    const img = image(`${name}-image`, args.image, this);
    const server = new docker.Container(
      name,
      {
        image: img.imageId,
        command: ["postgres", ...postgresArgs(pg)],
        envs: pulumi.all([args.password]).apply(([pw]) =>
          envList({ POSTGRES_USER: pg.user, POSTGRES_PASSWORD: pw, POSTGRES_DB: pg.database }),
        ),
        ports: [{ internal: POSTGRES_PORT, external: args.hostPort, ip: "127.0.0.1" }],
        volumes: [{ volumeName: `${name}-data`, containerPath: "/var/lib/postgresql/data" }],
        healthcheck: { tests: ["CMD-SHELL", `pg_isready -U ${pg.user} -d ${pg.database}`], interval: "2s", timeout: "2s", retries: 30 },
        wait: true,
        waitTimeout: 120,
        networksAdvanced: onNetwork(t, name),
        restart: "unless-stopped",
      },
      { parent: this },
    );

    const provider = new postgresql.Provider(
      `${name}-sql`,
      { host: "127.0.0.1", port: args.hostPort, username: pg.user, password: args.password, database: pg.database, sslmode: "disable", superuser: true },
      { parent: this, dependsOn: [server] },
    );
    if (pg.pgStatStatements) {
      new postgresql.Extension(`${name}-pg-stat-statements`, { name: "pg_stat_statements", database: pg.database }, { parent: this, provider });
    }

    new docker.Container(
      `${name}-reconcile-${checksum(this.reconcileSql)}`,
      {
        image: img.imageId,
        command: ["psql", "-v", "ON_ERROR_STOP=1", "-f", `${MIGRATIONS_DIR}/reconcile.sql`],
        uploads: [{ file: `${MIGRATIONS_DIR}/reconcile.sql`, content: this.reconcileSql }],
        envs: pulumi.all([args.password]).apply(([pw]) =>
          envList({ PGHOST: name, PGUSER: pg.user, PGPASSWORD: pw, PGDATABASE: pg.database, PGAPPNAME: "hotel-stack-reconcile" }),
        ),
        networksAdvanced: onNetwork(t, `${name}-reconcile`),
        // Wait for psql to finish: a failed reconcile fails the update.
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
      },
      { parent: this, dependsOn: [server] },
    );

    const exporterImg = image(`${name}-exporter-image`, args.exporterImage, this);
    new docker.Container(
      `${name}-exporter`,
      {
        image: exporterImg.imageId,
        envs: pulumi.all([args.password]).apply(([pw]) =>
          envList({ DATA_SOURCE_URI: `${name}:${POSTGRES_PORT}/${pg.database}?sslmode=disable`, DATA_SOURCE_USER: pg.user, DATA_SOURCE_PASS: pw }),
        ),
        networksAdvanced: onNetwork(t, `${name}-exporter`),
        restart: "unless-stopped",
      },
      { parent: this, dependsOn: [server] },
    );
    return pulumi.output(name);
  }
}

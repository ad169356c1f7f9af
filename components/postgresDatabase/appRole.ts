/**
 * The app's role on Kubernetes: a Job run as the owner that creates `hotel_app` and
 * gives it the app's password (app-role.sql), and the Secret the app and the warmer
 * read, which gets a password only once the Job has given it to the role.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT } from "../../render/postgresSettings";
import { checksum } from "../../render/checksum";
import { SCHEMA } from "../../render/indexDdl";
import { POSTGRES_APP_ROLE } from "../../contract/services";
import { DATASTORE_UID } from "../../contract/uids";
import { APP_ROLE_APP_NAME, APP_ROLE_DIR, APP_ROLE_SQL_FILE, APP_VERIFIER_ENV, CREDENTIALS_CHECKSUM, credentialsChecksum, renderAppRoleSql, scramVerifier } from "../../render/credentials";
import { DATA_ACCESS_LABEL, KubeTarget, REPLACE_UNREADY, SIZING, containerSecurity, labels, meta, podSecurity } from "../kubernetes/objects";

type EnvFrom = (key: string) => k8s.types.input.core.v1.EnvVarSource;

export interface AppRoleArgs {
  target: KubeTarget;
  image: string;
  database: string;
  /** The server's Service. */
  host: pulumi.Input<string>;
  /** The owner's credentials (the Job logs in as the owner). */
  ownerSecret: EnvFrom;
  password: pulumi.Output<string>;
}

/**
 * The Job keeps one name: a new password changes its pod template (the checksum
 * annotation), which Kubernetes does not allow to change in place, so Pulumi replaces
 * the Job (deleting first: the name is fixed) and the new one runs. Its Secret holds
 * only the verifier, which cannot log in.
 */
function appRoleJob(name: string, args: AppRoleArgs, sql: string, opts: pulumi.CustomResourceOptions): k8s.batch.v1.Job {
  const t = args.target;
  const jobName = `${name}-app-role`;
  const jobLabels = labels(jobName, { "app.kubernetes.io/component": "migration", [DATA_ACCESS_LABEL]: "true" });
  const verifier = new k8s.core.v1.Secret(jobName, { metadata: meta(jobName, t.namespace, jobLabels), type: "Opaque", stringData: { [APP_VERIFIER_ENV]: args.password.apply(scramVerifier) } }, opts);
  const script = new k8s.core.v1.ConfigMap(jobName, { metadata: meta(jobName, t.namespace, jobLabels), data: { [APP_ROLE_SQL_FILE]: sql } }, opts);
  const container: k8s.types.input.core.v1.Container = {
    name: "psql",
    image: args.image,
    command: ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-f", `${APP_ROLE_DIR}/${APP_ROLE_SQL_FILE}`],
    env: [
      { name: "PGHOST", value: args.host },
      { name: "PGPORT", value: String(POSTGRES_PORT) },
      { name: "PGUSER", valueFrom: args.ownerSecret("username") },
      { name: "PGPASSWORD", valueFrom: args.ownerSecret("password") },
      { name: "PGDATABASE", value: args.database },
      { name: "PGAPPNAME", value: APP_ROLE_APP_NAME },
      { name: APP_VERIFIER_ENV, valueFrom: { secretKeyRef: { name: verifier.metadata.name, key: APP_VERIFIER_ENV } } },
    ],
    resources: SIZING.job,
    securityContext: containerSecurity,
    volumeMounts: [{ name: "script", mountPath: APP_ROLE_DIR }],
  };
  const podAnnotations = { [CREDENTIALS_CHECKSUM]: pulumi.secret(args.password.apply(credentialsChecksum)), "hotel-reservation/script-checksum": checksum(sql) };
  return new k8s.batch.v1.Job(
    jobName,
    {
      metadata: meta(jobName, t.namespace, jobLabels, REPLACE_UNREADY),
      spec: {
        // Retries cover the server still starting; the script is idempotent.
        backoffLimit: 6,
        activeDeadlineSeconds: 300,
        template: {
          metadata: { labels: jobLabels, annotations: podAnnotations },
          spec: { restartPolicy: "OnFailure", securityContext: podSecurity(DATASTORE_UID), containers: [container], volumes: [{ name: "script", configMap: { name: script.metadata.name } }] },
        },
      },
    },
    { ...opts, customTimeouts: { create: "6m", update: "6m" } },
  );
}

/** The app's credentials Secret: its password appears only once the Job has completed (the provider awaits it). */
export function appRoleOnKubernetes(name: string, args: AppRoleArgs, opts: pulumi.CustomResourceOptions) {
  const t = args.target;
  const job = appRoleJob(name, args, renderAppRoleSql(POSTGRES_APP_ROLE, args.database, SCHEMA), opts);
  const password = pulumi.secret(pulumi.all([job.metadata.name, args.password]).apply(([, pw]) => pw));
  const sel = labels(name, { "app.kubernetes.io/component": "database" });
  const secret = new k8s.core.v1.Secret(
    `${name}-app-credentials`,
    { metadata: meta(`${name}-app-credentials`, t.namespace, sel), type: "Opaque", stringData: { username: POSTGRES_APP_ROLE, password } },
    opts,
  );
  return { secretName: secret.metadata.name, checksum: pulumi.secret(password.apply(credentialsChecksum)) };
}

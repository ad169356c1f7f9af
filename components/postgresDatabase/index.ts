import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../../config/types";
import { renderReconcileSql } from "../../render/indexDdl";
import { POSTGRES_PORT } from "../../render/postgresSettings";
import { PlatformArgs, onKubernetes } from "../platform";
import { postgresOnDocker } from "./docker";
import { postgresOnKubernetes } from "./kubernetes";
import { DatabasePassword, PasswordProvider, generatedPassword, targetPassword } from "../password";
import { APP_PASSWORD_RESOURCE, PASSWORD_RESOURCE, RotationStep } from "../../contract/secrets";
import { SecretEnv } from "../secretEnv";
import { SECRET_ENV } from "../hotelApi/env";
import { POSTGRES_MONITOR_ROLE } from "../../contract/services";

export type PostgresDatabaseArgs = PlatformArgs<
  {
    postgres: PostgresConfig;
    image: string;
    exporterImage: string;
    /** The password a new stack starts with (components/password.ts). */
    passwordSeed?: pulumi.Input<string>;
    /** Only while `npm run rotate-password` runs (Kubernetes). */
    passwordRotation?: RotationStep;
    /** The stack's provider for its password resources. */
    passwords: PasswordProvider;
  },
  { /** Size of the data volume. */ storage: string },
  { /** Host port (127.0.0.1) where @pulumi/postgresql reaches the server. */ hostPort: number }
>;

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
  /** The app role's password as the app finds it (DB_PASSWORD): there only once the role has it. */
  public readonly appPassword: SecretEnv;
  /** The owner's password (the Jobs' and, on Docker, the exporter's): on Kubernetes the pending one only once the rotation Job gave it to the role. */
  public readonly password: pulumi.Output<string>;

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:PostgresDatabase", name, {}, opts);
    const stored = new DatabasePassword(PASSWORD_RESOURCE, { seed: args.passwordSeed, rotation: args.passwordRotation }, { parent: this, provider: args.passwords });
    const appPassword = generatedPassword(APP_PASSWORD_RESOURCE, this, args.passwords);
    const env = SECRET_ENV.dbPassword;
    if (onKubernetes(args)) {
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: true, monitoringRole: POSTGRES_MONITOR_ROLE });
      const placed = postgresOnKubernetes(this, name, args, { stored, app: appPassword }, this.reconcileSql);
      this.host = placed.host;
      this.password = placed.password;
      this.appPassword = { platform: "kubernetes", env, secretName: placed.app.secretName, key: "password", checksum: placed.app.checksum };
    } else {
      // The extension is a @pulumi/postgresql resource here; the script keeps to indexes.
      // No rotation on Docker (the driver refuses it): the dev database is disposable.
      this.password = targetPassword(stored, args.passwordSeed);
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: false });
      const placed = postgresOnDocker(this, name, { ...args, password: this.password, appPassword }, this.reconcileSql);
      this.host = placed.host;
      this.appPassword = { platform: "docker", env, value: placed.appPassword };
    }
    this.registerOutputs({ host: this.host, port: this.port, reconcileSql: this.reconcileSql });
  }
}

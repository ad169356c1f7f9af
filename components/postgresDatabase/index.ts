import * as pulumi from "@pulumi/pulumi";
import { PostgresConfig } from "../../config/types";
import { renderReconcileSql } from "../../render/indexDdl";
import { POSTGRES_PORT } from "../../render/postgresSettings";
import { PlatformArgs, onKubernetes } from "../platform";
import { postgresOnDocker } from "./docker";
import { postgresOnKubernetes } from "./kubernetes";

export type PostgresDatabaseArgs = PlatformArgs<
  {
    postgres: PostgresConfig;
    image: string;
    exporterImage: string;
    password: pulumi.Input<string>;
    /** Only while `npm run rotate-password` runs (Kubernetes): the password the role has now. */
    previousPassword?: pulumi.Input<string>;
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
  /** Where the app finds the password: a Kubernetes Secret, or (Docker) the value itself. */
  public readonly credentials:
    | { platform: "kubernetes"; secretName: pulumi.Output<string>; /** Rolls the app's pods when the password changes. */ checksum: pulumi.Output<string> }
    | { platform: "docker"; password: pulumi.Input<string> };

  constructor(name: string, args: PostgresDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:PostgresDatabase", name, {}, opts);
    if (onKubernetes(args)) {
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: true });
      const placed = postgresOnKubernetes(this, name, args, this.reconcileSql);
      this.host = placed.host;
      this.credentials = { platform: "kubernetes", secretName: placed.secretName, checksum: placed.checksum };
    } else {
      // The extension is a @pulumi/postgresql resource here; the script keeps to indexes.
      this.reconcileSql = renderReconcileSql(args.postgres, { manageExtension: false });
      this.host = postgresOnDocker(this, name, args, this.reconcileSql);
      this.credentials = { platform: "docker", password: args.password };
    }
    this.registerOutputs({ host: this.host, port: this.port, reconcileSql: this.reconcileSql });
  }
}

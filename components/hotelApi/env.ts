/** The app's connection settings, the same on every platform. */
import * as pulumi from "@pulumi/pulumi";

/** The secrets the app and the warmer read from their environment (docs/APP_CONTRACT.md). */
export const SECRET_ENV = { dbPassword: "DB_PASSWORD", redisPassword: "REDIS_PASSWORD" } as const;

/** How the app reaches its data stores (host names are platform names). */
export interface Connection {
  redisHost: pulumi.Input<string>;
  redisPort: number;
  postgresHost: pulumi.Input<string>;
  postgresPort: number;
  database: string;
  user: string;
}

export function connectionEnv(c: Connection): Record<string, pulumi.Input<string>> {
  return {
    REDIS_HOST: c.redisHost,
    REDIS_PORT: String(c.redisPort),
    DB_HOST: c.postgresHost,
    DB_PORT: String(c.postgresPort),
    DB_NAME: c.database,
    DB_USER: c.user,
  };
}

/** The app on Docker: one container with the settings and connection as environment. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerTarget, envList, image, labels, onNetwork } from "../docker/containers";
import { DockerSecretEnv, secretValues } from "../secretEnv";
import { Connection, connectionEnv } from "./env";

interface Args {
  target: DockerTarget;
  image: string;
  port: number;
  settings: Record<string, string>;
  connection: Connection;
  secrets: DockerSecretEnv[];
  hostPort: number;
}

/** The app's whole environment: settings, connection and the passwords (a secret). */
export function dockerAppEnv(settings: Record<string, string>, connection: Connection, secrets: DockerSecretEnv[]): pulumi.Output<string[]> {
  return pulumi.all([pulumi.output(connectionEnv(connection)), secretValues(secrets)]).apply(([conn, values]) => envList({ ...settings, ...(conn as Record<string, string>), ...values }));
}

export function apiOnDocker(parent: pulumi.Resource, name: string, args: Args): pulumi.Output<string> {
  new docker.Container(
    name,
    {
      image: image(`${name}-image`, args.image, parent).imageId,
      envs: dockerAppEnv(args.settings, args.connection, args.secrets),
      ports: [{ internal: args.port, external: args.hostPort, ip: "127.0.0.1" }],
      networksAdvanced: onNetwork(args.target, name),
      labels: labels(args.target),
      restart: "unless-stopped",
    },
    { parent },
  );
  return pulumi.output(name);
}

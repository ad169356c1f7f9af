/** The dev target: containers on one private Docker network. */
import * as docker from "@pulumi/docker";

export interface DockerTarget {
  kind: "docker";
  network: docker.Network;
}

export function image(name: string, ref: string, parent: import("@pulumi/pulumi").Resource): docker.RemoteImage {
  return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}

export function onNetwork(t: DockerTarget, alias: string): docker.types.input.ContainerNetworksAdvanced[] {
  return [{ name: t.network.name, aliases: [alias] }];
}

export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

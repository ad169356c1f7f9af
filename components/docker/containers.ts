/** Docker building blocks shared by the components: the target network, images, env. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Where the components place containers: one private network per stage. */
export interface DockerTarget {
  kind: "docker";
  network: docker.Network;
}

export function image(name: string, ref: string, parent: pulumi.Resource): docker.RemoteImage {
  return new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
}

export function onNetwork(t: DockerTarget, alias: string): docker.types.input.ContainerNetworksAdvanced[] {
  return [{ name: t.network.name, aliases: [alias] }];
}

export function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** A container's env with one secret value in it (the whole list becomes secret). */
export function envWithSecret(env: Record<string, string>, key: string, secret: pulumi.Input<string>): pulumi.Output<string[]> {
  return pulumi.output(secret).apply((value) => envList({ ...env, [key]: value }));
}

/** The Docker target of a stage: its private network. */
export function dockerTarget(parent: pulumi.Resource, stage: string): DockerTarget {
  return { kind: "docker", network: new docker.Network("hotel", { name: `hotel-${stage}`, internal: false }, { parent }) };
}

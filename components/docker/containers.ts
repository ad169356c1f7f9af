/** Docker building blocks shared by the components: the target network, images, env. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { STAGE_LABEL } from "../../contract/labels";

/** Where the components place containers: one private network per stage. */
export interface DockerTarget {
  platform: "docker";
  network: docker.Network;
  stage: string;
}

/**
 * How long a container whose data outlives it (PostgreSQL, Prometheus) may take to stop
 * when a change replaces it or `destroy` removes it. Left unset, the docker provider stops
 * with a timeout of 0 (ContainerStop, then a forced remove): every flag change killed
 * PostgreSQL, which came back through crash recovery, and Prometheus lost the samples
 * not yet in its WAL. 30 s is the default grace Kubernetes gives staging's and prod's pods.
 */
export const STOP_GRACE_SECONDS = 30;

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

/**
 * The Docker target of a stage: its private network, auto-named (hotel-<suffix>) so two
 * stacks of one stage on one daemon (a laptop's dev and the tests' copy) never share
 * one; containers find each other by their aliases on it.
 */
export function dockerTarget(parent: pulumi.Resource, stage: string): DockerTarget {
  return { platform: "docker", stage, network: new docker.Network("hotel", { labels: [{ label: STAGE_LABEL, value: stage }] }, { parent }) };
}

/** The stage label, plus any of the container's own. */
export function labels(t: DockerTarget, own: Record<string, string> = {}): docker.types.input.ContainerLabel[] {
  return Object.entries({ [STAGE_LABEL]: t.stage, ...own }).map(([label, value]) => ({ label, value }));
}

/** Every Docker object of the stack carries its stage, for `docker ps --filter label=...`. */

/**
 * A secret the app's processes read from their environment (the app role's password,
 * Redis's): on Kubernetes a key of a Secret, plus a checksum that rolls the pods when
 * the value changes (the app reads its environment once, at start); on Docker the value.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checksum } from "../render/checksum";

export interface KubeSecretEnv {
  env: string;
  secretName: pulumi.Input<string>;
  key: string;
  checksum: pulumi.Input<string>;
}
export interface DockerSecretEnv {
  env: string;
  value: pulumi.Input<string>;
}
export type SecretEnv = ({ platform: "kubernetes" } & KubeSecretEnv) | ({ platform: "docker" } & DockerSecretEnv);

export function secretEnvVars(secrets: KubeSecretEnv[]): k8s.types.input.core.v1.EnvVar[] {
  return secrets.map((s) => ({ name: s.env, valueFrom: { secretKeyRef: { name: s.secretName, key: s.key } } }));
}

/** One checksum over every secret's own (each already one-way): the pod annotation. */
export const secretsChecksum = (secrets: KubeSecretEnv[]): pulumi.Output<string> => pulumi.secret(pulumi.all(secrets.map((s) => s.checksum)).apply((sums) => checksum(...sums)));

/** The values as environment entries (secret: the whole list is). */
export const secretValues = (secrets: DockerSecretEnv[]): pulumi.Output<Record<string, string>> =>
  pulumi.all(secrets.map((s) => pulumi.output(s.value).apply((v) => [s.env, v] as const))).apply((pairs) => Object.fromEntries(pairs));

/** Shared test helpers: lookups on mock runs, the stage configs, and resource type tokens. */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import { AlertmanagerConfig, PrometheusRule, typeToken } from "../policies/readers/types";
import { Registered } from "../harness/mockRun";

export { stageConfig, stripNamespace } from "../config/stages";

export function find(resources: Registered[], type: string, name?: string): Registered {
  const hit = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (hit.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${hit.length}`);
  return hit[0];
}

/** Type tokens from the provider classes themselves, so a test never spells one out. */
export const K8S = {
  configMap: typeToken(k8s.core.v1.ConfigMap),
  statefulSet: typeToken(k8s.apps.v1.StatefulSet),
  deployment: typeToken(k8s.apps.v1.Deployment),
  job: typeToken(k8s.batch.v1.Job),
  cronJob: typeToken(k8s.batch.v1.CronJob),
  service: typeToken(k8s.core.v1.Service),
  secret: typeToken(k8s.core.v1.Secret),
  networkPolicy: typeToken(k8s.networking.v1.NetworkPolicy),
  prometheusRule: typeToken(PrometheusRule),
  alertmanagerConfig: typeToken(AlertmanagerConfig),
  namespace: typeToken(k8s.core.v1.Namespace),
};
export const DOCKER = {
  container: typeToken(docker.Container),
  image: typeToken(docker.RemoteImage),
  network: typeToken(docker.Network),
};
export const POSTGRESQL = { extension: typeToken(postgresql.Extension) };

/** Shared test helpers: lookups on mock runs, and the stage configs. */
import { Registered } from "../tools/mockRun";

export { stageConfig, stripNamespace } from "../config/stages";

export function find(resources: Registered[], type: string, name?: string): Registered {
  const hit = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
  if (hit.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${hit.length}`);
  return hit[0];
}

export const K8S = {
  configMap: "kubernetes:core/v1:ConfigMap",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  alertmanagerConfig: "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig",
  namespace: "kubernetes:core/v1:Namespace",
};
export const DOCKER = {
  container: "docker:index/container:Container",
  image: "docker:index/remoteImage:RemoteImage",
  network: "docker:index/network:Network",
};

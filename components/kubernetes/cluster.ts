/** The Kubernetes target of a stage: its provider and namespace. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/types";
import { formatPromDuration } from "../../config/units";
import { KubeTarget, PART_OF, PATCH_FORCE } from "./objects";

/** How the driver runs this program: render mode's folder, and whether the namespace was taken over rather than created. */
export interface TargetRun {
  renderDirectory?: string;
  namespaceAdopted?: boolean;
}

export function kubernetesTarget(parent: pulumi.Resource, c: StackConfig, { renderDirectory, namespaceAdopted = false }: TargetRun = {}): KubeTarget {
  const k = c.kubernetes;
  // ConfigMaps and Secrets are updated in place. By default the provider replaces them on
  // any data change, and since their names are fixed that replacement is delete-first and
  // cascades to every workload that references them: a redis.conf change would replace
  // the (protected) Redis StatefulSet, and fail in prod. Pods still roll on a change: their
  // templates carry a checksum of the config they read.
  // kubeconfig "": the provider reads KUBECONFIG (or ~/.kube/config) itself. Left unset, the
  // SDK passes KUBECONFIG's path, which the state then records (a provider diff whenever
  // two operators' paths differ), and from which the provider writes a copy of the
  // credentials into the temp folder on every run and never removes it (docs/ENGINE.md).
  const provider = new k8s.Provider("k8s", { kubeconfig: "", renderYamlToDirectory: renderDirectory, enableConfigMapMutable: true, enableSecretMutable: true }, { parent });
  const ns = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: k.namespace, labels: { "app.kubernetes.io/part-of": PART_OF, stage: c.stage }, annotations: PATCH_FORCE } },
    // Deleting a namespace deletes everything in it, retained StatefulSets and PVCs too:
    // it is protected and retained wherever they are. One the stack took over (npm run
    // adopt) was never the stack's to delete: retained too.
    { parent, provider, protect: k.protectStateful, retainOnDelete: k.protectStateful || namespaceAdopted },
  );
  return {
    platform: "kubernetes",
    provider,
    namespace: ns.metadata.name,
    storageClass: k.storageClass,
    prometheusOperator: k.prometheusOperator,
    monitoringLabels: k.monitoringLabels,
    dashboardLabels: k.dashboardLabels,
    scrapeInterval: formatPromDuration(c.alerts.evaluationInterval),
    scraper: k.scraper,
    protectStateful: k.protectStateful,
  };
}

/** Kubernetes building blocks shared by the components: target, labels, security, sizing. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const PART_OF = "hotel-reservation";
/** Pods with this label may reach Redis and PostgreSQL (see the NetworkPolicies). */
export const DATA_ACCESS_LABEL = "hotel-reservation/data-access";

/** Where the components place Kubernetes objects. */
export interface KubeTarget {
  platform: "kubernetes";
  provider: k8s.Provider;
  namespace: pulumi.Input<string>;
  storageClass?: string;
  prometheusOperator: boolean;
  /** What the cluster's Prometheus selects rules and monitors by. */
  monitoringLabels: Record<string, string>;
  /** What Grafana's dashboard sidecar loads ConfigMaps by. */
  dashboardLabels: Record<string, string>;
  /**
   * How often the ServiceMonitors ask for a scrape: the stage's evaluation interval, as on
   * Docker (hotel:alerts.evaluationInterval; validation holds rateWindow >= 4 x it, so
   * every rate() sees enough samples). A fixed 30 s left a short rate window empty.
   */
  scrapeInterval: string;
  /** The Prometheus pods allowed to scrape the exporters, and their namespace. */
  scraper: { namespace: string; podLabels: Record<string, string> };
  protectStateful: boolean;
}

/**
 * The stack owns every object it declares: when another field manager holds a field it
 * sets (the usual one is a killed run of the stack itself, whose half-made object the
 * next run creates again), its server-side apply takes the field instead of failing
 * with a conflict. docs/OPERATIONS.md, "a killed update".
 */
export const PATCH_FORCE = { "pulumi.com/patchForce": "true" };

/**
 * Object metadata with an explicit name: rendered manifests and reviews then show
 * stable names, not Pulumi's random suffixes.
 */
/**
 * On a Job: a Job that failed is replaced by the next run instead of being awaited again
 * (a Job's template is immutable, so an unchanged one would wedge every later `up`).
 */
export const REPLACE_UNREADY = { "pulumi.com/replaceUnready": "true" };

export function meta(name: string, namespace: pulumi.Input<string>, objectLabels: Record<string, string>, annotations: Record<string, string> = {}) {
  return { name, namespace, labels: objectLabels, annotations: { ...PATCH_FORCE, ...annotations } };
}

export function labels(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PART_OF, ...extra };
}

/** Non-root pods; `fsGroup` only where the pod writes a volume. */
export function podSecurity(uid: number, ownsVolume = true): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    ...(ownsVolume ? { fsGroup: uid } : {}),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export const containerSecurity: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: false,
  capabilities: { drop: ["ALL"] },
};

export type Sizing = k8s.types.input.core.v1.ResourceRequirements;

/** Requests and limits of the fixed-size containers (Redis's follow its maxmemory). */
export const SIZING = {
  postgres: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
  exporter: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
  app: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  job: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
} satisfies Record<string, Sizing>;

/**
 * A StatefulSet's volumeClaimTemplates are immutable: a new size there would replace the
 * StatefulSet (an outage; refused in prod, where it is protected) while its claims kept
 * their size anyway. So the template stays as first created (ignoreChanges) and the size
 * goes to the claim itself, which the StorageClass expands in place if it allows that.
 */
export const FIXED_VOLUME_TEMPLATES = ["spec.volumeClaimTemplates"];

/** The size of a StatefulSet's one data claim (data-<name>-0), applied to the claim. */
export function dataVolumeSize(name: string, t: KubeTarget, storage: string, owner: pulumi.Resource, opts: pulumi.CustomResourceOptions) {
  return new k8s.core.v1.PersistentVolumeClaimPatch(
    `${name}-data-size`,
    {
      // The StatefulSet controller created the claim; taking over its size needs a forced apply.
      metadata: { name: `data-${name}-0`, namespace: t.namespace, annotations: PATCH_FORCE },
      spec: { resources: { requests: { storage } } },
    },
    { ...opts, dependsOn: [owner] },
  );
}

/** A data volume claim template of the given size. */
export function dataVolume(t: KubeTarget, storage: string): k8s.types.input.core.v1.PersistentVolumeClaim {
  return {
    metadata: { name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: t.storageClass, resources: { requests: { storage } } },
  };
}

/**
 * Ingress to `selector` pods only from data-access pods, and to the metrics port only
 * from the scraper's pods in the scraper's namespace (hotel:kubernetes.scraper).
 */
export function dataStoreNetworkPolicy(
  name: string,
  t: KubeTarget,
  selector: Record<string, string>,
  ports: { data: number; metrics: number },
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  const scraper = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": t.scraper.namespace } },
    podSelector: { matchLabels: t.scraper.podLabels },
  };
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: meta(name, t.namespace, labels(name)),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
          { from: [{ podSelector: { matchLabels: { [DATA_ACCESS_LABEL]: "true" } } }], ports: [{ port: ports.data, protocol: "TCP" }] },
          { from: [scraper], ports: [{ port: ports.metrics, protocol: "TCP" }] },
        ],
      },
    },
    opts,
  );
}

/**
 * A ServiceMonitor for the operator's Prometheus: it scrapes the named port of the
 * Service whose labels are `selector`, and carries the labels that Prometheus selects by.
 */
export function serviceMonitor(name: string, t: KubeTarget, selector: Record<string, string>, port: string, opts: pulumi.CustomResourceOptions) {
  if (!t.prometheusOperator) return undefined;
  return new k8s.apiextensions.CustomResource(
    `${name}-monitor`,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: meta(name, t.namespace, { ...labels(name), ...t.monitoringLabels }),
      spec: { selector: { matchLabels: selector }, endpoints: [{ port, path: "/metrics", interval: t.scrapeInterval }] },
    },
    opts,
  );
}

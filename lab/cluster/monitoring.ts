/**
 * The monitoring half of a kube-prometheus-stack install, for the local cluster's real
 * node: a Prometheus and an Alertmanager that the real prometheus-operator turns into
 * pods, selecting a stage's ServiceMonitors and PrometheusRules by the labels the stage
 * config names (hotel:kubernetes.monitoringLabels) and its AlertmanagerConfig by the
 * stack's routing label, in every namespace. Pure: it returns the objects; the cluster
 * applies them.
 */
import { NODE_NETWORK } from "./network";
import { PROMETHEUS_IMAGE } from "./node";
import { StackConfig } from "../../config/types";
import { formatPromDuration } from "../../config/units";
import { ROUTING_LABELS } from "../../contract/labels";

export const MONITORING_NAMESPACE = "monitoring";
/** The name of both custom resources; the operator names its pods and Services after it. */
export const MONITORING_NAME = "hotel";
/** The Services the operator creates in front of the pods it runs. */
export const OPERATED_SERVICES = { prometheus: "prometheus-operated", alertmanager: "alertmanager-operated" } as const;
/** The sidecar port of the Alertmanager pod that records deliveries (a receiver in the cluster). */
export const WEBHOOK_SINK_PORT = 9099;

export interface MonitoringArgs {
  /** Selects the stage's ServiceMonitors and PrometheusRules. */
  selectLabels: Record<string, string>;
  /** Selects the stage's AlertmanagerConfig. */
  routingLabels: Record<string, string>;
  images: { prometheus: string; prometheusVersion: string; alertmanager: string; webhookSink: string };
  /** Scrape and rule evaluation interval (a Prometheus duration, e.g. "5s"). */
  interval: string;
}

const NOBODY = { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, fsGroup: 65534 };
const ON_THE_NODE = { nodeSelector: { "kubernetes.io/hostname": NODE_NETWORK.nodeName } };

/** What Prometheus' Kubernetes discovery reads: the targets behind Services, and pods. */
function prometheusAccess(): object[] {
  const name = `prometheus-${MONITORING_NAME}`;
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: MONITORING_NAMESPACE } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name },
      rules: [
        { apiGroups: [""], resources: ["services", "endpoints", "pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace: MONITORING_NAMESPACE }],
    },
  ];
}

function prometheus(a: MonitoringArgs): object {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Prometheus",
    metadata: { name: MONITORING_NAME, namespace: MONITORING_NAMESPACE },
    spec: {
      image: a.images.prometheus,
      version: a.images.prometheusVersion,
      replicas: 1,
      serviceAccountName: `prometheus-${MONITORING_NAME}`,
      securityContext: NOBODY,
      ...ON_THE_NODE,
      scrapeInterval: a.interval,
      evaluationInterval: a.interval,
      ruleSelector: { matchLabels: a.selectLabels },
      ruleNamespaceSelector: {},
      serviceMonitorSelector: { matchLabels: a.selectLabels },
      serviceMonitorNamespaceSelector: {},
      alerting: { alertmanagers: [{ namespace: MONITORING_NAMESPACE, name: OPERATED_SERVICES.alertmanager, port: "web" }] },
    },
  };
}

/**
 * The Alertmanager, with a sidecar that answers webhooks on loopback and prints each
 * delivery: the receiver a stage's webhook URL (http://127.0.0.1:<port>/...) can point
 * at on a machine where no pager is reachable.
 */
function alertmanager(a: MonitoringArgs): object {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "Alertmanager",
    metadata: { name: MONITORING_NAME, namespace: MONITORING_NAMESPACE },
    spec: {
      image: a.images.alertmanager,
      version: "v0.25.0",
      replicas: 1,
      securityContext: NOBODY,
      ...ON_THE_NODE,
      alertmanagerConfigSelector: { matchLabels: a.routingLabels },
      alertmanagerConfigNamespaceSelector: {},
      containers: [
        {
          name: "webhook-sink",
          image: a.images.webhookSink,
          command: ["python", "-m", "app.webhook_sink"],
          env: [{ name: "PORT", value: String(WEBHOOK_SINK_PORT) }],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
        },
      ],
    },
  };
}

/** Every object of the monitoring stack, in apply order. */
export function monitoringObjects(a: MonitoringArgs): object[] {
  return [{ apiVersion: "v1", kind: "Namespace", metadata: { name: MONITORING_NAMESPACE } }, ...prometheusAccess(), prometheus(a), alertmanager(a)];
}

/**
 * The monitoring stack for a stage on the local node: its labels, its evaluation interval,
 * and images the node holds (the node's own Prometheus, the stand-ins for the rest).
 */
export function stageMonitoring(c: StackConfig, images: { alertmanager: string; app: string }): MonitoringArgs {
  return {
    selectLabels: c.kubernetes.monitoringLabels,
    routingLabels: { ...ROUTING_LABELS },
    images: { prometheus: PROMETHEUS_IMAGE.name, prometheusVersion: PROMETHEUS_IMAGE.version, alertmanager: images.alertmanager, webhookSink: images.app },
    interval: formatPromDuration(c.alerts.evaluationInterval),
  };
}

/** How a person looks at the monitoring stack from this machine. */
export const monitoringHints = (kubectl: string, kubeconfig: string) =>
  [
    `monitoring: the operator runs Prometheus and Alertmanager in namespace ${MONITORING_NAMESPACE} on the node; to look:`,
    `  ${kubectl} --kubeconfig ${kubeconfig} -n ${MONITORING_NAMESPACE} port-forward --address 127.0.0.1 svc/${OPERATED_SERVICES.prometheus} 9090`,
    `  ${kubectl} --kubeconfig ${kubeconfig} -n ${MONITORING_NAMESPACE} port-forward --address 127.0.0.1 svc/${OPERATED_SERVICES.alertmanager} 9093`,
  ].join("\n");

/** Alert rules on Kubernetes: the operator's PrometheusRule and AlertmanagerConfig, or one ConfigMap. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../../config/types";
import { renderAlertmanagerConfigSpec, webhookUrls } from "../../render/alertmanagerConfig";
import { RuleGroups, inNamespace } from "../../render/alertRules";
import { KubeTarget, labels, meta } from "../kubernetes/objects";
import { ROUTING_LABELS } from "../../contract/labels";

interface Rendered {
  rules: RuleGroups;
  rulesYaml: string;
  alertmanagerYaml: string;
}

export function alertRulesOnKubernetes(parent: pulumi.Resource, name: string, args: { target: KubeTarget; alerts: AlertsConfig }, r: Rendered): void {
  const t = args.target;
  const opts = { parent, provider: t.provider };
  const metadata = meta(name, t.namespace, labels(name, { role: "alert-rules", ...t.monitoringLabels }));
  // Webhook URLs often carry a token: they go to a Secret (redacted in rendered manifests), never into the routing object.
  const routingLabels = labels(name, { ...ROUTING_LABELS });
  if (!t.prometheusOperator) {
    new k8s.core.v1.ConfigMap(name, { metadata, data: { "hotel.rules.yml": r.rulesYaml } }, opts);
    new k8s.core.v1.Secret(
      `${name}-alertmanager`,
      { metadata: meta(`${name}-alertmanager`, t.namespace, routingLabels), type: "Opaque", stringData: { "alertmanager.yml": r.alertmanagerYaml } },
      opts,
    );
    return;
  }
  const webhooks = new k8s.core.v1.Secret(`${name}-webhooks`, { metadata: meta(`${name}-webhooks`, t.namespace, routingLabels), type: "Opaque", stringData: webhookUrls(args.alerts) }, opts);
  // The operator's Alertmanager routes the stage's AlertmanagerConfig only for alerts of its namespace.
  new k8s.apiextensions.CustomResource(
    name,
    { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata, spec: pulumi.output(t.namespace).apply((ns) => inNamespace(r.rules, ns)) },
    opts,
  );
  new k8s.apiextensions.CustomResource(
    `${name}-routing`,
    {
      apiVersion: "monitoring.coreos.com/v1alpha1",
      kind: "AlertmanagerConfig",
      metadata: meta(`${name}-routing`, t.namespace, routingLabels),
      spec: webhooks.metadata.name.apply((secret) => renderAlertmanagerConfigSpec(args.alerts, secret)),
    },
    opts,
  );
}

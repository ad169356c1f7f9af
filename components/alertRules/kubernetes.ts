/** Alert rules on Kubernetes: the operator's PrometheusRule and AlertmanagerConfig, or one ConfigMap. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../../config/types";
import { renderAlertmanagerConfigSpec } from "../../render/alertmanagerConfig";
import { RuleGroups } from "../../render/alertRules";
import { KubeTarget, labels, meta } from "../kubernetes/objects";

interface Rendered {
  rules: RuleGroups;
  rulesYaml: string;
  alertmanagerYaml: string;
}

export function alertRulesOnKubernetes(parent: pulumi.Resource, name: string, args: { target: KubeTarget; alerts: AlertsConfig }, r: Rendered): void {
  const t = args.target;
  const opts = { parent, provider: t.provider };
  const metadata = meta(name, t.namespace, labels(name, { role: "alert-rules", ...t.monitoringLabels }));
  if (!t.prometheusOperator) {
    new k8s.core.v1.ConfigMap(name, { metadata, data: { "hotel.rules.yml": r.rulesYaml, "alertmanager.yml": r.alertmanagerYaml } }, opts);
    return;
  }
  new k8s.apiextensions.CustomResource(name, { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata, spec: r.rules }, opts);
  new k8s.apiextensions.CustomResource(
    `${name}-routing`,
    {
      apiVersion: "monitoring.coreos.com/v1alpha1",
      kind: "AlertmanagerConfig",
      metadata: meta(`${name}-routing`, t.namespace, labels(name, { role: "alert-routing" })),
      spec: renderAlertmanagerConfigSpec(args.alerts),
    },
    opts,
  );
}

/**
 * The resource classes the pack dispatches on. Operator objects are CustomResources,
 * whose token depends on apiVersion and kind: a subclass carrying the token lets the
 * typed dispatch (`validateResourceOfType`, `isType`) match them like any other class.
 */
import * as k8s from "@pulumi/kubernetes";

export class PrometheusRule extends k8s.apiextensions.CustomResource {
  static readonly __pulumiType = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
}

export class AlertmanagerConfig extends k8s.apiextensions.CustomResource {
  static readonly __pulumiType = "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig";
}

/** A resource class's Pulumi type token (generated SDKs keep it on a static the .d.ts files omit). */
export function typeToken(cls: unknown): string {
  return (cls as { __pulumiType: string }).__pulumiType;
}

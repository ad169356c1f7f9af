import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../config/types";
import { renderAlertmanagerConfigSpec, renderAlertmanagerConfigYaml } from "../render/alertmanagerConfig";
import { RuleGroups, renderAlertRules, renderAlertRulesYaml } from "../render/alertRules";
import { RULES_PATH, ScrapeTargets, renderPrometheusConfig } from "../render/prometheusConfig";
import { image, onNetwork } from "./dockerTarget";
import { labels, meta } from "./kube";
import { Target } from "./target";

export interface AlertRulesArgs {
  target: Target;
  alerts: AlertsConfig;
  /** Docker only: the Prometheus that evaluates the rules, what it scrapes, and its Alertmanager. */
  prometheusImage?: string;
  alertmanagerImage?: string;
  scrapeTargets?: ScrapeTargets;
  hostPort?: number;
}

export const ALERTMANAGER_PORT = 9093;

/**
 * Quick win 1: the alert rules, and where they are routed. On Kubernetes a
 * PrometheusRule and an AlertmanagerConfig for clusters running the Prometheus
 * operator (or a ConfigMap with both files for a plain Prometheus); on Docker a
 * Prometheus and an Alertmanager container loading the same files.
 */
export class AlertRules extends pulumi.ComponentResource {
  public readonly rules: RuleGroups;
  public readonly rulesYaml: string;
  public readonly alertmanagerYaml: string;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:AlertRules", name, {}, opts);
    this.rules = renderAlertRules(args.alerts);
    this.rulesYaml = renderAlertRulesYaml(args.alerts);
    this.alertmanagerYaml = renderAlertmanagerConfigYaml(args.alerts);
    const t = args.target;
    if (t.kind === "kubernetes") {
      const opts = { parent: this, provider: t.provider };
      const metadata = meta(name, t.namespace, labels(name, { role: "alert-rules" }));
      if (t.prometheusOperator) {
        new k8s.apiextensions.CustomResource(
          name,
          { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata, spec: this.rules },
          opts,
        );
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
      } else {
        new k8s.core.v1.ConfigMap(name, { metadata, data: { "hotel.rules.yml": this.rulesYaml, "alertmanager.yml": this.alertmanagerYaml } }, opts);
      }
    } else {
      if (!args.prometheusImage || !args.alertmanagerImage || !args.scrapeTargets) {
        throw new Error("AlertRules on Docker needs prometheusImage, alertmanagerImage and scrapeTargets");
      }
      const amImg = image(`${name}-alertmanager-image`, args.alertmanagerImage, this);
      new docker.Container(
        `${name}-alertmanager`,
        {
          image: amImg.imageId,
          uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: this.alertmanagerYaml }],
          networksAdvanced: onNetwork(t, "alertmanager"),
          restart: "unless-stopped",
          memory: 256,
        },
        { parent: this },
      );
      const img = image(`${name}-prometheus-image`, args.prometheusImage, this);
      new docker.Container(
        `${name}-prometheus`,
        {
          image: img.imageId,
          uploads: [
            { file: "/etc/prometheus/prometheus.yml", content: renderPrometheusConfig(args.alerts.metrics, args.scrapeTargets) },
            { file: RULES_PATH, content: this.rulesYaml },
          ],
          ports: [{ internal: 9090, external: args.hostPort, ip: "127.0.0.1" }],
          networksAdvanced: onNetwork(t, "prometheus"),
          restart: "unless-stopped",
          memory: 512,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ rulesYaml: this.rulesYaml, alertmanagerYaml: this.alertmanagerYaml });
  }
}

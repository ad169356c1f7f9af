import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../config/types";
import { RuleGroups, renderAlertRules, renderAlertRulesYaml } from "../render/alertRules";
import { RULES_PATH, ScrapeTargets, renderPrometheusConfig } from "../render/prometheusConfig";
import { image, onNetwork } from "./dockerTarget";
import { labels, meta } from "./kube";
import { Target } from "./target";

export interface AlertRulesArgs {
  target: Target;
  alerts: AlertsConfig;
  /** Docker only: the Prometheus that evaluates the rules, and what it scrapes. */
  prometheusImage?: string;
  scrapeTargets?: ScrapeTargets;
  hostPort?: number;
}

/**
 * Quick win 1: the alert rules. On Kubernetes a PrometheusRule for clusters running
 * the Prometheus operator (or a ConfigMap for a plain Prometheus); on Docker a
 * Prometheus container loading the same rules file.
 */
export class AlertRules extends pulumi.ComponentResource {
  public readonly rules: RuleGroups;
  public readonly rulesYaml: string;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:AlertRules", name, {}, opts);
    this.rules = renderAlertRules(args.alerts);
    this.rulesYaml = renderAlertRulesYaml(args.alerts);
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
      } else {
        new k8s.core.v1.ConfigMap(name, { metadata, data: { "hotel.rules.yml": this.rulesYaml } }, opts);
      }
    } else {
      if (!args.prometheusImage || !args.scrapeTargets) throw new Error("AlertRules on Docker needs prometheusImage and scrapeTargets");
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
    this.registerOutputs({ rulesYaml: this.rulesYaml });
  }
}

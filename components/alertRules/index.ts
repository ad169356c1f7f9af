import * as pulumi from "@pulumi/pulumi";
import { AlertsConfig } from "../../config/types";
import { renderAlertmanagerConfigYaml, renderRoutingForReview } from "../../render/alertmanagerConfig";
import { RuleGroups, renderAlertRules, renderAlertRulesYaml } from "../../render/alertRules";
import { Placement, onKubernetes } from "../platform";
import { alertingOnDocker } from "./docker";
import { alertRulesOnKubernetes } from "./kubernetes";

export type AlertRulesPlacement = Placement<
  {},
  {
    /** The Prometheus that evaluates the rules, and its Alertmanager. */
    prometheusImage: string;
    alertmanagerImage: string;
    /** prometheus.yml: what it scrapes and where it sends alerts. */
    prometheusConfig: string;
    hostPort: number;
  }
>;

export type AlertRulesArgs = { alerts: AlertsConfig } & AlertRulesPlacement;

/**
 * Quick win 1: the alert rules, and where they are routed. On Kubernetes a
 * PrometheusRule and an AlertmanagerConfig for clusters running the Prometheus
 * operator (or a ConfigMap with both files for a plain Prometheus); on Docker a
 * Prometheus and an Alertmanager container loading the same files.
 */
export class AlertRules extends pulumi.ComponentResource {
  public readonly rules: RuleGroups;
  public readonly rulesYaml: string;
  /** The routing with its webhook URLs: placed as a secret only. */
  public readonly alertmanagerYaml: string;
  /** The routing with the URLs redacted: what outputs and reviews show. */
  public readonly routingYaml: string;

  constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:AlertRules", name, {}, opts);
    this.rules = renderAlertRules(args.alerts);
    this.rulesYaml = renderAlertRulesYaml(args.alerts);
    this.alertmanagerYaml = renderAlertmanagerConfigYaml(args.alerts);
    this.routingYaml = renderRoutingForReview(args.alerts);
    if (onKubernetes(args)) {
      alertRulesOnKubernetes(this, name, args, this);
    } else {
      alertingOnDocker(this, name, args, this);
    }
    // Component outputs land in the state in plain text: the redacted routing only.
    this.registerOutputs({ rulesYaml: this.rulesYaml, routingYaml: this.routingYaml });
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/types";
import { DASHBOARD_FILE, renderDashboardJson } from "../../render/dashboard";
import { labels, meta } from "../kubernetes/objects";
import { Target } from "../platform";

export interface DashboardArgs {
  config: StackConfig;
  target: Target;
}

/**
 * The quick wins' Grafana dashboard. On Kubernetes a ConfigMap carrying the stage's
 * dashboard labels, which kube-prometheus-stack's Grafana sidecar loads (its
 * searchNamespace must include the stage's namespace). Docker runs no Grafana: there the
 * dashboard is only this component's output, which `npm run generate` writes with
 * Grafana's provisioning files (rendered/dev/grafana/).
 */
export class Dashboard extends pulumi.ComponentResource {
  public readonly json: string;

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:Dashboard", name, {}, opts);
    this.json = renderDashboardJson(args.config);
    const t = args.target;
    if (t.platform === "kubernetes") {
      const metadata = meta(name, t.namespace, labels(name, { ...t.dashboardLabels }));
      new k8s.core.v1.ConfigMap(name, { metadata, data: { [DASHBOARD_FILE]: this.json } }, { parent: this, provider: t.provider });
    }
    this.registerOutputs({ json: this.json });
  }
}

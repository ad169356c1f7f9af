/** prometheus.yml for the dev stage, where Prometheus runs as a container beside the app. */
import { stringify } from "yaml";
import { AlertMetrics } from "../config/types";

export const RULES_PATH = "/etc/prometheus/rules/hotel.rules.yml";

export interface ScrapeTargets {
  app: string;
  redisExporter: string;
  postgresExporter: string;
  alertmanager: string;
}

export function renderPrometheusConfig(metrics: AlertMetrics, targets: ScrapeTargets): string {
  return stringify({
    global: { scrape_interval: "15s", evaluation_interval: "15s" },
    rule_files: [RULES_PATH],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [targets.alertmanager] }] }] },
    scrape_configs: [
      { job_name: metrics.appJob, static_configs: [{ targets: [targets.app] }] },
      { job_name: metrics.redisJob, static_configs: [{ targets: [targets.redisExporter] }] },
      { job_name: metrics.postgresJob, static_configs: [{ targets: [targets.postgresExporter] }] },
    ],
  });
}

/** prometheus.yml for the dev stage, where Prometheus runs as a container beside the app. */
import { stringify } from "yaml";
import { AlertsConfig } from "../config/types";
import { formatPromDuration } from "../config/units";

export const RULES_PATH = "/etc/prometheus/rules/hotel.rules.yml";

export interface ScrapeTargets {
  app: string;
  redisExporter: string;
  postgresExporter: string;
  alertmanager: string;
}

/** Scrapes and evaluates at hotel:alerts.evaluationInterval; the rules file is where the platform puts it. */
export function renderPrometheusConfig(alerts: AlertsConfig, targets: ScrapeTargets, rulesPath = RULES_PATH): string {
  const metrics = alerts.metrics;
  const every = formatPromDuration(alerts.evaluationInterval);
  return stringify({
    global: { scrape_interval: every, evaluation_interval: every },
    rule_files: [rulesPath],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [targets.alertmanager] }] }] },
    scrape_configs: [
      { job_name: metrics.appJob, static_configs: [{ targets: [targets.app] }] },
      { job_name: metrics.redisJob, static_configs: [{ targets: [targets.redisExporter] }] },
      { job_name: metrics.postgresJob, static_configs: [{ targets: [targets.postgresExporter] }] },
    ],
  });
}

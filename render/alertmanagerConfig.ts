/**
 * Where the alerts go: critical ones page (short repeat), warnings open tickets.
 * Rendered in Alertmanager's own format (alertmanager.yml, checked with amtool) and as
 * the Prometheus operator's AlertmanagerConfig spec, from one description.
 */
import { stringify } from "yaml";
import { AlertsConfig } from "../config/types";

interface Routing {
  defaultReceiver: string;
  groupBy: string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  routes: { receiver: string; severity: string; groupWait: string; repeatInterval: string }[];
  receivers: { name: string; url: string }[];
}

function routing(a: AlertsConfig): Routing {
  return {
    defaultReceiver: "tickets",
    groupBy: ["alertname"],
    groupWait: "30s",
    groupInterval: "5m",
    repeatInterval: "4h",
    routes: [{ receiver: "pager", severity: "critical", groupWait: "10s", repeatInterval: "1h" }],
    receivers: [
      { name: "pager", url: a.receivers.critical },
      { name: "tickets", url: a.receivers.warning },
    ],
  };
}

export function renderAlertmanagerConfig(a: AlertsConfig): Record<string, unknown> {
  const r = routing(a);
  return {
    route: {
      receiver: r.defaultReceiver,
      group_by: r.groupBy,
      group_wait: r.groupWait,
      group_interval: r.groupInterval,
      repeat_interval: r.repeatInterval,
      routes: r.routes.map((x) => ({ receiver: x.receiver, matchers: [`severity="${x.severity}"`], group_wait: x.groupWait, repeat_interval: x.repeatInterval })),
    },
    receivers: r.receivers.map((x) => ({ name: x.name, webhook_configs: [{ url: x.url, send_resolved: true }] })),
  };
}

export function renderAlertmanagerConfigYaml(a: AlertsConfig): string {
  return stringify(renderAlertmanagerConfig(a));
}

/** monitoring.coreos.com/v1alpha1 AlertmanagerConfig spec (the operator scopes it to the namespace). */
export function renderAlertmanagerConfigSpec(a: AlertsConfig): Record<string, unknown> {
  const r = routing(a);
  return {
    route: {
      receiver: r.defaultReceiver,
      groupBy: r.groupBy,
      groupWait: r.groupWait,
      groupInterval: r.groupInterval,
      repeatInterval: r.repeatInterval,
      routes: r.routes.map((x) => ({
        receiver: x.receiver,
        matchers: [{ name: "severity", value: x.severity, matchType: "=" }],
        groupWait: x.groupWait,
        repeatInterval: x.repeatInterval,
      })),
    },
    receivers: r.receivers.map((x) => ({ name: x.name, webhookConfigs: [{ url: x.url, sendResolved: true }] })),
  };
}

/**
 * Where the alerts go: critical ones page (short repeat), warnings open tickets.
 * Rendered in Alertmanager's own format (alertmanager.yml, checked with amtool) and as
 * the Prometheus operator's AlertmanagerConfig spec, from one description.
 */
import { stringify } from "yaml";
import { AlertsConfig } from "../config/types";
import { formatPromDuration } from "../config/units";
import { SECRET_PLACEHOLDER } from "../config/fields";

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
    groupWait: formatPromDuration(a.routing.groupWait),
    groupInterval: formatPromDuration(a.routing.groupInterval),
    repeatInterval: formatPromDuration(a.routing.repeatInterval),
    routes: [{ receiver: "pager", severity: "critical", groupWait: formatPromDuration(a.routing.criticalGroupWait), repeatInterval: formatPromDuration(a.routing.criticalRepeatInterval) }],
    receivers: [
      { name: "pager", url: a.receivers.critical },
      { name: "tickets", url: a.receivers.warning },
    ],
  };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * alertmanager.yml from the operator's spec: the same tree with snake_case keys, and
 * matchers written as `name="value"` strings.
 */
function specToAlertmanagerYml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(specToAlertmanagerYml);
  if (value === null || typeof value !== "object") return value;
  const rec = value as Record<string, unknown>;
  if ("matchType" in rec) return `${rec.name}${rec.matchType}"${rec.value}"`;
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [snake(k), specToAlertmanagerYml(v)]));
}

export function renderAlertmanagerConfig(a: AlertsConfig): Record<string, unknown> {
  return specToAlertmanagerYml(renderAlertmanagerConfigSpec(a)) as Record<string, unknown>;
}

export function renderAlertmanagerConfigYaml(a: AlertsConfig): string {
  return stringify(renderAlertmanagerConfig(a));
}

/**
 * The routing as reviews and outputs show it: every webhook URL (often with a token in
 * it) replaced by the placeholder. The URLs themselves go only to a Secret (Kubernetes)
 * or a secret file upload (Docker).
 */
export function renderRoutingForReview(a: AlertsConfig): string {
  return renderAlertmanagerConfigYaml({ ...a, receivers: { critical: SECRET_PLACEHOLDER, warning: SECRET_PLACEHOLDER } });
}

/** The webhook URLs by receiver name: on Kubernetes they live in a Secret, not in the routing. */
export function webhookUrls(a: AlertsConfig): Record<string, string> {
  return Object.fromEntries(routing(a).receivers.map((x) => [x.name, x.url]));
}

/**
 * monitoring.coreos.com/v1alpha1 AlertmanagerConfig spec (the operator scopes it to the
 * namespace). With `urlSecret`, each webhook reads its URL from that Secret (key = the
 * receiver's name) instead of carrying it: a webhook URL often holds a token.
 */
export function renderAlertmanagerConfigSpec(a: AlertsConfig, urlSecret?: string): Record<string, unknown> {
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
    receivers: r.receivers.map((x) => ({
      name: x.name,
      webhookConfigs: [{ ...(urlSecret ? { urlSecret: { name: urlSecret, key: x.name } } : { url: x.url }), sendResolved: true }],
    })),
  };
}

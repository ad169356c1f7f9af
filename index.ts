/**
 * Hotel-reservation backend: the five quick wins of the optimisation roadmap as
 * per-stage config (Pulumi.<stage>.yaml), validated before any resource exists.
 */
import { loadStackConfig } from "./config/load";
import { HotelStack } from "./components/hotelStack";

const { config, postgresPasswordSeed, passwordRotation, renderDirectory, namespaceAdopted } = loadStackConfig();
const stack = new HotelStack("hotel", { config, postgresPasswordSeed, passwordRotation, renderDirectory, namespaceAdopted });

export const stage = config.stage;
export const platform = config.platform;
export const placedIn = stack.placedIn;
export const appSettings = stack.appSettings;
export const redisConf = stack.redisConf;
export const reconcileSql = stack.reconcileSql;
export const alertRules = stack.alertRulesYaml;
// The routing with its webhook URLs redacted: they often carry a token, and reach only a Secret.
export const alertmanagerConfig = stack.alertmanagerRoutingYaml;
// The quick wins' Grafana dashboard (on Kubernetes also a ConfigMap for Grafana's sidecar).
export const grafanaDashboard = stack.dashboardJson;
// The password every consumer has (a secret, encrypted with the stack's passphrase). The
// program owns it (components/password.ts); this output is for operators.
export const postgresPassword = stack.postgresPassword;

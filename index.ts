/**
 * Hotel-reservation backend: the five quick wins of the optimisation roadmap as
 * per-stage config (Pulumi.<stage>.yaml), validated before any resource exists.
 */
import { loadStackConfig } from "./config/load";
import { HotelStack } from "./components/hotelStack";

const { config, postgresPassword: pgPassword, postgresPreviousPassword } = loadStackConfig();
const stack = new HotelStack("hotel", { config, postgresPassword: pgPassword, postgresPreviousPassword });

export const stage = config.stage;
export const platform = config.platform;
export const placedIn = stack.placedIn;
export const appSettings = stack.appSettings;
export const redisConf = stack.redisConf;
export const reconcileSql = stack.reconcileSql;
export const alertRules = stack.alertRulesYaml;
export const alertmanagerConfig = stack.alertmanagerYaml;
// Kept in the state (a secret, encrypted with the stack's passphrase): every checkout on a
// shared backend reads the same password from here (ops/engine), none generates its own.
export const postgresPassword = pgPassword;

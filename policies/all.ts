/** Every policy of the pack, for the engine (index.ts) and the offline runner alike. */
import { Policies } from "@pulumi/policy";
import { alertThresholds, alertsComplete, errorIsRatio, latencyByLe } from "./rules/alerts";
import { connectionBudgetPolicy } from "./rules/budget";
import { cacheTtls, warmingOffPeak } from "./rules/cache";
import { dataStoresIsolated, imagesPinned, nonRoot, resourcesSet, statefulProtected } from "./rules/kubernetes";
import { indexesConcurrent, pgStatStatementsPreloaded, slowQueryLogFloor } from "./rules/postgres";
import { redisAllkeysOnlyOnCache, redisLfuKnobs, redisMaxmemory, redisPolicySwitchAdvisory } from "./rules/redis";

export const POLICY_PACK_NAME = "hotel-quick-wins";

export const policies: Policies = [
  redisMaxmemory,
  redisLfuKnobs,
  redisAllkeysOnlyOnCache,
  redisPolicySwitchAdvisory,
  connectionBudgetPolicy,
  pgStatStatementsPreloaded,
  slowQueryLogFloor,
  indexesConcurrent,
  alertsComplete,
  latencyByLe,
  errorIsRatio,
  alertThresholds,
  cacheTtls,
  warmingOffPeak,
  imagesPinned,
  resourcesSet,
  nonRoot,
  dataStoresIsolated,
  statefulProtected,
];

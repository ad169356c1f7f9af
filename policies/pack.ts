/** Every policy of the pack, by topic, for the engine (index.ts) and the offline runner alike. */
import { Policies } from "@pulumi/policy";
import { alertRulesComplete } from "./alerts/alertRulesComplete";
import { alertErrorIsRatio } from "./alerts/alertErrorIsRatio";
import { alertLatencyAggregatesByLe } from "./alerts/alertLatencyAggregatesByLe";
import { alertThresholdsSane } from "./alerts/alertThresholdsSane";
import { cacheTtls } from "./cache/cacheTtls";
import { cacheWarmingOffPeak } from "./cache/cacheWarmingOffPeak";
import { datastoresReachableOnlyFromApp } from "./kubernetes/datastoresReachableOnlyFromApp";
import { imagesPinned } from "./kubernetes/imagesPinned";
import { k8sNonRoot } from "./kubernetes/k8sNonRoot";
import { k8sRequestsAndLimits } from "./kubernetes/k8sRequestsAndLimits";
import { statefulProtected } from "./kubernetes/statefulProtected";
import { dbConnectionBudget } from "./postgres/dbConnectionBudget";
import { pgIndexesConcurrently } from "./postgres/pgIndexesConcurrently";
import { pgStatStatementsPreloaded } from "./postgres/pgStatStatementsPreloaded";
import { pgSlowQueryLogFloor } from "./postgres/pgSlowQueryLogFloor";
import { redisAllkeysOnlyOnCacheOnlyInstance } from "./redis/redisAllkeysOnlyOnCacheOnlyInstance";
import { redisEvictionPolicySwitch } from "./redis/redisEvictionPolicySwitch";
import { redisLfuKnobsInRange } from "./redis/redisLfuKnobsInRange";
import { redisMaxmemorySet } from "./redis/redisMaxmemorySet";

export const policies: Policies = [
  redisMaxmemorySet,
  redisLfuKnobsInRange,
  redisAllkeysOnlyOnCacheOnlyInstance,
  redisEvictionPolicySwitch,
  dbConnectionBudget,
  pgStatStatementsPreloaded,
  pgSlowQueryLogFloor,
  pgIndexesConcurrently,
  alertRulesComplete,
  alertLatencyAggregatesByLe,
  alertErrorIsRatio,
  alertThresholdsSane,
  cacheTtls,
  cacheWarmingOffPeak,
  imagesPinned,
  k8sRequestsAndLimits,
  k8sNonRoot,
  datastoresReachableOnlyFromApp,
  statefulProtected,
];

/** Every policy of the pack, by topic, for the engine (index.ts) and the offline runner alike. */
import { Policies } from "@pulumi/policy";
import { alertRulesComplete } from "./alerts/complete";
import { alertErrorIsRatio } from "./alerts/errorIsRatio";
import { alertLatencyAggregatesByLe } from "./alerts/latencyByLe";
import { alertThresholdsSane } from "./alerts/thresholdsSane";
import { cacheTtls } from "./cache/ttls";
import { cacheWarmingOffPeak } from "./cache/warmingOffPeak";
import { datastoresIsolated } from "./kubernetes/datastoresIsolated";
import { imagesPinned } from "./kubernetes/imagesPinned";
import { k8sNonRoot } from "./kubernetes/nonRoot";
import { k8sRequestsAndLimits } from "./kubernetes/requestsAndLimits";
import { statefulProtected } from "./kubernetes/statefulProtected";
import { dbConnectionBudget } from "./postgres/connectionBudget";
import { pgIndexesConcurrently } from "./postgres/indexesConcurrently";
import { pgStatStatementsPreloaded } from "./postgres/pgStatStatementsPreloaded";
import { pgSlowQueryLogFloor } from "./postgres/slowQueryLogFloor";
import { redisAllkeysOnlyOnCache } from "./redis/allkeysOnlyOnCache";
import { redisEvictionPolicySwitch } from "./redis/evictionPolicySwitch";
import { redisLfuKnobsInRange } from "./redis/lfuKnobsInRange";
import { redisMaxmemorySet } from "./redis/maxmemorySet";

export const policies: Policies = [
  redisMaxmemorySet,
  redisLfuKnobsInRange,
  redisAllkeysOnlyOnCache,
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
  datastoresIsolated,
  statefulProtected,
];

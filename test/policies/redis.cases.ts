/** The redis policies' mutation table: each row must be rejected by exactly its policy, with its message. */
import { K8S } from "../helpers";
import { MutationRow, merge, one } from "./policyCases";

export const redisRows: MutationRow[] = [
  [
    "allkeys-lfu on the instance that also holds locks and sessions",
    "redis-allkeys-only-on-cache-only-instance",
    { stage: "staging", patch: merge("hotel:redis", { keyspace: "shared" }) },
    /maxmemory-policy allkeys-lfu on a Redis the app also uses for keys without a TTL \(REDIS_KEYSPACE=shared\).*Use volatile-lfu/,
  ],
  ["lfu-log-factor 0", "redis-lfu-knobs-in-range", { stage: "staging", patch: merge("hotel:redis", { lfuLogFactor: 0 }) }, /redis\.conf lfu-log-factor 0 is outside \[1, 100\]/],
  [
    "Redis without maxmemory",
    "redis-maxmemory-set",
    {
      stage: "staging",
      mutate: (rs) => {
        const cm = one(rs, K8S.configMap, "redis-conf");
        cm.inputs.data["redis.conf"] = cm.inputs.data["redis.conf"].replace(/^maxmemory .*$/m, "maxmemory 0");
      },
    },
    /redis\.conf has maxmemory 0: set hotel:redis\.maxmemory/,
  ],
];

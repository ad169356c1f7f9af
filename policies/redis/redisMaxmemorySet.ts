import { ResourceValidationPolicy } from "@pulumi/policy";
import { onRedisConf } from "../readers/files";

export const redisMaxmemorySet: ResourceValidationPolicy = {
  name: "redis-maxmemory-set",
  description: "Redis must run with a maxmemory limit, or it grows until the node evicts it.",
  enforcementLevel: "mandatory",
  validateResource: onRedisConf((conf, report) => {
    const value = conf["maxmemory"];
    if (!value || /^0(b|kb|mb|gb)?$/i.test(value)) {
      report(`redis.conf has maxmemory ${value ?? "unset"}: set hotel:redis.maxmemory (e.g. "1gb") so that eviction, not the OOM killer, bounds memory.`);
    }
  }),
};

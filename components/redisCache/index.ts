import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_PORT, renderRedisConf } from "../../render/redisConf";
import { PlatformArgs, onKubernetes } from "../platform";
import { redisOnDocker } from "./docker";
import { redisOnKubernetes } from "./kubernetes";

export type RedisCacheArgs = PlatformArgs<{ redis: RedisConfig; image: string; exporterImage: string }, { /** Size of the data volume. */ storage: string }, {}>;

/** Quick win 3's server: Redis started from the rendered redis.conf, plus redis_exporter. */
export class RedisCache extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly port: number = REDIS_PORT;
  public readonly conf: string;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:RedisCache", name, {}, opts);
    this.conf = renderRedisConf(args.redis);
    this.host = onKubernetes(args) ? redisOnKubernetes(this, name, args, this.conf) : redisOnDocker(this, name, args, this.conf);
    this.registerOutputs({ host: this.host, port: this.port, conf: this.conf });
  }
}

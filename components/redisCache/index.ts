import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_PORT, renderRedisConf } from "../../render/redisConf";
import { PlatformArgs, onKubernetes } from "../platform";
import { redisOnDocker } from "./docker";
import { REDIS_PASSWORD_KEY, redisOnKubernetes } from "./kubernetes";
import { PasswordProvider, generatedPassword } from "../password";
import { REDIS_PASSWORD_RESOURCE } from "../../contract/secrets";
import { SecretEnv } from "../secretEnv";
import { SECRET_ENV } from "../hotelApi/env";

export type RedisCacheArgs = PlatformArgs<
  { redis: RedisConfig; image: string; exporterImage: string; /** The stack's provider for its password resources. */ passwords: PasswordProvider },
  { /** Size of the data volume. */ storage: string },
  {}
>;

/** Quick win 3's server: Redis started from the rendered redis.conf and a password of its own, plus redis_exporter. */
export class RedisCache extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly port: number = REDIS_PORT;
  public readonly conf: string;
  /** Redis's password as the app finds it (REDIS_PASSWORD). */
  public readonly password: SecretEnv;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:RedisCache", name, {}, opts);
    this.conf = renderRedisConf(args.redis);
    const password = generatedPassword(REDIS_PASSWORD_RESOURCE, this, args.passwords);
    const env = SECRET_ENV.redisPassword;
    if (onKubernetes(args)) {
      const placed = redisOnKubernetes(this, name, args, this.conf, password);
      this.host = placed.host;
      this.password = { platform: "kubernetes", env, secretName: placed.secretName, key: REDIS_PASSWORD_KEY, checksum: placed.checksum };
    } else {
      this.host = redisOnDocker(this, name, args, this.conf, password);
      this.password = { platform: "docker", env, value: password };
    }
    this.registerOutputs({ host: this.host, port: this.port, conf: this.conf });
  }
}

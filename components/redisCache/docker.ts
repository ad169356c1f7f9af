/** Redis on Docker: redis.conf and the password file uploaded into the container, the exporter beside it. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_AUTH_DIR, REDIS_CONF_DIR, REDIS_PORT, redisContainerMemory, redisServerArgs, renderRedisAuth } from "../../render/redisConf";
import { REDIS_AUTH_FILE, REDIS_CONF_FILE } from "../../contract/files";
import { DockerTarget, envWithSecret, image, labels, onNetwork } from "../docker/containers";

interface Args {
  target: DockerTarget;
  redis: RedisConfig;
  image: string;
  exporterImage: string;
}

export function redisOnDocker(parent: pulumi.Resource, name: string, args: Args, conf: string, password: pulumi.Output<string>): pulumi.Output<string> {
  const t = args.target;
  const server = new docker.Container(
    name,
    {
      image: image(`${name}-image`, args.image, parent).imageId,
      command: ["redis-server", ...redisServerArgs()],
      uploads: [
        { file: `${REDIS_CONF_DIR}/${REDIS_CONF_FILE}`, content: conf },
        { file: `${REDIS_AUTH_DIR}/${REDIS_AUTH_FILE}`, content: pulumi.secret(password.apply(renderRedisAuth)) },
      ],
      // redis-cli reads it (an operator's `docker exec ... redis-cli`).
      envs: envWithSecret({}, "REDISCLI_AUTH", password),
      networksAdvanced: onNetwork(t, name),
      labels: labels(t),
      restart: "unless-stopped",
      // maxmemory with headroom, as on Kubernetes (MB).
      memory: redisContainerMemory(args.redis).limitMi,
      // No swap (as on Kubernetes); Docker would otherwise add twice the memory.
      memorySwap: redisContainerMemory(args.redis).limitMi,
    },
    { parent },
  );
  new docker.Container(
    `${name}-exporter`,
    {
      image: image(`${name}-exporter-image`, args.exporterImage, parent).imageId,
      envs: envWithSecret({ REDIS_ADDR: `redis://${name}:${REDIS_PORT}` }, "REDIS_PASSWORD", password),
      networksAdvanced: onNetwork(t, `${name}-exporter`),
      labels: labels(t),
      restart: "unless-stopped",
    },
    { parent, dependsOn: [server] },
  );
  return pulumi.output(name);
}

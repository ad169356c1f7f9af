/** Redis on Docker: redis.conf uploaded into the container, the exporter beside it. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_CONF_DIR, REDIS_PORT, redisContainerMemory } from "../../render/redisConf";
import { DockerTarget, envList, image, labels, onNetwork } from "../docker/containers";

interface Args {
  target: DockerTarget;
  redis: RedisConfig;
  image: string;
  exporterImage: string;
}

export function redisOnDocker(parent: pulumi.Resource, name: string, args: Args, conf: string): pulumi.Output<string> {
  const t = args.target;
  const server = new docker.Container(
    name,
    {
      image: image(`${name}-image`, args.image, parent).imageId,
      command: ["redis-server", `${REDIS_CONF_DIR}/redis.conf`],
      uploads: [{ file: `${REDIS_CONF_DIR}/redis.conf`, content: conf }],
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
      envs: envList({ REDIS_ADDR: `redis://${name}:${REDIS_PORT}` }),
      networksAdvanced: onNetwork(t, `${name}-exporter`),
      labels: labels(t),
      restart: "unless-stopped",
    },
    { parent, dependsOn: [server] },
  );
  return pulumi.output(name);
}

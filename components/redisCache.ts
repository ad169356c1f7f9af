import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../config/types";
import { REDIS_PORT, renderRedisConf } from "../render/redisConf";
import { envList, image, onNetwork } from "./dockerTarget";
import { SIZING, checksum, containerSecurity, dataStoreNetworkPolicy, labels, meta, podSecurity } from "./kube";
import { Target } from "./target";

export const REDIS_EXPORTER_PORT = 9121;
const CONF_DIR = "/usr/local/etc/redis";

export interface RedisCacheArgs {
  target: Target;
  redis: RedisConfig;
  image: string;
  exporterImage: string;
  /** Kubernetes only: size of the data volume. */
  storage?: string;
}

/** Quick win 3's server: Redis started from the rendered redis.conf, plus redis_exporter. */
export class RedisCache extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly port: number = REDIS_PORT;
  public readonly conf: string;

  constructor(name: string, args: RedisCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:RedisCache", name, {}, opts);
    this.conf = renderRedisConf(args.redis);
    const t = args.target;
    this.host = t.kind === "kubernetes" ? this.onKubernetes(name, args, t) : this.onDocker(name, args, t);
    this.registerOutputs({ host: this.host, port: this.port, conf: this.conf });
  }

  private onKubernetes(name: string, args: RedisCacheArgs, t: Extract<Target, { kind: "kubernetes" }>): pulumi.Output<string> {
    const opts = { parent: this, provider: t.provider };
    const sel = labels(name, { "app.kubernetes.io/component": "cache" });
    const conf = new k8s.core.v1.ConfigMap(`${name}-conf`, { metadata: meta(`${name}-conf`, t.namespace, sel), data: { "redis.conf": this.conf } }, opts);
    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta(name, t.namespace, sel),
        spec: {
          selector: sel,
          ports: [
            { name: "redis", port: REDIS_PORT, targetPort: REDIS_PORT },
            { name: "metrics", port: REDIS_EXPORTER_PORT, targetPort: REDIS_EXPORTER_PORT },
          ],
        },
      },
      opts,
    );
    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta(name, t.namespace, sel),
        spec: {
          serviceName: svc.metadata.name,
          replicas: 1,
          selector: { matchLabels: sel },
          template: {
            // A changed redis.conf restarts the pod: the file is only read at start.
            metadata: { labels: sel, annotations: { "hotel-reservation/config-checksum": checksum(this.conf) } },
            spec: {
              securityContext: podSecurity(999),
              containers: [
                {
                  name: "redis",
                  image: args.image,
                  args: [`${CONF_DIR}/redis.conf`],
                  ports: [{ name: "redis", containerPort: REDIS_PORT }],
                  resources: SIZING.redis,
                  securityContext: containerSecurity,
                  readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 5 },
                  volumeMounts: [
                    { name: "conf", mountPath: CONF_DIR },
                    { name: "data", mountPath: "/data" },
                  ],
                },
                {
                  name: "exporter",
                  image: args.exporterImage,
                  env: [{ name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` }],
                  ports: [{ name: "metrics", containerPort: REDIS_EXPORTER_PORT }],
                  resources: SIZING.exporter,
                  securityContext: { ...containerSecurity, runAsUser: 59000, runAsGroup: 59000 },
                },
              ],
              volumes: [{ name: "conf", configMap: { name: conf.metadata.name } }],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: t.storageClass,
                resources: { requests: { storage: args.storage ?? "1Gi" } },
              },
            },
          ],
        },
      },
      { ...opts, protect: t.protectStateful, retainOnDelete: t.protectStateful },
    );
    dataStoreNetworkPolicy(`${name}-ingress`, sel, REDIS_PORT, REDIS_EXPORTER_PORT, t.namespace, opts);
    return svc.metadata.name;
  }

  private onDocker(name: string, args: RedisCacheArgs, t: Extract<Target, { kind: "docker" }>): pulumi.Output<string> {
    const img = image(`${name}-image`, args.image, this);
    const server = new docker.Container(
      name,
      {
        image: img.imageId,
        command: ["redis-server", `${CONF_DIR}/redis.conf`],
        uploads: [{ file: `${CONF_DIR}/redis.conf`, content: this.conf }],
        networksAdvanced: onNetwork(t, name),
        restart: "unless-stopped",
      },
      { parent: this },
    );
    const exporterImg = image(`${name}-exporter-image`, args.exporterImage, this);
    new docker.Container(
      `${name}-exporter`,
      {
        image: exporterImg.imageId,
        envs: envList({ REDIS_ADDR: `redis://${name}:${REDIS_PORT}` }),
        networksAdvanced: onNetwork(t, `${name}-exporter`),
        restart: "unless-stopped",
      },
      { parent: this, dependsOn: [server] },
    );
    return pulumi.output(name);
  }
}

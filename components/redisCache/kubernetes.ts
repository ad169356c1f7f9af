/** Redis on Kubernetes: redis.conf in a ConfigMap, a StatefulSet with the exporter beside it. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_CONF_DIR, REDIS_PORT, redisContainerMemory } from "../../render/redisConf";
import { checksum } from "../../render/checksum";
import { SERVICES } from "../../contract/services";
import { KubeTarget, SIZING, containerSecurity, dataStoreNetworkPolicy, FIXED_VOLUME_TEMPLATES, dataVolume, dataVolumeSize, labels, meta, podSecurity, serviceMonitor } from "../kubernetes/objects";
import { REDIS_CONF_FILE } from "../../contract/files";
import { DATASTORE_UID, REDIS_EXPORTER_UID } from "../../contract/uids";

const EXPORTER_PORT = SERVICES.redisExporter.port;

interface Args {
  target: KubeTarget;
  redis: RedisConfig;
  image: string;
  exporterImage: string;
  storage: string;
}

function service(name: string, t: KubeTarget, sel: Record<string, string>, opts: pulumi.CustomResourceOptions) {
  const ports = [
    { name: "redis", port: REDIS_PORT, targetPort: REDIS_PORT },
    { name: "metrics", port: EXPORTER_PORT, targetPort: EXPORTER_PORT },
  ];
  return new k8s.core.v1.Service(name, { metadata: meta(name, t.namespace, sel), spec: { selector: sel, ports } }, opts);
}

function containers(args: Args): k8s.types.input.core.v1.Container[] {
  const memory = redisContainerMemory(args.redis);
  return [
    {
      name: "redis",
      image: args.image,
      args: [`${REDIS_CONF_DIR}/redis.conf`],
      ports: [{ name: "redis", containerPort: REDIS_PORT }],
      resources: { requests: { cpu: "250m", memory: `${memory.requestMi}Mi` }, limits: { cpu: "1", memory: `${memory.limitMi}Mi` } },
      securityContext: containerSecurity,
      readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 5 },
      volumeMounts: [
        { name: "conf", mountPath: REDIS_CONF_DIR },
        { name: "data", mountPath: "/data" },
      ],
    },
    {
      name: "exporter",
      image: args.exporterImage,
      env: [{ name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` }],
      ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
      resources: SIZING.exporter,
      securityContext: { ...containerSecurity, runAsUser: REDIS_EXPORTER_UID, runAsGroup: REDIS_EXPORTER_UID },
    },
  ];
}

export function redisOnKubernetes(parent: pulumi.Resource, name: string, args: Args, conf: string): pulumi.Output<string> {
  const t = args.target;
  const opts = { parent, provider: t.provider };
  const sel = labels(name, { "app.kubernetes.io/component": "cache" });
  const confMap = new k8s.core.v1.ConfigMap(`${name}-conf`, { metadata: meta(`${name}-conf`, t.namespace, sel), data: { [REDIS_CONF_FILE]: conf } }, opts);
  const svc = service(name, t, sel, opts);
  const server = new k8s.apps.v1.StatefulSet(
    name,
    {
      metadata: meta(name, t.namespace, sel),
      spec: {
        serviceName: svc.metadata.name,
        replicas: 1,
        selector: { matchLabels: sel },
        template: {
          // A changed redis.conf restarts the pod: the file is only read at start.
          metadata: { labels: sel, annotations: { "hotel-reservation/config-checksum": checksum(conf) } },
          spec: {
            securityContext: podSecurity(DATASTORE_UID),
            containers: containers(args),
            volumes: [{ name: "conf", configMap: { name: confMap.metadata.name } }],
          },
        },
        volumeClaimTemplates: [dataVolume(t, args.storage)],
      },
    },
    { ...opts, protect: t.protectStateful, retainOnDelete: t.protectStateful, ignoreChanges: FIXED_VOLUME_TEMPLATES },
  );
  dataVolumeSize(name, t, args.storage, server, opts);
  serviceMonitor(name, t, sel, "metrics", opts);
  dataStoreNetworkPolicy(`${name}-ingress`, t, sel, { data: REDIS_PORT, metrics: EXPORTER_PORT }, opts);
  return svc.metadata.name;
}

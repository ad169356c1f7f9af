/** Redis on Kubernetes: redis.conf in a ConfigMap, its password in a Secret, a StatefulSet with the exporter beside it. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RedisConfig } from "../../config/types";
import { REDIS_AUTH_DIR, REDIS_CONF_DIR, REDIS_PORT, redisContainerMemory, redisServerArgs, renderRedisAuth } from "../../render/redisConf";
import { CREDENTIALS_CHECKSUM, credentialsChecksum } from "../../render/credentials";
import { checksum } from "../../render/checksum";
import { SERVICES } from "../../contract/services";
import { KubeTarget, SIZING, containerSecurity, dataStoreNetworkPolicy, FIXED_VOLUME_TEMPLATES, dataVolume, dataVolumeSize, labels, meta, podSecurity, serviceMonitor } from "../kubernetes/objects";
import { REDIS_AUTH_FILE, REDIS_CONF_FILE } from "../../contract/files";
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

/** The key of the auth Secret that holds the password itself (the exporter, redis-cli, the app). */
export const REDIS_PASSWORD_KEY = "password";

function containers(args: Args, authSecret: pulumi.Input<string>): k8s.types.input.core.v1.Container[] {
  const memory = redisContainerMemory(args.redis);
  const password = { secretKeyRef: { name: authSecret, key: REDIS_PASSWORD_KEY } };
  return [
    {
      name: "redis",
      image: args.image,
      args: redisServerArgs(),
      // redis-cli reads it (the probe, and an operator's `kubectl exec ... redis-cli`).
      env: [{ name: "REDISCLI_AUTH", valueFrom: password }],
      ports: [{ name: "redis", containerPort: REDIS_PORT }],
      resources: { requests: { cpu: "250m", memory: `${memory.requestMi}Mi` }, limits: { cpu: "1", memory: `${memory.limitMi}Mi` } },
      securityContext: containerSecurity,
      readinessProbe: { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 5 },
      volumeMounts: [
        { name: "conf", mountPath: REDIS_CONF_DIR },
        { name: "auth", mountPath: REDIS_AUTH_DIR, readOnly: true },
        { name: "data", mountPath: "/data" },
      ],
    },
    {
      name: "exporter",
      image: args.exporterImage,
      env: [
        { name: "REDIS_ADDR", value: `redis://localhost:${REDIS_PORT}` },
        { name: "REDIS_PASSWORD", valueFrom: password },
      ],
      ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
      resources: SIZING.exporter,
      securityContext: { ...containerSecurity, runAsUser: REDIS_EXPORTER_UID, runAsGroup: REDIS_EXPORTER_UID },
    },
  ];
}

export function redisOnKubernetes(parent: pulumi.Resource, name: string, args: Args, conf: string, password: pulumi.Output<string>) {
  const t = args.target;
  const opts = { parent, provider: t.provider };
  const sel = labels(name, { "app.kubernetes.io/component": "cache" });
  const confMap = new k8s.core.v1.ConfigMap(`${name}-conf`, { metadata: meta(`${name}-conf`, t.namespace, sel), data: { [REDIS_CONF_FILE]: conf } }, opts);
  const auth = new k8s.core.v1.Secret(
    `${name}-auth`,
    { metadata: meta(`${name}-auth`, t.namespace, sel), type: "Opaque", stringData: { [REDIS_PASSWORD_KEY]: password, [REDIS_AUTH_FILE]: password.apply(renderRedisAuth) } },
    opts,
  );
  const passwordChecksum = pulumi.secret(password.apply(credentialsChecksum));
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
          // A changed redis.conf or password restarts the pod: both are only read at start.
          metadata: { labels: sel, annotations: { "hotel-reservation/config-checksum": checksum(conf), [CREDENTIALS_CHECKSUM]: passwordChecksum } },
          spec: {
            securityContext: podSecurity(DATASTORE_UID),
            containers: containers(args, auth.metadata.name),
            volumes: [
              { name: "conf", configMap: { name: confMap.metadata.name } },
              { name: "auth", secret: { secretName: auth.metadata.name } },
            ],
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
  return { host: svc.metadata.name, secretName: auth.metadata.name, checksum: passwordChecksum };
}

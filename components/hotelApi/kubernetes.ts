/** The app on Kubernetes: settings ConfigMap, Deployment, Service. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checksum } from "../../render/checksum";
import { CREDENTIALS_CHECKSUM } from "../../render/credentials";
import { KubeSecretEnv, secretEnvVars, secretsChecksum } from "../secretEnv";
import { DATA_ACCESS_LABEL, KubeTarget, SIZING, containerSecurity, labels, meta, podSecurity, serviceMonitor } from "../kubernetes/objects";
import { APP_UID } from "../../contract/uids";
import { Connection, connectionEnv } from "./env";

interface Args {
  target: KubeTarget;
  image: string;
  replicas: number;
  port: number;
  settings: Record<string, string>;
  connection: Connection;
  secrets: KubeSecretEnv[];
}

function apiContainer(args: Args, settingsName: pulumi.Input<string>): k8s.types.input.core.v1.Container {
  return {
    name: "api",
    image: args.image,
    ports: [{ name: "http", containerPort: args.port }],
    envFrom: [{ configMapRef: { name: settingsName } }],
    env: [...Object.entries(connectionEnv(args.connection)).map(([name, value]) => ({ name, value })), ...secretEnvVars(args.secrets)],
    resources: SIZING.app,
    securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
    readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 6 },
  };
}

export function apiOnKubernetes(parent: pulumi.Resource, name: string, args: Args) {
  const t = args.target;
  const opts = { parent, provider: t.provider };
  const sel = labels(name, { "app.kubernetes.io/component": "api" });
  const settings = new k8s.core.v1.ConfigMap(`${name}-settings`, { metadata: meta(`${name}-settings`, t.namespace, sel), data: args.settings }, opts);
  new k8s.apps.v1.Deployment(
    name,
    {
      metadata: meta(name, t.namespace, sel),
      spec: {
        replicas: args.replicas,
        selector: { matchLabels: sel },
        template: {
          metadata: {
            labels: { ...sel, [DATA_ACCESS_LABEL]: "true" },
            // A new password rolls the pods: the app reads it once, at start.
            annotations: { "hotel-reservation/settings-checksum": checksum(JSON.stringify(args.settings)), [CREDENTIALS_CHECKSUM]: secretsChecksum(args.secrets) },
          },
          spec: { securityContext: podSecurity(APP_UID, false), containers: [apiContainer(args, settings.metadata.name)] },
        },
      },
    },
    opts,
  );
  const svc = new k8s.core.v1.Service(name, { metadata: meta(name, t.namespace, sel), spec: { selector: sel, ports: [{ name: "http", port: 80, targetPort: "http" }] } }, opts);
  serviceMonitor(name, t, sel, "http", opts);
  return { serviceHost: svc.metadata.name, settingsConfigMapName: settings.metadata.name };
}

import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { envList, image, onNetwork } from "./dockerTarget";
import { DATA_ACCESS_LABEL, SIZING, checksum, containerSecurity, labels, meta } from "./kube";
import { Target } from "./target";

export interface HotelApiArgs {
  target: Target;
  image: string;
  replicas: number;
  port: number;
  /** Quick-win settings rendered by renderAppEnv: pool, TTLs, warming flags. */
  settings: Record<string, string>;
  redisHost: pulumi.Input<string>;
  redisPort: number;
  postgresHost: pulumi.Input<string>;
  postgresPort: number;
  database: string;
  user: string;
  password: pulumi.Input<string>;
  /** Kubernetes: the Secret that holds the password. */
  credentialsSecretName?: pulumi.Input<string>;
  hostPort?: number;
}

/**
 * The FastAPI app and its configuration. The quick-win settings live in one ConfigMap
 * (Kubernetes) or the container's environment (Docker); a change rolls the pods.
 */
export class HotelApi extends pulumi.ComponentResource {
  public readonly settingsConfigMapName?: pulumi.Output<string>;
  public readonly serviceHost: pulumi.Output<string>;
  public readonly settings: Record<string, string>;
  /** Docker: the container's whole environment, for sidecar processes such as the warmer. */
  public readonly env?: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: HotelApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:HotelApi", name, {}, opts);
    this.settings = args.settings;
    const t = args.target;
    const connection = {
      REDIS_HOST: args.redisHost,
      REDIS_PORT: String(args.redisPort),
      DB_HOST: args.postgresHost,
      DB_PORT: String(args.postgresPort),
      DB_NAME: args.database,
      DB_USER: args.user,
    };
    if (t.kind === "kubernetes") {
      const opts = { parent: this, provider: t.provider };
      const sel = labels(name, { "app.kubernetes.io/component": "api" });
      const settings = new k8s.core.v1.ConfigMap(`${name}-settings`, { metadata: meta(`${name}-settings`, t.namespace, sel), data: args.settings }, opts);
      this.settingsConfigMapName = settings.metadata.name;
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
                annotations: { "hotel-reservation/settings-checksum": checksum(JSON.stringify(args.settings)) },
              },
              spec: {
                securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                  {
                    name: "api",
                    image: args.image,
                    ports: [{ name: "http", containerPort: args.port }],
                    envFrom: [{ configMapRef: { name: settings.metadata.name } }],
                    env: [
                      ...Object.entries(connection).map(([n, value]) => ({ name: n, value })),
                      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecretName!, key: "password" } } },
                    ],
                    resources: SIZING.app,
                    securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                    readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 5 },
                    livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10, failureThreshold: 6 },
                  },
                ],
              },
            },
          },
        },
        opts,
      );
      const svc = new k8s.core.v1.Service(
        name,
        { metadata: meta(name, t.namespace, sel), spec: { selector: sel, ports: [{ name: "http", port: 80, targetPort: "http" }] } },
        opts,
      );
      this.serviceHost = svc.metadata.name;
    } else {
      const img = image(`${name}-image`, args.image, this);
      this.env = pulumi
        .all([pulumi.output(connection), args.password])
        .apply(([conn, pw]): Record<string, string> => ({ ...args.settings, ...conn, DB_PASSWORD: pw }));
      new docker.Container(
        name,
        {
          image: img.imageId,
          envs: this.env!.apply(envList),
          ports: [{ internal: args.port, external: args.hostPort, ip: "127.0.0.1" }],
          networksAdvanced: onNetwork(t, name),
          restart: "unless-stopped",
        },
        { parent: this },
      );
      this.serviceHost = pulumi.output(name);
    }
    this.registerOutputs({ settings: this.settings, serviceHost: this.serviceHost, settingsConfigMapName: this.settingsConfigMapName });
  }
}

import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CacheWarmingConfig } from "../config/types";
import { envList, image, onNetwork } from "./dockerTarget";
import { DATA_ACCESS_LABEL, SIZING, containerSecurity, labels, meta } from "./kube";
import { Target } from "./target";

/** The app's warmer entry point: loads the warm set from PostgreSQL into Redis once. */
export const WARMER_COMMAND = ["python", "-m", "app.cache_warmer"];

export interface CacheWarmingArgs {
  target: Target;
  warming: CacheWarmingConfig;
  image: string;
  /** Kubernetes: the app's settings ConfigMap (TTLs, key classes) and credentials. */
  settingsConfigMapName?: pulumi.Input<string>;
  credentialsSecretName?: pulumi.Input<string>;
  /** Docker: the same settings and connection as environment. */
  env?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Quick win 5's scheduled half: an off-peak refresh of the warm set. The start-up
 * half is the app's CACHE_WARM_ON_STARTUP flag (see renderAppEnv).
 */
export class CacheWarming extends pulumi.ComponentResource {
  public readonly schedule: string;

  constructor(name: string, args: CacheWarmingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:CacheWarming", name, {}, opts);
    this.schedule = args.warming.schedule;
    const t = args.target;
    if (t.kind === "kubernetes") {
      const jobLabels = labels(name, { "app.kubernetes.io/component": "cache-warmer", [DATA_ACCESS_LABEL]: "true" });
      new k8s.batch.v1.CronJob(
        name,
        {
          metadata: meta(name, t.namespace, jobLabels),
          spec: {
            schedule: args.warming.schedule,
            timeZone: "Etc/UTC",
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 900,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: 1800,
                template: {
                  metadata: { labels: jobLabels },
                  spec: {
                    restartPolicy: "Never",
                    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                      {
                        name: "warmer",
                        image: args.image,
                        command: WARMER_COMMAND,
                        envFrom: [{ configMapRef: { name: args.settingsConfigMapName! } }],
                        env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecretName!, key: "password" } } }],
                        resources: SIZING.job,
                        securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
        { parent: this, provider: t.provider },
      );
    } else {
      // Docker has no scheduler: the warmer runs its own loop on the same cron schedule.
      const img = image(`${name}-image`, args.image, this);
      new docker.Container(
        name,
        {
          image: img.imageId,
          command: [...WARMER_COMMAND, "--schedule", args.warming.schedule],
          envs: pulumi.output(args.env ?? {}).apply((e) => envList(e as Record<string, string>)),
          networksAdvanced: onNetwork(t, name),
          restart: "unless-stopped",
        },
        { parent: this },
      );
    }
    this.registerOutputs({ schedule: this.schedule });
  }
}

/** The warmer on Kubernetes: a CronJob (UTC, never two at once) with the app's settings. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CacheWarmingConfig } from "../../config/types";
import { DATA_ACCESS_LABEL, KubeTarget, SIZING, containerSecurity, labels, meta, podSecurity } from "../kubernetes/objects";
import { APP_UID } from "../../contract/uids";
import { KubeSecretEnv, secretEnvVars } from "../secretEnv";
import { OFF_PEAK_WINDOW_KEY, WARMER_COMMAND, offPeakWindowText } from "../../render/warming";

interface Args {
  target: KubeTarget;
  warming: CacheWarmingConfig;
  image: string;
  settingsConfigMapName: pulumi.Input<string>;
  connectionEnv: Record<string, pulumi.Input<string>>;
  secrets: KubeSecretEnv[];
}

function warmerContainer(args: Args): k8s.types.input.core.v1.Container {
  return {
    name: "warmer",
    image: args.image,
    command: WARMER_COMMAND,
    envFrom: [{ configMapRef: { name: args.settingsConfigMapName } }],
    env: [...Object.entries(args.connectionEnv).map(([name, value]) => ({ name, value })), ...secretEnvVars(args.secrets)],
    resources: SIZING.job,
    securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
  };
}

export function warmerOnKubernetes(parent: pulumi.Resource, name: string, args: Args): void {
  const t = args.target;
  const jobLabels = labels(name, { "app.kubernetes.io/component": "cache-warmer", [DATA_ACCESS_LABEL]: "true" });
  const metadata = meta(name, t.namespace, jobLabels, { [OFF_PEAK_WINDOW_KEY]: offPeakWindowText(args.warming) });
  new k8s.batch.v1.CronJob(
    name,
    {
      metadata,
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
              spec: { restartPolicy: "Never", securityContext: podSecurity(APP_UID, false), containers: [warmerContainer(args)] },
            },
          },
        },
      },
    },
    { parent, provider: t.provider },
  );
}

/** Alerting on Docker: Prometheus with the rules and its scrape config, and Alertmanager with the routing. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RULES_PATH } from "../../render/prometheusConfig";
import { SERVICES } from "../../contract/services";
import { PROMETHEUS_DATA_DIR } from "../../contract/files";
import { DockerTarget, STOP_GRACE_SECONDS, image, labels, onNetwork } from "../docker/containers";

interface Args {
  target: DockerTarget;
  prometheusImage: string;
  alertmanagerImage: string;
  prometheusConfig: string;
  hostPort: number;
}

export function alertingOnDocker(parent: pulumi.Resource, name: string, args: Args, r: { rulesYaml: string; alertmanagerYaml: string }): void {
  new docker.Container(
    `${name}-alertmanager`,
    {
      image: image(`${name}-alertmanager-image`, args.alertmanagerImage, parent).imageId,
      // The webhook URLs are in it: a secret in the state.
      uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: pulumi.secret(r.alertmanagerYaml) }],
      networksAdvanced: onNetwork(args.target, SERVICES.alertmanager.name),
      labels: labels(args.target),
      restart: "unless-stopped",
      memory: 256,
      // No swap (as on Kubernetes); Docker would otherwise add twice the memory.
      memorySwap: 256,
    },
    { parent },
  );
  // The series outlive a replaced container (a rules change replaces it): a soak compares
  // the hours before a change with the hours after, so history must survive the change.
  const data = new docker.Volume(`${name}-prometheus-data`, { labels: labels(args.target) }, { parent });
  new docker.Container(
    `${name}-prometheus`,
    {
      image: image(`${name}-prometheus-image`, args.prometheusImage, parent).imageId,
      uploads: [
        { file: "/etc/prometheus/prometheus.yml", content: args.prometheusConfig },
        { file: RULES_PATH, content: r.rulesYaml },
      ],
      ports: [{ internal: SERVICES.prometheus.port, external: args.hostPort, ip: "127.0.0.1" }],
      volumes: [{ volumeName: data.name, containerPath: PROMETHEUS_DATA_DIR }],
      networksAdvanced: onNetwork(args.target, SERVICES.prometheus.name),
      labels: labels(args.target),
      restart: "unless-stopped",
      destroyGraceSeconds: STOP_GRACE_SECONDS,
      memory: 512,
      // No swap (as on Kubernetes); Docker would otherwise add twice the memory.
      memorySwap: 512,
    },
    { parent },
  );
}

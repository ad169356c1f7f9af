/** The warmer on Docker: no scheduler there, so it runs its own loop on the same cron schedule. */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CacheWarmingConfig } from "../../config/types";
import { DockerTarget, image, labels, onNetwork } from "../docker/containers";
import { OFF_PEAK_WINDOW_KEY, WARMER_COMMAND, offPeakWindowText } from "../../render/warming";

interface Args {
  target: DockerTarget;
  warming: CacheWarmingConfig;
  image: string;
  env: pulumi.Input<string[]>;
}

export function warmerOnDocker(parent: pulumi.Resource, name: string, args: Args): void {
  new docker.Container(
    name,
    {
      image: image(`${name}-image`, args.image, parent).imageId,
      command: [...WARMER_COMMAND, "--schedule", args.warming.schedule],
      envs: args.env,
      networksAdvanced: onNetwork(args.target, name),
      labels: labels(args.target, { [OFF_PEAK_WINDOW_KEY]: offPeakWindowText(args.warming) }),
      restart: "unless-stopped",
    },
    { parent },
  );
}

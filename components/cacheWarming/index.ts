import * as pulumi from "@pulumi/pulumi";
import { CacheWarmingConfig } from "../../config/types";
import { Placement, onKubernetes } from "../platform";
import { warmerOnDocker } from "./docker";
import { warmerOnKubernetes } from "./kubernetes";
import { KubeSecretEnv } from "../secretEnv";

export type CacheWarmingPlacement = Placement<
  {
    /** The app's settings ConfigMap (TTLs, key classes), its connection env and secrets. */
    settingsConfigMapName: pulumi.Input<string>;
    connectionEnv: Record<string, pulumi.Input<string>>;
    secrets: KubeSecretEnv[];
  },
  { /** The app's whole environment (a secret: it holds the passwords). */ env: pulumi.Input<string[]> }
>;

export type CacheWarmingArgs = { warming: CacheWarmingConfig; image: string } & CacheWarmingPlacement;

/**
 * Quick win 5's scheduled half: an off-peak refresh of the warm set. The start-up
 * half is the app's CACHE_WARM_ON_STARTUP flag (see renderAppEnv).
 */
export class CacheWarming extends pulumi.ComponentResource {
  public readonly schedule: string;

  constructor(name: string, args: CacheWarmingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:CacheWarming", name, {}, opts);
    this.schedule = args.warming.schedule;
    if (onKubernetes(args)) warmerOnKubernetes(this, name, args);
    else warmerOnDocker(this, name, args);
    this.registerOutputs({ schedule: this.schedule });
  }
}

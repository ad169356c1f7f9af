import * as pulumi from "@pulumi/pulumi";
import { Placement, onKubernetes } from "../platform";
import { apiOnDocker } from "./docker";
import { Connection } from "./env";
import { apiOnKubernetes } from "./kubernetes";
import { DockerSecretEnv, KubeSecretEnv } from "../secretEnv";

export type { Connection };

/** Where the app runs, and how it gets its passwords there (the database's, Redis's). */
export type HotelApiPlacement = Placement<{ secrets: KubeSecretEnv[] }, { secrets: DockerSecretEnv[]; hostPort: number }>;

export type HotelApiArgs = {
  image: string;
  replicas: number;
  port: number;
  /** Quick-win settings rendered by renderAppEnv: pool, TTLs, warming flags. */
  settings: Record<string, string>;
  connection: Connection;
} & HotelApiPlacement;

/**
 * The FastAPI app and its configuration. The quick-win settings live in one ConfigMap
 * (Kubernetes) or the container's environment (Docker); a change rolls the pods. Its
 * resource names are fixed (SERVICES.app), whatever Prometheus job scrapes it.
 */
export class HotelApi extends pulumi.ComponentResource {
  public readonly settings: Record<string, string>;
  public readonly serviceHost: pulumi.Output<string>;
  /** Kubernetes: the settings ConfigMap, which processes beside the app (the warmer) load too. */
  public readonly settingsSource: { platform: "kubernetes"; configMapName: pulumi.Output<string> } | { platform: "docker" };

  constructor(name: string, args: HotelApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:HotelApi", name, {}, opts);
    this.settings = args.settings;
    if (onKubernetes(args)) {
      const placed = apiOnKubernetes(this, name, args);
      this.serviceHost = placed.serviceHost;
      this.settingsSource = { platform: "kubernetes", configMapName: placed.settingsConfigMapName };
    } else {
      this.serviceHost = apiOnDocker(this, name, args);
      this.settingsSource = { platform: "docker" };
    }
    this.registerOutputs({ settings: this.settings, serviceHost: this.serviceHost });
  }
}

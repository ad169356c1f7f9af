/**
 * Where the components place their artifacts. One vocabulary: the *platform* is
 * `hotel:platform` (kubernetes or docker) and discriminates every platform-specific
 * value; a *target* is where one stage is placed (a namespace or a Docker network); a
 * *placement* is the platform-specific part of a component's arguments.
 */
import { DockerTarget } from "./docker/containers";
import { KubeTarget } from "./kubernetes/objects";

export type { DockerTarget, KubeTarget };
export type Target = KubeTarget | DockerTarget;

/**
 * A component's arguments: what every platform needs, plus what only its own platform
 * needs (discriminated by the target's platform, so nothing is optional-and-forced).
 */
export type PlatformArgs<Common, Kube, Docker> = Common & Placement<Kube, Docker>;
/** The platform-specific part of a component's arguments: its target, and what only that platform needs. */
export type Placement<Kube, Docker> = ({ target: KubeTarget } & Kube) | ({ target: DockerTarget } & Docker);

/** Narrows a component's arguments to their Kubernetes variant (the else branch gets Docker's). */
export function onKubernetes<A extends { target: Target }>(args: A): args is Extract<A, { target: KubeTarget }> {
  return args.target.platform === "kubernetes";
}

/** Where the components place their artifacts: a Kubernetes namespace or a Docker network. */
import { DockerTarget } from "./docker/containers";
import { KubeTarget } from "./kubernetes/objects";

export type { DockerTarget, KubeTarget };
export type Target = KubeTarget | DockerTarget;

/**
 * A component's arguments: what every platform needs, plus what only its own platform
 * needs (discriminated by the target's kind, so nothing is optional-and-forced).
 */
export type PlatformArgs<Common, Kube, Docker> = Common & Placement<Kube, Docker>;
export type Placement<Kube, Docker> = ({ target: KubeTarget } & Kube) | ({ target: DockerTarget } & Docker);

/** Narrows a component's arguments to their Kubernetes variant (the else branch gets Docker's). */
export function onKubernetes<A extends { target: Target }>(args: A): args is Extract<A, { target: KubeTarget }> {
  return args.target.kind === "kubernetes";
}

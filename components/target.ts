import { DockerTarget } from "./dockerTarget";
import { KubeTarget } from "./kube";

/** Where the components place their artifacts. */
export type Target = KubeTarget | DockerTarget;

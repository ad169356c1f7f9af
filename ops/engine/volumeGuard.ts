/**
 * Volumes only grow. Kubernetes refuses to shrink a claim, and it would do so half-way
 * through an update; so a size smaller than the one in the stack's state is refused
 * before the engine runs, with the key, the value and the size it has now.
 */
import type { Deployment } from "@pulumi/pulumi/automation";
import { StackConfig } from "../../config/types";
import { parseQuantity } from "../../config/units";
import { NAMESPACE } from "../../contract/project";
import { SERVICES } from "../../contract/services";

/** The claim-size resources (components/kubernetes/objects.ts dataVolumeSize) and the key that sizes each. */
const SIZED_BY: Record<string, "redisStorage" | "postgresStorage"> = {
  [`${SERVICES.redis.name}-data-size`]: "redisStorage",
  [`${SERVICES.postgres.name}-data-size`]: "postgresStorage",
};

export function shrinkProblems(state: Deployment, config: StackConfig): string[] {
  const resources: { urn: string; type: string; inputs?: any }[] = state.deployment?.resources ?? [];
  const problems: string[] = [];
  for (const r of resources) {
    if (r.type !== "kubernetes:core/v1:PersistentVolumeClaimPatch") continue;
    const key = SIZED_BY[r.urn.split("::").pop() ?? ""];
    const current: string | undefined = r.inputs?.spec?.resources?.requests?.storage;
    if (!key || !current) continue;
    const wanted = config.kubernetes[key];
    if ((parseQuantity(wanted) ?? 0) < (parseQuantity(current) ?? 0)) {
      problems.push(
        `${NAMESPACE}:kubernetes.${key}: ${JSON.stringify(wanted)} is not allowed; the stack's volume is ${current} and volumes only grow ` +
          `(Kubernetes cannot shrink a claim): keep ${current} or more`,
      );
    }
  }
  return problems;
}

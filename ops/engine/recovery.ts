/** Recovery after an update killed mid-way: lock, truncated checkpoint, pending creates. */
import { PROJECT } from "../../contract/project";
import { repairCheckpoint } from "./checkpoint";
import { EngineOptions, backendOf, resolveStateDir } from "./options";
import { withStage } from "./workspace";
import { breakableLocks } from "./locks";

export interface Recovery {
  /** The backup a truncated checkpoint was restored from (file backend), if it was. */
  restoredFrom?: string;
  /** Whether a stale lock was removed (false when there was none). */
  unlocked: boolean;
  /** Pending creates of Kubernetes objects: forgotten, and taken over by the next up (forced apply). */
  retaken: string[];
  /** Other pending creates: forgotten; what they made (a Docker container) must be removed by hand. */
  orphaned: string[];
}

/**
 * Recovery after an update killed mid-way (SIGKILL, a lost CI runner): removes the stale
 * lock and forgets the pending creates with a refresh. A Kubernetes object a killed run
 * half-created is taken over by the next `up` (every object is applied with
 * pulumi.com/patchForce, components/kubernetes/objects.ts); anything else it made is
 * reported, to be removed by hand before the next `up`.
 */
export async function recover(o: EngineOptions, { force = false }: { force?: boolean } = {}): Promise<Recovery> {
  const backend = backendOf(o);
  // Before anything: a lock whose owner still runs is a live update, not a stale one.
  const locks = breakableLocks(o, force);
  // A kill in the middle of writing the checkpoint leaves it truncated: put the last good one back first.
  const restoredFrom = backend.shared ? undefined : repairCheckpoint(resolveStateDir(o), PROJECT, o.stage);
  return withStage(o, async (s) => {
    const unlocked =
      locks === "shared"
        ? await s.stack.cancel().then(
            () => true,
            () => false,
          )
        : locks.length > 0 && (await s.stack.cancel(), true);
    const pending = ((await s.stack.exportStack()).deployment.pending_operations ?? []) as { type: string; resource: { urn: string; type: string } }[];
    const creates = pending.filter((p) => p.type === "creating").map((p) => p.resource);
    await s.stack.refresh({ configFile: s.configFile, clearPendingCreates: true, color: "never", onOutput: o.onOutput, onError: o.onError });
    return {
      restoredFrom,
      unlocked,
      retaken: creates.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.urn),
      orphaned: creates.filter((r) => !r.type.startsWith("kubernetes:")).map((r) => r.urn),
    };
  });
}

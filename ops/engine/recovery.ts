/** Recovery after an update killed mid-way: lock, truncated checkpoint, pending creates. */
import { PROJECT } from "../../contract/project";
import { repairCheckpoint } from "./checkpoint";
import { EngineOptions, backendOf, resolveStateDir } from "./options";
import { withStage } from "./workspace";
import { refreshArgs } from "./operations";
import { breakableLocks } from "./locks";
import { PendingCreate, isDockerCreate, removeDockerLeftovers } from "./dockerLeftovers";

export interface Recovery {
  /** The backup a truncated checkpoint was restored from (file backend), if it was. */
  restoredFrom?: string;
  /** Whether a stale lock was removed (false when there was none). */
  unlocked: boolean;
  /** Pending creates of Kubernetes objects: forgotten, and taken over by the next up (forced apply). */
  retaken: string[];
  /** Pending creates of Docker objects the killed run had made: removed by the name the engine recorded. */
  removed: string[];
  /** Other pending creates: forgotten; what they made must be removed by hand. */
  orphaned: string[];
}

/**
 * Recovery after an update killed mid-way (SIGKILL, a lost CI runner): removes the stale
 * lock and forgets the pending creates with a refresh. A Kubernetes object a killed run
 * half-created is taken over by the next `up` (every object is applied with
 * pulumi.com/patchForce, components/kubernetes/objects.ts); a Docker object it made is
 * removed (./dockerLeftovers.ts), before the refresh forgets its name; anything else is
 * reported, to be removed by hand before the next `up`.
 */
export async function recover(o: EngineOptions, { force = false }: { force?: boolean } = {}): Promise<Recovery> {
  const backend = backendOf(o);
  // Before anything: a lock whose owner still runs is a live update, not a stale one.
  const locks = breakableLocks(o, force);
  // A kill in the middle of writing the checkpoint leaves it truncated: put the last good one back first.
  const restoredFrom = backend.shared ? undefined : repairCheckpoint(resolveStateDir(o), PROJECT, o.stage);
  return withStage(o, async (s) => {
    const cancel = () => s.cli(["cancel", "--yes", "--stack", o.stage]);
    const unlocked = locks === "shared" ? succeeds(cancel) : locks.length > 0 && (cancel(), true);
    // The state as the stage was opened, before the cancel: a cancel removes the lock and leaves the checkpoint as it is.
    const pending = (s.state?.deployment.pending_operations ?? []) as { type: string; resource: PendingCreate }[];
    const creates = pending.filter((p) => p.type === "creating").map((p) => p.resource);
    // Killed between here and the refresh, the next recover finds the same names, and nothing under them.
    const docker = removeDockerLeftovers(creates.filter(isDockerCreate), o.stage, o.dockerHost);
    await s.engine(refreshArgs({ clearPendingCreates: true }));
    return {
      restoredFrom,
      unlocked,
      retaken: creates.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.urn),
      removed: docker.removed,
      orphaned: [...docker.left, ...creates.filter((r) => !r.type.startsWith("kubernetes:") && !isDockerCreate(r)).map((r) => r.urn)],
    };
  });
}

const succeeds = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

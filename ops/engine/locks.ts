/**
 * The stack's update lock, read before recover or cancel removes it. A lock is removed
 * only when its owner is gone: on the file backend the lock file names the process
 * (pid, host); a process on this host that still runs is a live update, never broken.
 * A lock from another host, or on a shared backend (where the driver cannot see the
 * owner), is broken only with --force, after the owner is shown.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT } from "../../contract/project";
import { EngineOptions, backendOf, resolveStateDir } from "./options";

export interface LockOwner {
  file: string;
  pid: number;
  username: string;
  hostname: string;
  /** When the lock was taken (ISO time), and how long ago in seconds. */
  timestamp: string;
  ageSeconds: number;
  /** Known alive (a process on this host), known gone, or unknown (another host). */
  state: "alive" | "gone" | "unknown";
}

/** A lock recover or cancel will not remove: its owner runs, or may. */
export class LockHeld extends Error {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The locks of a stage in a file backend's folder (none when the folder has none). */
export function fileBackendLocks(stateDir: string, stage: string, now = Date.now()): LockOwner[] {
  const dir = path.join(stateDir, ".pulumi", "locks", "organization", PROJECT, stage);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => {
      const file = path.join(dir, f);
      const lock = JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number; username: string; hostname: string; timestamp: string };
      const here = lock.hostname === os.hostname();
      const state = here ? (processAlive(lock.pid) ? "alive" : "gone") : "unknown";
      return { file, ...lock, ageSeconds: Math.round((now - Date.parse(lock.timestamp)) / 1000), state };
    });
}

export const describeLock = (l: LockOwner) =>
  `pid ${l.pid} (${l.username}@${l.hostname}), taken ${l.timestamp}, ${l.ageSeconds} s ago, ${l.state === "alive" ? "still running" : l.state === "gone" ? "no longer running" : "on another host: cannot tell from here"}`;

/**
 * Refuses to break a lock whose owner runs (always) or may run (another host, a shared
 * backend) unless forced; returns the locks that may be removed.
 */
export function checkLocksBreakable(stage: string, locks: LockOwner[] | "shared", force: boolean): LockOwner[] {
  if (locks === "shared") {
    if (force) return [];
    throw new LockHeld(
      `stage ${stage} uses a shared state backend, where the driver cannot see whether the lock's owner still runs ` +
        `(a failed up names it: "created by user@host (pid N) at time"). Make sure that update has ended, then run again with --force. Nothing was changed.`,
    );
  }
  const alive = locks.filter((l) => l.state === "alive");
  if (alive.length) throw new LockHeld(`stage ${stage} is locked by a running update: ${alive.map(describeLock).join("; ")}. Wait for it to end (or stop it); nothing was changed.`);
  const unknown = locks.filter((l) => l.state === "unknown");
  if (unknown.length && !force) {
    throw new LockHeld(`stage ${stage} is locked from another host: ${unknown.map(describeLock).join("; ")}. Make sure that update has ended, then run again with --force. Nothing was changed.`);
  }
  return locks;
}

/** The stage's locks that may be removed ("shared": the backend's, unseen, and --force was given); throws LockHeld otherwise. */
export function breakableLocks(o: EngineOptions, force: boolean): LockOwner[] | "shared" {
  if (backendOf(o).shared) {
    checkLocksBreakable(o.stage, "shared", force);
    return "shared";
  }
  return checkLocksBreakable(o.stage, fileBackendLocks(resolveStateDir(o), o.stage), force);
}

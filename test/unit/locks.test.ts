/**
 * recover and cancel break only a lock whose owner is gone (ops/engine/locks.ts): the
 * lock files are written as the file backend writes them, their owners real processes.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import test from "ava";
import { PROJECT } from "../../contract/project";
import { LockHeld, checkLocksBreakable, describeLock, fileBackendLocks } from "../../ops/engine/locks";
import { tempDir } from "../fixtures/files";

const NOW = Date.parse("2026-12-03T10:00:00Z");

function lockFile(stateDir: string, owner: { pid: number; hostname?: string; takenSecondsAgo: number }): string {
  const dir = path.join(stateDir, ".pulumi", "locks", "organization", PROJECT, "staging");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${owner.pid}-${owner.hostname ?? "here"}.json`);
  const timestamp = new Date(NOW - owner.takenSecondsAgo * 1000).toISOString();
  fs.writeFileSync(file, JSON.stringify({ pid: owner.pid, username: "ops", hostname: owner.hostname ?? os.hostname(), timestamp }));
  return file;
}

test("a lock held by a process that runs on this host is never broken, even with --force; the message shows the owner and its age", (t) => {
  const stateDir = tempDir("locks");
  const runner = spawn("sleep", ["30"]);
  try {
    lockFile(stateDir, { pid: runner.pid!, takenSecondsAgo: 95 });
    const locks = fileBackendLocks(stateDir, "staging", NOW);
    t.is(locks[0].state, "alive");
    for (const force of [false, true]) {
      const err = t.throws(() => checkLocksBreakable("staging", locks, force), { instanceOf: LockHeld });
      t.is(
        err!.message,
        `stage staging is locked by a running update: pid ${runner.pid} (ops@${os.hostname()}), taken 2026-12-03T09:58:25.000Z, 95 s ago, still running. Wait for it to end (or stop it); nothing was changed.`,
      );
    }
  } finally {
    runner.kill();
  }
});

test("a lock whose owner has exited is breakable; one from another host only with --force; a shared backend's only with --force", (t) => {
  const stateDir = tempDir("locks");
  const dead = spawnSync("true").pid;
  lockFile(stateDir, { pid: dead, takenSecondsAgo: 60 });
  const gone = fileBackendLocks(stateDir, "staging", NOW);
  t.is(gone[0].state, "gone");
  t.regex(describeLock(gone[0]), /60 s ago, no longer running$/);
  t.deepEqual(checkLocksBreakable("staging", gone, false), gone);

  lockFile(stateDir, { pid: 4242, hostname: "ci-runner-7", takenSecondsAgo: 3600 });
  const both = fileBackendLocks(stateDir, "staging", NOW);
  t.throws(() => checkLocksBreakable("staging", both, false), {
    instanceOf: LockHeld,
    message: /locked from another host: pid 4242 \(ops@ci-runner-7\), .*3600 s ago, on another host: cannot tell from here\. .*--force/,
  });
  t.is(checkLocksBreakable("staging", both, true).length, 2);

  t.throws(() => checkLocksBreakable("staging", "shared", false), { instanceOf: LockHeld, message: /shared state backend.*run again with --force\. Nothing was changed\./ });
  t.deepEqual(checkLocksBreakable("staging", "shared", true), []);
});

test("no lock folder: nothing to break", (t) => {
  t.deepEqual(fileBackendLocks(tempDir("locks"), "staging", NOW), []);
});

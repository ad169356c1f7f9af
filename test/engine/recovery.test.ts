/**
 * Recovery from an `up` killed with SIGKILL mid-update, on a real API server (the
 * project's local control plane): the stale lock, the pending creates, then a clean up.
 */
import { spawn } from "child_process";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { LocalCluster } from "../../lab/cluster";
import { EngineOptions, preview, recover, up } from "../../ops/engine";
import { runStage } from "../../harness/mockRun";
import { freshState } from "../fixtures/engine";
import { startTestCluster } from "../fixtures/liveCluster";

let cluster: LocalCluster;
let stack: EngineOptions;

test.before(async () => {
  cluster = await startTestCluster();
  stack = freshState("staging", { kubeconfig: cluster.kubeconfigPath });
});

test.after.always(async () => {
  if (cluster) await cluster.stop();
});

/** `npm run up` in its own process group, killed with SIGKILL `delayMs` after `line` appears in its output. */
function upKilledAt(line: RegExp, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "ops/engineCommand.ts", "up", "--stack", "staging"], {
      cwd: PROJECT_DIR,
      env: { ...process.env, HOTEL_STATE_DIR: stack.stateDir, KUBECONFIG: cluster.kubeconfigPath },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let killing = false;
    const onData = (d: Buffer) => {
      out += d;
      if (line.test(out) && !killing) {
        killing = true;
        setTimeout(() => child.exitCode === null && process.kill(-child.pid!, "SIGKILL"), delayMs);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve(out) : reject(new Error(`up ended (${code}) before the kill:\n${out}`))));
  });
}

test.serial("an up killed mid-update: the next up is refused on the lock; recover adopts the pending creates; then up converges and a preview is clean", async (t) => {
  // The provider awaits a StatefulSet's readiness for several seconds: its create is pending then.
  await upKilledAt(/StatefulSet postgres creating/, 300);
  const refused = await up(stack).then(
    () => undefined,
    (e: Error) => e,
  );
  // Refused on the stale lock, or (a kill in the middle of writing the checkpoint) on a truncated checkpoint.
  t.regex(String(refused?.message), /the stack is currently locked by 1 lock\(s\)|failed to load checkpoint/);

  const r = await recover(stack);
  t.true(r.unlocked || r.restoredFrom !== undefined, JSON.stringify(r));
  // Which create was pending depends on timing (a StatefulSet, the Job, the Deployment): one was.
  t.true(r.retaken.length >= 1 || r.restoredFrom !== undefined, JSON.stringify(r));
  t.log(`pending at the kill: ${r.retaken.map((u) => u.split("::").slice(-2).join("::")).join(", ")}`);
  t.deepEqual(r.orphaned, []);

  const count = (await runStage("staging")).resources.length + 1;
  const result = await up(stack);
  t.is(result.summary.result, "succeeded");
  t.deepEqual((await preview(stack, { expectNoChanges: true })).changeSummary, { same: count });
  const sts = cluster.kubectl(["get", "statefulsets", "-n", "hotel-staging", "-o", "jsonpath={.items[*].metadata.name}"]).split(" ").sort();
  t.deepEqual(sts, ["postgres", "redis"]);
});

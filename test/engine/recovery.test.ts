/**
 * Recovery after an update that did not finish, on a real API server (the project's
 * local control plane), each failure made deterministically instead of by a kill's
 * timing: (1) a stale lock whose owner is gone, with a create left pending for an object
 * that exists in the cluster; (2) a truncated checkpoint. Each test asserts the outcome
 * an operator needs: the next up is refused with the reason, `recover` clears it, then
 * up converges and a preview plans nothing. And (3) a namespace the stack did not create:
 * refused until `adopt` takes it over deliberately.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { randomUUID } from "crypto";
import test from "ava";
import { PROJECT } from "../../contract/project";
import { LocalCluster } from "../../lab/cluster";
import { AdoptionRefused, EngineOptions, adoptable, deployedCommit, destroy, exportState, preview, recover, statePassword, up } from "../../ops/engine";
import { StateUnreadable } from "../../ops/engine/secrets";
import { changedSteps, editCheckpoint, freshState, observe, pendingCreate, stageVariant } from "../fixtures/engine";
import { releaseTestCluster, startTestCluster } from "../fixtures/liveCluster";
import { LockHeld } from "../../ops/engine/locks";
import { checkpointFile } from "../../ops/engine/checkpoint";

/** The staging program's 39 resources (test/program/program.test.ts) and the stack itself. */
const STAGING_STATE_RESOURCES = 40;
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
let cluster: LocalCluster;

test.before(async () => {
  cluster = await startTestCluster();
});

test.after.always(async () => {
  await releaseTestCluster(cluster);
});

/** A lock file as the file backend writes it, held by a process that has exited. */
function staleLock(stack: EngineOptions): string {
  const dead = spawnSync("true").pid;
  const dir = path.join(stack.stateDir!, ".pulumi", "locks", "organization", PROJECT, "staging");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify({ pid: dead, username: os.userInfo().username, hostname: os.hostname(), timestamp: new Date(Date.now() - 60_000).toISOString() }));
  return file;
}

const refusal = (stack: EngineOptions) =>
  up(stack).then(
    () => "up succeeded",
    (e: Error) => e.message,
  );

/** A staging stack of its own in its own namespace: the two tests share the cluster, not their objects. */
function ownStack(namespace: string): EngineOptions {
  const stageFile = stageVariant("staging", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], namespace }));
  return freshState("staging", { kubeconfig: cluster.kubeconfigPath, stageFile });
}

async function convergesAfterRecovery(t: import("ava").ExecutionContext, stack: EngineOptions, namespace: string): Promise<void> {
  t.is((await up(stack)).summary.result, "succeeded");
  t.deepEqual((await preview(stack, { expectNoChanges: true })).changeSummary, { same: STAGING_STATE_RESOURCES });
  const deployments = cluster.kubectl(["get", "deployments", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}"]).trim().split(" ");
  t.deepEqual(deployments, ["hotel-api"]);
}

test.serial("a stale lock and a create left pending for an object the cluster has: up is refused on the lock; after recover, up converges", async (t) => {
  const namespace = "hotel-recovery-lock";
  const stack = ownStack(namespace);
  t.is((await up(stack)).summary.result, "succeeded");
  const uid = cluster.kubectl(["get", "deployment", "hotel-api", "-n", namespace, "-o", "jsonpath={.metadata.uid}"]);
  // As a kill right after the provider created the Deployment leaves it: live in the cluster, pending in the state.
  editCheckpoint(stack, (d) => pendingCreate(d, /kubernetes:apps\/v1:Deployment::/));
  t.deepEqual(
    (await exportState(stack)).deployment.pending_operations?.map((p: { type: string }) => p.type),
    ["creating"],
  );
  staleLock(stack);

  t.regex(await refusal(stack), /the stack is currently locked by 1 lock\(s\)/);
  const r = await recover(stack);
  t.deepEqual(
    r.retaken.map((u) => u.split("::").pop()),
    ["hotel-api"],
  );
  await convergesAfterRecovery(t, stack, namespace);
  const state = await exportState(stack);
  t.is(state.deployment.resources.filter((r: { type: string }) => r.type === DEPLOYMENT).length, 1, "the Deployment is in the state once");
  t.deepEqual(state.deployment.pending_operations ?? [], []);
  t.is(cluster.kubectl(["get", "deployment", "hotel-api", "-n", namespace, "-o", "jsonpath={.metadata.uid}"]), uid, "the live Deployment was kept, not recreated");
});

test.serial("a checkpoint truncated mid-write: up is refused naming the checkpoint; after recover, up converges", async (t) => {
  const namespace = "hotel-recovery-checkpoint";
  const stack = ownStack(namespace);
  t.is((await up(stack)).summary.result, "succeeded");
  const checkpoint = checkpointFile(stack.stateDir!, PROJECT, "staging");
  const text = fs.readFileSync(checkpoint);
  fs.writeFileSync(checkpoint, text.subarray(0, Math.floor(text.length / 2)));

  t.regex(await refusal(stack), /failed to load checkpoint/);
  const r = await recover(stack);
  t.truthy(r.restoredFrom, "restored from a backup");
  await convergesAfterRecovery(t, stack, namespace);
});

test.serial("recover beside a running up: refused naming the live owner, and the up finishes untouched", async (t) => {
  const namespace = "hotel-recovery-live";
  const stack = ownStack(namespace);
  const locks = path.join(stack.stateDir!, ".pulumi", "locks", "organization", PROJECT, "staging");
  const running = up(stack);
  // Wait (bounded) for the running update's lock.
  const deadline = Date.now() + 120_000;
  const lockFiles = () => (fs.existsSync(locks) ? fs.readdirSync(locks).filter((f) => f.endsWith(".json")) : []);
  while (lockFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  t.is(lockFiles().length, 1, "the running up holds its lock");
  const err = await t.throwsAsync(recover(stack), { instanceOf: LockHeld });
  t.regex(err!.message, /^stage staging is locked by a running update: pid \d+ \(.*\), taken .*, \d+ s ago, still running\./);
  t.is(lockFiles().length, 1, "the lock is still there");
  t.is((await running).summary.result, "succeeded");
  t.deepEqual((await preview(stack, { expectNoChanges: true })).changeSummary, { same: STAGING_STATE_RESOURCES });
  // With no lock at all, recover says so.
  t.false((await recover(stack)).unlocked);
});

test.serial("a stack from before the program owned its password keeps it: the first preview only creates the password resource; the role's Secret and the pods do not change", async (t) => {
  const namespace = "hotel-legacy-password";
  const legacy = "legacy-password-5d6e7f";
  const stack = { ...ownStack(namespace), password: legacy };
  t.is((await up(stack)).summary.result, "succeeded");
  const secretBefore = cluster.kubectl(["get", "secret", "postgres-credentials", "-n", namespace, "-o", "jsonpath={.data.password}"]);
  const podTemplate = () => cluster.kubectl(["get", "deployment", "hotel-api", "-n", namespace, "-o", "jsonpath={.spec.template.metadata.annotations}"]);
  const templateBefore = podTemplate();
  // The state as the driver before this change left it: no password resource, the password only in the stack output.
  // In the checkpoint file, not with `pulumi stack import`: without --config-file the import writes a
  // passphrase salt into the committed stage file, which tests in the other lane read meanwhile.
  editCheckpoint(stack, (d) => {
    // Only the owner's password resource is new since then (the app's and Redis's, and the provider they share, came later still, and stay).
    const isNew = (r: { urn: string }) => r.urn.endsWith("::postgres-password");
    const gone = new Set(d.resources.filter(isNew).map((r: { urn: string }) => r.urn));
    d.resources = d.resources.filter((r: { urn: string }) => !isNew(r));
    for (const r of d.resources) {
      r.dependencies = (r.dependencies ?? []).filter((u: string) => !gone.has(u));
      for (const [k, deps] of Object.entries(r.propertyDependencies ?? {})) r.propertyDependencies[k] = (deps as string[]).filter((u) => !gone.has(u));
    }
  });
  const later = { ...stack, password: undefined };
  const { observed, options } = observe();
  await preview({ ...later, ...options });
  t.deepEqual(changedSteps(observed.steps), {
    create: ["hotel:index:HotelStack$hotel:index:PostgresDatabase$pulumi-nodejs:dynamic:Resource::postgres-password"],
  });
  t.is((await up(later)).summary.result, "succeeded");
  t.is(await statePassword(later), legacy);
  t.is(cluster.kubectl(["get", "secret", "postgres-credentials", "-n", namespace, "-o", "jsonpath={.data.password}"]), secretBefore);
  t.is(podTemplate(), templateBefore, "the app's pods did not roll");
  // A password given now, for a stack that has one, is refused before the engine runs.
  await t.throwsAsync(up({ ...later, password: "another-password" }), { instanceOf: StateUnreadable, message: /already has its password in its state/ });
});

/** The state as the program before the shared provider left it: each password resource with a `pulumi-nodejs` provider of its own, named after it. */
function providerPerPassword(d: any): void {
  const shared = d.resources.find((r: { urn: string }) => r.urn.endsWith("$pulumi:providers:pulumi-nodejs::passwords"));
  // Each provider just before its password: a state lists a provider, and a parent, before what uses them.
  d.resources = d.resources.flatMap((r: { urn: string; parent: string; provider?: string }) => {
    if (r === shared) return [];
    if (r.provider !== `${shared.urn}::${shared.id}`) return [r];
    const provider = { ...shared, id: randomUUID(), parent: r.parent, urn: r.urn.replace(/\$pulumi-nodejs:dynamic:Resource::([^:$]+)$/, "$pulumi:providers:pulumi-nodejs::$1-provider") };
    r.provider = `${provider.urn}::${provider.id}`;
    return [provider, r];
  });
}

test.serial("a stack from before the shared password provider: the first up swaps the three providers for one, replaces nothing, and every password stays", async (t) => {
  const namespace = "hotel-provider-swap";
  const stack = ownStack(namespace);
  t.is((await up(stack)).summary.result, "succeeded");
  const secret = (name: string, key: string) => cluster.kubectl(["get", "secret", name, "-n", namespace, "-o", `jsonpath={.data.${key}}`]);
  const secrets = () => [secret("postgres-credentials", "password"), secret("postgres-app-credentials", "password"), secret("redis-auth", "password")];
  const before = secrets();
  const passwordBefore = await statePassword(stack);
  editCheckpoint(stack, providerPerPassword);
  const old = (await exportState(stack)).deployment!.resources.filter((r: { type: string }) => r.type === "pulumi:providers:pulumi-nodejs").map((r: { urn: string }) => r.urn.split("::").pop());
  t.deepEqual(old.sort(), ["postgres-app-password-provider", "postgres-password-provider", "redis-password-provider"], "the state holds one provider per password");
  const { observed, options } = observe();
  await preview({ ...stack, ...options });
  t.deepEqual(changedSteps(observed.steps), {
    create: ["hotel:index:HotelStack$pulumi:providers:pulumi-nodejs::passwords"],
    delete: [
      "hotel:index:HotelStack$hotel:index:PostgresDatabase$pulumi:providers:pulumi-nodejs::postgres-app-password-provider",
      "hotel:index:HotelStack$hotel:index:PostgresDatabase$pulumi:providers:pulumi-nodejs::postgres-password-provider",
      "hotel:index:HotelStack$hotel:index:RedisCache$pulumi:providers:pulumi-nodejs::redis-password-provider",
    ],
  });
  t.deepEqual((await up(stack)).summary.resourceChanges, { create: 1, delete: 3, same: STAGING_STATE_RESOURCES - 1 });
  t.is(await statePassword(stack), passwordBefore);
  t.deepEqual(secrets(), before, "the owner's, the app's and Redis's Secrets hold the passwords they held");
  t.deepEqual((await up(stack, { expectNoChanges: true })).summary.resourceChanges, { same: STAGING_STATE_RESOURCES });
  await destroy(stack);
});

test.serial(
  "a namespace that exists and the stack did not create: up is refused naming what is in it, and changes nothing; adopt takes it over (recording the deployed commit), and a destroy keeps it",
  async (t) => {
    const namespace = "hotel-adopt";
    cluster.kubectl(["create", "namespace", namespace]);
    cluster.kubectl(["create", "configmap", "hand-made", "-n", namespace, "--from-literal=owner=someone-else"]);
    const stack = ownStack(namespace);

    const err = await t.throwsAsync(up(stack), { instanceOf: AdoptionRefused });
    t.regex(err!.message, /^stage staging would take over namespace hotel-adopt with 1 object\(s\): configmap\/hand-made: it exists and this stack did not create it, so nothing was run\./);
    t.deepEqual((await exportState(stack)).deployment?.resources ?? [], [], "nothing reached the state");
    t.is(cluster.kubectl(["get", "deployments,services,secrets", "-n", namespace, "-o", "name"]).trim(), "", "nothing reached the namespace");

    t.deepEqual(await adoptable(stack), { namespace, objects: ["configmap/hand-made"] });
    // As the deploy workflow runs it: the commit is recorded in the stack once the up succeeds.
    t.is((await up({ ...stack, adopt: true, deployCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904" })).summary.result, "succeeded");
    t.is(await deployedCommit(stack), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    t.is(await adoptable(stack), undefined, "the namespace is the stack's now");
    // Later runs need no adopt: the state holds the namespace. An up that records no commit
    // (a laptop's) removes the record, so the next deploy compares with nothing and runs.
    t.deepEqual((await up(stack, { expectNoChanges: true })).summary.resourceChanges, { same: STAGING_STATE_RESOURCES });
    t.is(await deployedCommit(stack), undefined);

    await destroy(stack);
    t.is(cluster.kubectl(["get", "namespace", namespace, "-o", "jsonpath={.status.phase}"]), "Active", "the namespace it did not create is kept");
    t.is(cluster.kubectl(["get", "configmap", "hand-made", "-n", namespace, "-o", "jsonpath={.data.owner}"]), "someone-else");
    t.is(cluster.kubectl(["get", "deployments", "-n", namespace, "-o", "name"]).trim(), "", "the stack's own objects are gone");
    cluster.kubectl(["delete", "namespace", namespace, "--wait=false"]);
  },
);

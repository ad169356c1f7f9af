/** The engine operations on one stage: preview, up (and render), refresh, destroy, and reading the state back. */
import type { Deployment, OpMap, UpdateSummary } from "@pulumi/pulumi/automation";
import { privateRenderDir, publishRedacted } from "./renderFolder";
import { EngineOptions, RefreshFlags, RunFlags, liveBackendUrl, readStage, resolveStateDir } from "./options";
import { recordedEndpoints } from "./target";
import { breakableLocks } from "./locks";
import { OpenStage, policyPacks, removeStack, withStage } from "./workspace";
import { EngineRun } from "./engineRun";
import { NAMESPACE } from "../../contract/project";
import { clusterAccess, liveNamespace, stateHasNamespace } from "./ownership";
import { StackOutput, outputOf, passwordOutput } from "./secrets";

const CHANGES = { changes: true };

/** What a preview plans: the steps by kind. */
export interface PreviewOutcome {
  stdout: string;
  stderr: string;
  changeSummary: OpMap;
}

/** What a change did (up, refresh, destroy): the steps by kind. A failed change rejects instead. */
export interface ChangeOutcome {
  stdout: string;
  stderr: string;
  summary: { result: "succeeded"; resourceChanges: OpMap };
}

const changed = (run: EngineRun): ChangeOutcome => ({ stdout: run.stdout, stderr: run.stderr, summary: { result: "succeeded", resourceChanges: run.changes } });

/** The CLI's flags for the driver's: the policy pack with every preview and up. */
const packArgs = () => policyPacks.flatMap((pack) => ["--policy-pack", pack]);
const runArgs = (flags: RunFlags) => [...(flags.expectNoChanges ? ["--expect-no-changes"] : []), ...(flags.refresh ? ["--refresh"] : [])];
/** A change runs at once: the driver's own preview comes first where one is needed (destroy). */
const AT_ONCE = ["--yes", "--skip-preview"];

/** The plan, with its diff, streamed to the options' onOutput; a new stack is created first. */
export function preview(o: EngineOptions, flags: RunFlags = {}): Promise<PreviewOutcome> {
  return withStage(o, async (s) => {
    const run = await s.engine(["preview", "--diff", ...packArgs(), ...runArgs(flags)]);
    return { stdout: run.stdout, stderr: run.stderr, changeSummary: run.changes };
  });
}

/** npm run preview: the plan, streamed (the same run as `preview`; the command prints nothing more). */
export async function previewCommand(o: EngineOptions, flags: RunFlags = {}): Promise<void> {
  await preview(o, flags);
}

/**
 * The stack tag that records the commit a stage last deployed (`up` with
 * HOTEL_DEPLOY_COMMIT, as the deploy workflow runs it). Any other up removes it, so the
 * next deploy compares against nothing and runs: a change is never skipped.
 */
export const DEPLOYED_TAG = `${NAMESPACE}:deployedCommit`;

async function recordDeployed(s: OpenStage, commit: string | undefined): Promise<void> {
  if (commit) s.cli(["stack", "tag", "set", DEPLOYED_TAG, commit, "--stack", s.options.stage]);
  else if (DEPLOYED_TAG in (await s.tags())) s.cli(["stack", "tag", "rm", DEPLOYED_TAG, "--stack", s.options.stage]);
}

/** The commit the stage last deployed, from its stack (undefined: none recorded, or an up since that recorded none). */
export function deployedCommit(o: EngineOptions): Promise<string | undefined> {
  return withStage(o, async (s) => (await s.tags())[DEPLOYED_TAG]);
}

export function up(o: EngineOptions, flags: RunFlags = {}): Promise<ChangeOutcome> {
  return withStage(
    o,
    async (s) => {
      try {
        const run = await s.engine(["up", ...AT_ONCE, ...packArgs(), ...runArgs(flags)]);
        if (!o.renderDir) await recordDeployed(s, o.deployCommit);
        return changed(run);
      } finally {
        // Render mode writes Secrets in plain text: redact whatever was written (even on
        // failure) in the private folder, and publish only the redacted tree.
        if (o.renderDir) publishRedacted(privateRenderDir(liveBackendUrl(o), o.stage), o.renderDir);
      }
    },
    CHANGES,
  );
}

/** The CLI's flags for a refresh. */
export const refreshArgs = (flags: RefreshFlags) => [
  "refresh",
  ...AT_ONCE,
  ...(flags.expectNoChanges ? ["--expect-no-changes"] : []),
  ...(flags.clearPendingCreates ? ["--clear-pending-creates"] : []),
];

export function refresh(o: EngineOptions, flags: RefreshFlags = {}): Promise<ChangeOutcome> {
  return withStage(o, async (s) => changed(await s.engine(refreshArgs(flags))));
}

/** What `npm run adopt` would take over: the stage's live namespace and the objects in it, when the stack does not hold it. */
export function adoptable(o: EngineOptions): Promise<{ namespace: string; objects: string[] } | undefined> {
  return withStage(o, async (s) => {
    const { raw, config } = readStage(o);
    if (config?.platform !== "kubernetes") return undefined;
    const namespace = config.kubernetes.namespace;
    if (stateHasNamespace(await stateOf(s), namespace)) return undefined;
    const objects = liveNamespace(clusterAccess(o.kubectl, o.kubeconfig, raw), namespace);
    return objects && { namespace, objects };
  });
}

export class DestroyRefused extends Error {}

/**
 * Destroys the stack, or refuses before the engine deletes anything: while a resource is
 * protected (the engine itself only stops when it reaches the protected resource, after
 * it has deleted everything that depends on it: found on prod, the app, its Services and
 * the routing were gone and the destroy "refused"), or when the policy pack refuses the
 * stage as it stands (the CLI's destroy runs no analyzer, so a preview with the pack
 * comes first: a stage whose protection was switched off in its config is caught here).
 */
export function destroy(o: EngineOptions): Promise<ChangeOutcome> {
  return withStage(
    o,
    async (s) => {
      const resources: { urn: string; protect?: boolean }[] = (await stateOf(s)).deployment?.resources ?? [];
      const guarded = resources.filter((r) => r.protect).map((r) => r.urn.split("::").pop());
      if (guarded.length) {
        throw new DestroyRefused(
          `destroy of ${o.stage} refused before anything was deleted: ${guarded.length} resource(s) are protected (${guarded.join(", ")}). ` +
            `Lift the protection deliberately first (pulumi state unprotect), or keep the stage.`,
        );
      }
      await s.engine(["preview", ...packArgs()]);
      return changed(await s.engine(["destroy", ...AT_ONCE]));
    },
    CHANGES,
  );
}

/** The state the stage was opened with, or (a stack created just now) read now. */
const stateOf = async (s: OpenStage): Promise<Deployment> => s.state ?? (JSON.parse(s.cli(["stack", "export", "--stack", s.options.stage])) as Deployment);

/** The stack's state (resources, their inputs and outputs), as `pulumi stack export` gives it. */
export function exportState(o: EngineOptions): Promise<Deployment> {
  return withStage(o, stateOf);
}

/** The stack's outputs, from its state (secrets in plain text, marked as such). */
export function stackOutputs(o: EngineOptions): Promise<Record<string, StackOutput>> {
  return withStage(o, async (s) => {
    const root = ((await s.stateWithSecrets()).deployment?.resources ?? []).find((r: { type: string }) => r.type === "pulumi:pulumi:Stack");
    const entries = Object.entries((root?.outputs ?? {}) as Record<string, unknown>);
    return Object.fromEntries(entries.map(([k, v]) => [k, outputOf(v)]));
  });
}

/** The PostgreSQL password the stack's state keeps (what every checkout on its backend uses). */
export function statePassword(o: EngineOptions): Promise<string | undefined> {
  return withStage(o, async (s) => passwordOutput(await s.stateWithSecrets()));
}

/** The stack's update history (newest first), with the config each update ran. */
export function updateHistory(o: EngineOptions): Promise<UpdateSummary[]> {
  // Without --show-secrets: the CLI then needs no secrets manager, and writes no salt into the stage file.
  return withStage(o, async (s) => JSON.parse(s.cli(["stack", "history", "--json", "--stack", o.stage]), (key, value) => (key === "startTime" || key === "endTime" ? new Date(value) : value)));
}

/** Ends an update that was killed (a stale lock; never a running one, see ./locks.ts); see docs/ENGINE.md. */
export async function cancel(o: EngineOptions, { force = false }: { force?: boolean } = {}): Promise<void> {
  breakableLocks(o, force);
  return withStage(o, async (s) => void s.cli(["cancel", "--yes", "--stack", o.stage]));
}

/**
 * Removes, from the local file backend, the Kubernetes stages' stacks whose last change
 * went to the local cluster (with `npm run cluster -- reset`, which deletes that
 * cluster's data). A stack whose changes went elsewhere, or that has no record, is kept:
 * its objects may live on a real cluster.
 */
export async function removeLocalStacks(localServer: string, stages: string[] = ["staging", "prod"], where: Pick<EngineOptions, "stateDir"> = {}): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const stage of stages) {
    const endpoints = recordedEndpoints(resolveStateDir({ stage, ...where }), stage);
    if (!(endpoints?.length === 1 && endpoints[0] === localServer)) {
      kept.push(stage);
      continue;
    }
    if (await removeStack({ stage, ...where })) removed.push(stage);
  }
  return { removed, kept };
}

/** Lifts `protect` from every resource in a stack's state (`pulumi state unprotect --all`), before a deliberate destroy. */
export function unprotectAll(o: EngineOptions): Promise<void> {
  return withStage(o, async (s) => void s.cli(["state", "unprotect", "--all", "--yes", "--stack", o.stage]));
}

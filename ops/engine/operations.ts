/** The engine operations on one stage: preview, up (and render), refresh, destroy, and reading the state back. */
import type { Deployment, DestroyResult, PreviewResult, RefreshResult, UpResult, UpdateSummary } from "@pulumi/pulumi/automation";
import { automation } from "./automation";
import { privateRenderDir, publishRedacted } from "./renderFolder";
import { EngineOptions, RefreshFlags, RunFlags, liveBackendUrl, readStage, resolveStateDir } from "./options";
import { recordedEndpoints } from "./target";
import { breakableLocks } from "./locks";
import { OpenStage, openExistingStage, policyPacks, streams, withStage } from "./workspace";
import { keepingStageFile } from "./stageFileGuard";
import { stageFilePath } from "../../config/stages";
import { NAMESPACE } from "../../contract/project";
import { clusterAccess, liveNamespace, stateHasNamespace } from "./ownership";

const CHANGES = { changes: true };

/**
 * After an up, refresh or destroy the Automation API reads the update's summary with
 * `stack history`, by default with `--show-secrets`: the CLI then needs the stack's
 * secrets manager from Pulumi.<stage>.yaml and, finding no salt there, writes one into
 * the committed file. The summary needs no secret.
 */
const SUMMARY_WITHOUT_SECRETS = { showSecrets: false };

export function preview(o: EngineOptions, flags: RunFlags = {}): Promise<PreviewResult> {
  return withStage(o, (s) => s.stack.preview({ ...streams(s), policyPacks, diff: true, ...flags }));
}

/** The CLI's arguments for a preview as `preview` above runs it: the diff, the policy pack, the work config, no colour. */
function previewArgs(stage: string, configFile: string, flags: RunFlags): string[] {
  return [
    "preview",
    "--diff",
    ...policyPacks.flatMap((pack) => ["--policy-pack", pack]),
    "--config-file",
    configFile,
    "--color",
    "never",
    ...(flags.expectNoChanges ? ["--expect-no-changes"] : []),
    ...(flags.refresh ? ["--refresh"] : []),
    "--stack",
    stage,
  ];
}

/**
 * npm run preview: the plan, streamed. A stack that exists is previewed by the CLI itself
 * (./workspace.ts openExistingStage: no Automation API to load, no `version` or `stack
 * select` call); a new one goes through `preview`, which creates it.
 */
export async function previewCommand(o: EngineOptions, flags: RunFlags = {}): Promise<void> {
  const ran = await keepingStageFile(stageFilePath(o.stage, o.projectDir), async () => {
    const stage = await openExistingStage(o);
    if (stage) await stage.stream(previewArgs(o.stage, stage.configFile, flags));
    return stage !== undefined;
  });
  if (!ran) await preview(o, flags);
}

/**
 * The stack tag that records the commit a stage last deployed (`up` with
 * HOTEL_DEPLOY_COMMIT, as the deploy workflow runs it). Any other up removes it, so the
 * next deploy compares against nothing and runs: a change is never skipped.
 */
export const DEPLOYED_TAG = `${NAMESPACE}:deployedCommit`;

async function recordDeployed(s: OpenStage, commit: string | undefined): Promise<void> {
  if (commit) await s.stack.setTag(DEPLOYED_TAG, commit);
  else if (DEPLOYED_TAG in s.tags) await s.stack.removeTag(DEPLOYED_TAG);
}

/** The commit the stage last deployed, from its stack (undefined: none recorded, or an up since that recorded none). */
export function deployedCommit(o: EngineOptions): Promise<string | undefined> {
  return withStage(o, async (s) => s.tags[DEPLOYED_TAG]);
}

export function up(o: EngineOptions, flags: RunFlags = {}): Promise<UpResult> {
  return withStage(
    o,
    async (s) => {
      try {
        const result = await s.stack.up({ ...streams(s), policyPacks, ...SUMMARY_WITHOUT_SECRETS, ...flags });
        if (!o.renderDir) await recordDeployed(s, o.deployCommit);
        return result;
      } finally {
        // Render mode writes Secrets in plain text: redact whatever was written (even on
        // failure) in the private folder, and publish only the redacted tree.
        if (o.renderDir) publishRedacted(privateRenderDir(liveBackendUrl(o), o.stage), o.renderDir);
      }
    },
    CHANGES,
  );
}

export function refresh(o: EngineOptions, flags: RefreshFlags = {}): Promise<RefreshResult> {
  return withStage(o, (s) => s.stack.refresh({ ...streams(s), ...SUMMARY_WITHOUT_SECRETS, ...flags }));
}

/** What `npm run adopt` would take over: the stage's live namespace and the objects in it, when the stack does not hold it. */
export function adoptable(o: EngineOptions): Promise<{ namespace: string; objects: string[] } | undefined> {
  return withStage(o, async (s) => {
    const { raw, config } = readStage(o);
    if (config?.platform !== "kubernetes") return undefined;
    const namespace = config.kubernetes.namespace;
    if (stateHasNamespace(await s.stack.exportStack(), namespace)) return undefined;
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
export function destroy(o: EngineOptions): Promise<DestroyResult> {
  return withStage(
    o,
    async (s) => {
      const resources: { urn: string; protect?: boolean }[] = (await s.stack.exportStack()).deployment?.resources ?? [];
      const guarded = resources.filter((r) => r.protect).map((r) => r.urn.split("::").pop());
      if (guarded.length) {
        throw new DestroyRefused(
          `destroy of ${o.stage} refused before anything was deleted: ${guarded.length} resource(s) are protected (${guarded.join(", ")}). ` +
            `Lift the protection deliberately first (pulumi state unprotect), or keep the stage.`,
        );
      }
      await s.stack.preview({ ...streams(s), policyPacks });
      return s.stack.destroy({ configFile: s.configFile, onOutput: o.onOutput, onError: o.onError, color: "never", ...SUMMARY_WITHOUT_SECRETS });
    },
    CHANGES,
  );
}

/** The stack's state (resources, their inputs and outputs), as `pulumi stack export` gives it. */
export function exportState(o: EngineOptions): Promise<Deployment> {
  return withStage(o, async (s) => s.state ?? s.stack.exportStack());
}

/** The PostgreSQL password the stack's state keeps (what every checkout on its backend uses). */
export function statePassword(o: EngineOptions): Promise<string | undefined> {
  return withStage(o, async (s) => s.statePassword);
}

/** The stack's update history (newest first), with the config each update ran. */
export function updateHistory(o: EngineOptions): Promise<UpdateSummary[]> {
  return withStage(o, (s) => s.stack.history());
}

/** Ends an update that was killed (a stale lock; never a running one, see ./locks.ts); see docs/ENGINE.md. */
export async function cancel(o: EngineOptions, { force = false }: { force?: boolean } = {}): Promise<void> {
  breakableLocks(o, force);
  return withStage(o, (s) => s.stack.cancel());
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
    await withStage({ stage, preflight: false, ...where }, async (s) => {
      // `stack rm` deletes Pulumi.<stage>.yaml too unless told not to: the committed stage file is not the stack's to remove.
      await s.stack.workspace.removeStack(stage, { force: true, preserveConfig: true });
      removed.push(stage);
    }).catch((e: unknown) => {
      if (!(e instanceof automation().StackNotFoundError)) throw e;
    });
  }
  return { removed, kept };
}

/** Lifts `protect` from every resource in a stack's state (`pulumi state unprotect --all`), before a deliberate destroy. */
export function unprotectAll(o: EngineOptions): Promise<void> {
  return withStage(o, async (s) => void s.cli(["state", "unprotect", "--all", "--yes", "--stack", o.stage]));
}

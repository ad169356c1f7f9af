/** Opens a stage for one operation: the toolchain, the workspace and stack, the work config and the password. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Deployment } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { ConfigError } from "../../config/validate";
import { NAMESPACE, PROJECT } from "../../contract/project";
import { PROJECT_DIR, RawConfig, stageFilePath } from "../../config/stages";
import { passphraseEnv } from "./stateBackend";
import { describeTarget, recordTarget, refuseRunnerStateUnderCi } from "./target";
import { keepingStageFile } from "./stageFileGuard";
import { shrinkProblems } from "./volumeGuard";
import { EngineOptions, backendOf, createStateDir, readStage } from "./options";
import { cli, cliAsync, engineEnv, ensurePlugins, providerPluginsBin, toolchainBin } from "./toolchain";
import { PASSWORD_SEED_CONFIG, writeWorkConfig } from "./workConfig";
import { StateUnreadable, passwordOutput, passwordSeed, readState, readStateWithSecrets, seedFromState } from "./secrets";
import { EngineRun, runEngine } from "./engineRun";
import { checkpointState, checkpointTags, fileBackendDir } from "./fileBackend";
import { ADOPTED_TAG, clusterAccess, refuseUnownedNamespace } from "./ownership";
import { StackConfig } from "../../config/types";

export const POLICY_PACK_DIR = path.join(PROJECT_DIR, "policies");

/**
 * Creates the stage's stack without writing the committed stage file: `stack init` puts
 * the passphrase salt into Pulumi.<stage>.yaml of the folder it runs in, so it runs in a
 * scratch folder with copies of Pulumi.yaml and the stage file (whose committed salt, a
 * team's, the CLI then checks the passphrase against and keeps). Returns the salt.
 */
function initStack(p: Prepared, stage: string): string | undefined {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-stack-init-"));
  try {
    const copy = path.join(scratch, path.basename(stageFilePath(stage)));
    fs.copyFileSync(path.join(p.projectDir, "Pulumi.yaml"), path.join(scratch, "Pulumi.yaml"));
    fs.copyFileSync(p.stageFile, copy);
    cli(p.bin, p.env, scratch, ["stack", "init", stage, "--no-select"]);
    return parse(fs.readFileSync(copy, "utf8"))?.encryptionsalt as string | undefined;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The CLI's answer for a stack the backend does not have (the Automation API looks for the same words). */
const NO_SUCH_STACK = /no stack named '[^']*' found/;

/** Whether the stage's stack exists: its state read (started early), or, when that failed, the reason was that there is no stack. */
async function stackExists(p: Prepared): Promise<boolean> {
  try {
    (await p.reads.state)();
    return true;
  } catch (e) {
    if (e instanceof StateUnreadable && NO_SUCH_STACK.test(e.message)) return false;
    throw e;
  }
}

export interface OpenStage {
  configFile: string;
  options: EngineOptions;
  /** The stack's state as this operation found it (`stack export`, secrets encrypted; none for a stack created just now). */
  state?: Deployment;
  /** The same state with its secrets in plain text: one more CLI call, made once, when asked. */
  stateWithSecrets: () => Promise<Deployment>;
  /** The stack's tags (read once: at the start for an operation that will need them, else on first use). */
  tags: () => Promise<Record<string, string>>;
  /** The pulumi CLI with this stage's environment. */
  cli: (args: string[], input?: string) => string;
  /**
   * One engine command on the stage (`preview`, `up`, `refresh`, `destroy` and their
   * flags): the work config, the stack and no colour added; its text and events go to
   * the options' onOutput, onError and onEvent.
   */
  engine: (args: string[]) => Promise<EngineRun>;
}

/**
 * Render mode's state is local and private (ops/engine/renderFolder.ts): always the
 * local passphrase, whatever the environment holds for the live stacks, so a render
 * opens the same state whether or not a team passphrase is set.
 */
function localSecretsOnly(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PULUMI_CONFIG_PASSPHRASE: _p, PULUMI_CONFIG_PASSPHRASE_FILE: _f, ...rest } = env;
  return rest;
}

/** What an operation may do to where the stage runs: a change is refused in more setups than a read. */
export interface Intent {
  changes: boolean;
}

/** What every operation has before the engine: the stage checked, the toolchain, the engine's environment, and the reads of the stack started. */
interface Prepared {
  projectDir: string;
  stageFile: string;
  raw: RawConfig;
  config?: StackConfig;
  stateDir: string;
  bin: string;
  env: Record<string, string> & { PULUMI_HOME: string };
  reads: ReturnType<typeof startReads>;
}

function prepare(o: EngineOptions, intent: Intent): Prepared {
  const projectDir = o.projectDir ?? PROJECT_DIR;
  const stageFile = o.stageFile ?? stageFilePath(o.stage, projectDir);
  const { raw, config } = readStage({ ...o, stageFile });
  if (intent.changes) refuseRunnerStateUnderCi(o, raw);
  const stateDir = createStateDir(o);
  // Before the engine: a run killed half-way has already put objects there.
  if (intent.changes && !o.renderDir) recordTarget(stateDir, o.stage, describeTarget(o, raw, process.env));
  const bin = toolchainBin();
  const platform = raw[`${NAMESPACE}:platform`] as string | undefined;
  const backend = backendOf(o);
  const say = (text: string) => (o.onError ? o.onError(`${text}\n`) : console.error(text));
  const env: Record<string, string> & { PULUMI_HOME: string } = {
    ...engineEnv(backend, passphraseEnv(backend, o.renderDir ? localSecretsOnly(process.env) : process.env, say), bin),
    ...(o.kubeconfig ? { KUBECONFIG: o.kubeconfig } : {}),
    ...(o.dockerHost ? { DOCKER_HOST: o.dockerHost } : {}),
  };
  // Without the source mirror, the docker stage's plugins come the normal way (a download).
  if (platform === "docker" && !providerPluginsBin()) env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "false";
  // Started before the plugin check and the stage's checks that need no state: the reads run side by side meanwhile.
  const reads = startReads(o.stage, (args) => cliAsync(bin, env, projectDir, args), tagsNeeded(o, platform, intent), fileBackendDir(backend.url));
  ensurePlugins(projectDir, bin, env, platform);
  return { projectDir, stageFile, raw, config, stateDir, bin, env, reads };
}

/**
 * Once the stack is known: the checks that need its state, then the work config (and a new
 * stack's password seed). `created` is set for a stack created just now, with the salt the
 * CLI drew for it (none when the stage file commits one); `setTag` records a takeover on
 * the stack.
 */
async function settle(o: EngineOptions, p: Prepared, intent: Intent, created: { salt?: string } | undefined, setTag: (key: string, value: string) => Promise<void>) {
  // A stack created just now has no state or tags to read (the early reads found no stack).
  const known = created ? undefined : (await p.reads.state)();
  const none: Record<string, string> = {};
  const tags = created ? async () => none : p.reads.tags;
  if (p.config?.platform === "kubernetes" && known) {
    const problems = shrinkProblems(known, p.config);
    if (problems.length) throw new ConfigError(problems);
  }
  const withFile = { ...o, stageFile: p.stageFile };
  const namespaceAdopted = await ownNamespace(withFile, p.raw, p.config, setTag, { state: known, tags }, intent);
  const configFile = writeWorkConfig(withFile, p.stateDir, created?.salt, namespaceAdopted);
  // Only a stack from before the program owned its password needs the plaintext of its state.
  const password = seedFromState(known) ? passwordOutput(await p.reads.stateWithSecrets()) : undefined;
  const seed = passwordSeed(o.stage, o.password, known && { state: known, password });
  // On stdin, never on a command line (where the process list would show it); only when a new stack needs one.
  if (seed !== undefined) cli(p.bin, p.env, p.projectDir, ["config", "set", "--secret", PASSWORD_SEED_CONFIG, "--stack", o.stage, "--config-file", configFile], seed);
  return { configFile, known, tags };
}

/**
 * Checks the stage file, prepares the toolchain, the stack (created when new) and its
 * work config. The CLI calls: the state read at once, the tags beside it only where the
 * operation needs them (tagsNeeded), `stack init` for a new stack, and a config write
 * only when a new stack is given its starting password.
 */
export async function openStage(o: EngineOptions, intent: Intent = { changes: false }): Promise<OpenStage> {
  const p = prepare(o, intent);
  const created = (await stackExists(p)) ? undefined : { salt: initStack(p, o.stage) };
  const run = (args: string[], input?: string) => cli(p.bin, p.env, p.projectDir, args, input);
  const { configFile, known, tags } = await settle(o, p, intent, created, async (key, value) => void run(["stack", "tag", "set", key, value, "--stack", o.stage]));
  return {
    configFile,
    options: o,
    state: known,
    stateWithSecrets: p.reads.stateWithSecrets,
    tags,
    cli: run,
    engine: (args) => runEngine(p.bin, p.env, p.projectDir, [...args, "--config-file", configFile, "--color", "never", "--stack", o.stage], o),
  };
}

/**
 * Removes the stage's stack from its backend, when it has one (the committed stage file
 * stays: `stack rm` would delete it too unless told not to). Returns whether it had one.
 */
export async function removeStack(o: EngineOptions): Promise<boolean> {
  const p = prepare({ ...o, preflight: false }, { changes: false });
  if (!(await stackExists(p))) return false;
  cli(p.bin, p.env, p.projectDir, ["stack", "rm", o.stage, "--force", "--preserve-config", "--yes"]);
  return true;
}

/** A result read early whose failure waits until it is used: a read of a stack about to be created fails, and nobody asks. */
const later = <T>(p: Promise<T>): Promise<() => T> =>
  p.then(
    (v) => () => v,
    (e: unknown) => () => {
      throw e;
    },
  );

/**
 * Who reads the stack's tags: a Kubernetes stage's every operation (a namespace taken over
 * is one, ./ownership.ts) and a change to a live stage (`up` records or removes the
 * deployed commit). Render mode has neither. Anything else reads them only if it asks.
 */
function tagsNeeded(o: EngineOptions, platform: string | undefined, intent: Intent): boolean {
  return !o.renderDir && (platform === "kubernetes" || intent.changes);
}

/**
 * The stage's state (secrets encrypted), one CLI call started at once as a child process;
 * its tags, one more, started at once when `tagsNow`, else on first use; the state with
 * its secrets only on first use. A CLI call costs ~0.35 s of CPU before it reads
 * anything, and deriving the passphrase's key ~0.15 s more (docs/ENGINE.md). On a local
 * file backend the state and the tags come from the stack's files when they are in the
 * form ./fileBackend.ts knows, and no CLI call is made for them.
 */
function startReads(stage: string, run: (args: string[]) => Promise<string>, tagsNow: boolean, localDir: string | undefined) {
  const direct = <T>(read: (dir: string, project: string, stage: string) => T | undefined): T | undefined => (localDir ? read(localDir, PROJECT, stage) : undefined);
  const readTags = () => {
    const tagsFromFiles = direct(checkpointTags);
    return later(tagsFromFiles ? Promise.resolve(tagsFromFiles) : run(["stack", "tag", "ls", "--json", "--stack", stage]).then((text) => JSON.parse(text) as Record<string, string>));
  };
  const stateFromFiles = direct(checkpointState);
  let tags = tagsNow ? readTags() : undefined;
  let withSecrets: Promise<Deployment> | undefined;
  return {
    state: later(stateFromFiles ? Promise.resolve(stateFromFiles) : readState(run, stage)),
    tags: async () => (await (tags ??= readTags()))(),
    stateWithSecrets: () => (withSecrets ??= readStateWithSecrets(run, stage)),
  };
}

/**
 * Before a change to a Kubernetes stage: refuses a namespace the stack did not create
 * (./ownership.ts) unless this run takes it over (npm run adopt, which tags the stack
 * first). Returns whether the stack holds a namespace it took over: a destroy keeps it.
 */
async function ownNamespace(
  o: EngineOptions,
  raw: RawConfig,
  config: StackConfig | undefined,
  setTag: (key: string, value: string) => Promise<void>,
  found: { state?: Deployment; tags: () => Promise<Record<string, string>> },
  intent: Intent,
): Promise<boolean> {
  if (config?.platform !== "kubernetes" || o.renderDir) return false;
  const namespace = config.kubernetes.namespace;
  // The record read once: what this run tags is seen by the rest of the operation.
  const tags = await found.tags();
  if (o.adopt) {
    await setTag(ADOPTED_TAG, namespace);
    tags[ADOPTED_TAG] = namespace;
  }
  if (intent.changes && !o.adopt) refuseUnownedNamespace(o.stage, namespace, found.state, clusterAccess(o.kubectl, o.kubeconfig, raw));
  return tags[ADOPTED_TAG] === namespace;
}

export const policyPacks = [POLICY_PACK_DIR];

/** Runs one engine operation on a prepared stage, leaving the committed stage file as it was. */
export function withStage<T>(o: EngineOptions, op: (s: OpenStage) => Promise<T>, intent?: Intent): Promise<T> {
  return keepingStageFile(stageFilePath(o.stage, o.projectDir), async () => op(await openStage(o, intent)));
}

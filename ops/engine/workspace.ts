/** Opens a stage for one operation: the toolchain, the workspace and stack, the work config and the password. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Deployment, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { automation } from "./automation";
import { parse } from "yaml";
import { ConfigError } from "../../config/validate";
import { NAMESPACE } from "../../contract/project";
import { PROJECT_DIR, RawConfig, stageFilePath } from "../../config/stages";
import { passphraseEnv } from "./stateBackend";
import { describeTarget, recordTarget, refuseRunnerStateUnderCi } from "./target";
import { keepingStageFile } from "./stageFileGuard";
import { shrinkProblems } from "./volumeGuard";
import { EngineOptions, backendOf, readStage, resolveStateDir } from "./options";
import { cli, cliAsync, cliStreamed, engineEnv, ensurePlugins, providerPluginsBin, toolchainBin } from "./toolchain";
import { PASSWORD_SEED_CONFIG, writeWorkConfig } from "./workConfig";
import { passwordSeed, readState } from "./secrets";
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

/** Selects the stage's stack, creating it (and returning the salt the CLI drew) when new. */
async function selectOrCreate(p: Prepared, stage: string, ws: LocalWorkspace): Promise<{ stack: Stack; salt?: string }> {
  const { Stack, StackNotFoundError } = automation();
  try {
    return { stack: await Stack.select(stage, ws) };
  } catch (e) {
    if (!(e instanceof StackNotFoundError)) throw e;
  }
  const salt = initStack(p, stage);
  return { stack: await Stack.select(stage, ws), salt };
}

export interface OpenStage {
  stack: Stack;
  configFile: string;
  options: EngineOptions;
  /** The password the stack's state keeps (none for a stack created just now). */
  statePassword?: string;
  /** The stack's state as this operation found it (`stack export`; none for a stack created just now). */
  state?: Deployment;
  /** The stack's tags as this operation found it. */
  tags: Record<string, string>;
  /** The pulumi CLI with this stage's environment, for what the Automation API lacks. */
  cli: (args: string[], input?: string) => string;
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
  const stateDir = resolveStateDir(o);
  fs.mkdirSync(stateDir, { recursive: true });
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
  // Started before anything slow (the Automation API, ./automation.ts): the reads run on the other core meanwhile.
  const reads = startReads(o.stage, (args) => cliAsync(bin, env, projectDir, args));
  ensurePlugins(projectDir, bin, env, platform);
  return { projectDir, stageFile, raw, config, stateDir, bin, env, reads };
}

/**
 * Once the stack is known: the checks that need its state, then the work config (and a new
 * stack's password seed). `salt` is the one the CLI wrote for a stack created just now;
 * `setTag` records a takeover on the stack.
 */
async function settle(o: EngineOptions, p: Prepared, intent: Intent, salt: string | undefined, setTag: (key: string, value: string) => Promise<void>) {
  // A stack created just now has no state or tags to read (the early reads found no stack).
  const known = salt ? undefined : (await p.reads.state)();
  const tags = salt ? {} : (await p.reads.tags)();
  if (p.config?.platform === "kubernetes" && known) {
    const problems = shrinkProblems(known.state, p.config);
    if (problems.length) throw new ConfigError(problems);
  }
  const withFile = { ...o, stageFile: p.stageFile };
  const namespaceAdopted = await ownNamespace(withFile, p.raw, p.config, setTag, { state: known?.state, tags }, intent);
  const configFile = writeWorkConfig(withFile, p.stateDir, salt, namespaceAdopted);
  const seed = passwordSeed(o.stage, o.password, known);
  // On stdin, never on a command line (where the process list would show it); only when a new stack needs one.
  if (seed !== undefined) cli(p.bin, p.env, p.projectDir, ["config", "set", "--secret", PASSWORD_SEED_CONFIG, "--stack", o.stage, "--config-file", configFile], seed);
  return { configFile, known, tags };
}

/** Checks the stage file, prepares the toolchain, the stack and its work config. */
export async function openStage(o: EngineOptions, intent: Intent = { changes: false }): Promise<OpenStage> {
  const p = prepare(o, intent);
  const { LocalWorkspace, PulumiCommand } = automation();
  const pulumiCommand = await PulumiCommand.get({ root: p.bin, skipVersionCheck: true });
  const ws = await LocalWorkspace.create({ workDir: p.projectDir, pulumiHome: p.env.PULUMI_HOME, pulumiCommand, envVars: p.env });
  const { stack, salt } = await selectOrCreate(p, o.stage, ws);
  const { configFile, known, tags } = await settle(o, p, intent, salt, (key, value) => stack.setTag(key, value));
  return { stack, configFile, options: o, statePassword: known?.password, state: known?.state, tags, cli: (args, input) => cli(p.bin, p.env, p.projectDir, args, input) };
}

/** A stage whose stack exists, ready for a CLI command of the driver's own (no Automation API). */
export interface ExistingStage {
  configFile: string;
  /** The pulumi CLI with this stage's environment, its output streamed to the options' onOutput and onError. */
  stream: (args: string[]) => Promise<void>;
}

/**
 * The stage ready for one CLI command, without loading the Automation API (about 1 s of
 * one core) or calling `version` and `stack select`: only for a stack whose state reads.
 * Undefined otherwise (a new stack, a state that does not read): openStage then creates
 * the stack, or says why its state cannot be read.
 */
export async function openExistingStage(o: EngineOptions, intent: Intent = { changes: false }): Promise<ExistingStage | undefined> {
  const p = prepare(o, intent);
  try {
    (await p.reads.state)();
  } catch {
    return undefined;
  }
  const { configFile } = await settle(o, p, intent, undefined, async (key, value) => void (await cliAsync(p.bin, p.env, p.projectDir, ["stack", "tag", "set", key, value, "--stack", o.stage])));
  return { configFile, stream: (args) => cliStreamed(p.bin, p.env, p.projectDir, args, o) };
}

/** A result read early whose failure waits until it is used: a read of a stack about to be created fails, and nobody asks. */
const later = <T>(p: Promise<T>): Promise<() => T> =>
  p.then(
    (v) => () => v,
    (e: unknown) => () => {
      throw e;
    },
  );

/** The stage's state (with the password) and its tags, each one CLI call started at once as a child process. */
function startReads(stage: string, run: (args: string[]) => Promise<string>) {
  return {
    state: later(readState(run, stage)),
    tags: later(run(["stack", "tag", "ls", "--json", "--stack", stage]).then((text) => JSON.parse(text) as Record<string, string>)),
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
  found: { state?: Deployment; tags: Record<string, string> },
  intent: Intent,
): Promise<boolean> {
  if (config?.platform !== "kubernetes" || o.renderDir) return false;
  const namespace = config.kubernetes.namespace;
  if (o.adopt) {
    await setTag(ADOPTED_TAG, namespace);
    found.tags[ADOPTED_TAG] = namespace;
  }
  if (intent.changes && !o.adopt) refuseUnownedNamespace(o.stage, namespace, found.state, clusterAccess(o.kubectl, o.kubeconfig, raw));
  return found.tags[ADOPTED_TAG] === namespace;
}

export const streams = (s: OpenStage) => ({
  configFile: s.configFile,
  onOutput: s.options.onOutput,
  onError: s.options.onError,
  onEvent: s.options.onEvent,
  color: "never" as const,
});
export const policyPacks = [POLICY_PACK_DIR];

/** Runs one engine operation on a prepared stage, leaving the committed stage file as it was. */
export function withStage<T>(o: EngineOptions, op: (s: OpenStage) => Promise<T>, intent?: Intent): Promise<T> {
  return keepingStageFile(stageFilePath(o.stage, o.projectDir), async () => op(await openStage(o, intent)));
}

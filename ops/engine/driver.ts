/**
 * The engine driver: runs the real Pulumi engine (built by scripts/toolchain.sh) on one
 * stage through the Automation API, offline, with the policy pack.
 *
 *   npm run preview|up|render|refresh|destroy|cancel -- --stack <stage> [--expect-no-changes] [--refresh]
 *
 * State lives in .pulumi-state/ (git-ignored), plugins in .pulumi-home/; no Pulumi Cloud,
 * no update checks, no plugin downloads. The committed stage file is never written: the
 * engine runs with a work copy (`--config-file`) that adds what must not be committed
 * (the encrypted password, the passphrase salt, the render directory).
 * For tests and what-ifs, EngineOptions (or HOTEL_STATE_DIR, HOTEL_STAGE_FILE,
 * HOTEL_RENDER_DIR, HOTEL_POSTGRES_PASSWORD on the command line) move each of them.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
  Deployment,
  DestroyResult,
  EngineEvent,
  LocalWorkspace,
  PreviewResult,
  PulumiCommand,
  RefreshResult,
  Stack,
  StackNotFoundError,
  UpResult,
  UpdateSummary,
} from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { ConfigError, NAMESPACE } from "../../config/validate";
import { StackConfig } from "../../config/types";
import { PROJECT_DIR, RawConfig, checkStageFile, readStageFile, stageFilePath } from "../../config/stages";
import { privateRenderDir, publishRedacted } from "./renderFolder";
import { LocalImages } from "../../lab/docker/images";
import { repairCheckpoint } from "./checkpoint";
import { Backend, chooseBackend, passphraseEnv } from "./stateBackend";
import { shrinkProblems } from "./volumeGuard";

export const POLICY_PACK_DIR = path.join(PROJECT_DIR, "policies");
const PASSWORD_KEY = `${NAMESPACE}:postgresPassword`;
/** The Pulumi project's name (Pulumi.yaml): the file backend keeps stacks under it. */
const PROJECT_NAME = "hotel";
const PREVIOUS_PASSWORD_KEY = `${NAMESPACE}:postgresPreviousPassword`;

export interface EngineOptions {
  stage: string;
  /** File backend folder (default .pulumi-state); also where the work config lives with any backend. */
  stateDir?: string;
  /** A shared state backend (e.g. postgres://...); default: the file backend in stateDir. */
  backendUrl?: string;
  /** The stage file to run (default Pulumi.<stage>.yaml). */
  stageFile?: string;
  /**
   * Render mode: the Kubernetes provider writes YAML instead of applying it, into a
   * private folder outside the repository; the redacted tree is published here.
   */
  renderDir?: string;
  /** The PostgreSQL password; else the stack's, else one generated once. */
  password?: string;
  /** Rotation in progress (rotatePassword): the password the role has now. */
  previousPassword?: string;
  /** The engine's display text (stdout), as it comes. */
  onOutput?: (text: string) => void;
  /** The engine's errors (stderr): a failed program's message lands here. */
  onError?: (text: string) => void;
  onEvent?: (event: EngineEvent) => void;
  /** The cluster to apply to (KUBECONFIG for the engine); unset: the engine's usual lookup. */
  kubeconfig?: string;
  /** The Docker daemon a Docker stage runs on (DOCKER_HOST for the engine). */
  dockerHost?: string;
  /** Stand-in images for a Docker stage (--local-images): they replace hotel:images and the app's image in the work config. */
  localImages?: LocalImages;
  /** The Pulumi project (default: this one). The preview benchmark runs an empty program the same way. */
  projectDir?: string;
  /**
   * Validate the stage file before the engine starts (default). Tests turn it off to
   * show the program's own check under the engine.
   */
  preflight?: boolean;
}

/** Flags of preview and up. */
export interface RunFlags {
  expectNoChanges?: boolean;
  refresh?: boolean;
}

/** Flags of refresh. */
export interface RefreshFlags {
  expectNoChanges?: boolean;
  /** Forget the creates a killed update left pending (recovery, docs/ENGINE.md). */
  clearPendingCreates?: boolean;
}

let binDir: string | undefined;

/** The engine's bin folder (pulumi, the language host, the policy analyzer), built once. */
export function toolchainBin(): string {
  if (binDir) return binDir;
  const res = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (res.status !== 0) throw new Error(`scripts/toolchain.sh failed (exit ${res.status})`);
  binDir = res.stdout.trim().split("\n").pop()!;
  return binDir;
}

function engineEnv(backend: Backend, passphrase: Record<string, string>, bin: string): Record<string, string> & { PULUMI_HOME: string } {
  return {
    PULUMI_HOME: path.join(PROJECT_DIR, ".pulumi-home"),
    PULUMI_BACKEND_URL: backend.url,
    ...passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PATH: `${bin}:${process.env.PATH}`,
  };
}

/** The pulumi CLI with the driver's environment, for the steps the Automation API lacks. */
function cli(bin: string, env: Record<string, string>, cwd: string, args: string[], input?: string): string {
  const res = spawnSync(path.join(bin, "pulumi"), args, { cwd, env: { ...process.env, ...env }, input, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`pulumi ${args[0]} ${args[1] ?? ""} failed: ${res.stderr || res.stdout}`);
  return res.stdout;
}

let providerDir: string | undefined | null = null;

/**
 * The docker and postgresql plugins built from the offline source mirror
 * (scripts/provider-plugins.sh, cached by version); undefined where there is no mirror,
 * and Pulumi's normal route (automatic acquisition) applies.
 */
function providerPluginsBin(): string | undefined {
  if (providerDir !== null) return providerDir;
  const res = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "provider-plugins.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (res.status !== 0) throw new Error(`scripts/provider-plugins.sh failed (exit ${res.status})`);
  providerDir = res.stdout.trim().split("\n").pop() || undefined;
  return providerDir;
}

/** The provider plugins a platform's program uses: name, version the SDK asks for, and the locally built binary. */
function pluginsFor(platform: string | undefined, bin: string): { name: string; version: string; file: string }[] {
  if (platform === "docker") {
    const dir = providerPluginsBin();
    if (!dir) return [];
    return ["docker", "postgresql"].map((name) => ({
      name,
      version: require(`@pulumi/${name}/package.json`).version as string,
      file: path.join(dir, `pulumi-resource-${name}`),
    }));
  }
  const version = require("@pulumi/kubernetes/package.json").pulumi.version as string;
  return [{ name: "kubernetes", version, file: path.join(bin, "plugins", "pulumi-resource-kubernetes") }];
}

/** Installs the locally built provider plugins into PULUMI_HOME (no download). */
async function ensurePlugins(ws: LocalWorkspace, bin: string, env: Record<string, string>, platform: string | undefined): Promise<void> {
  for (const p of pluginsFor(platform, bin)) {
    // Pulumi's plugin folder layout (resource-<name>-v<version>): skips a CLI call on every run.
    if (fs.existsSync(path.join(env.PULUMI_HOME, "plugins", `resource-${p.name}-v${p.version}`, `pulumi-resource-${p.name}`))) continue;
    const installed = await ws.listPlugins();
    if (installed.some((i) => i.name === p.name && i.kind === "resource" && i.version === p.version)) continue;
    cli(bin, env, ws.workDir, ["plugin", "install", "resource", p.name, p.version, "--file", p.file]);
  }
}

/**
 * The CLI writes a passphrase salt into Pulumi.<stage>.yaml whenever it needs the
 * stack's secrets without --config-file: at `stack init`, and in the `stack output
 * --show-secrets` the Automation API runs after an update. The committed file stays
 * as it is: its text is put back after every operation (the salt lives in the work
 * config, and the state's own copy decrypts the outputs).
 */
async function keepingStageFile<T>(file: string, op: () => Promise<T>): Promise<T> {
  const committed = fs.readFileSync(file, "utf8");
  try {
    return await op();
  } finally {
    if (fs.readFileSync(file, "utf8") !== committed) fs.writeFileSync(file, committed);
  }
}

/** Selects the stage's stack, creating it (and reading the salt the CLI wrote) when new. */
async function selectOrCreate(stage: string, ws: LocalWorkspace): Promise<{ stack: Stack; salt?: string }> {
  try {
    return { stack: await Stack.select(stage, ws) };
  } catch (e) {
    if (!(e instanceof StackNotFoundError)) throw e;
  }
  const file = stageFilePath(stage, ws.workDir);
  const committed = fs.readFileSync(file, "utf8");
  const stack = await Stack.create(stage, ws);
  const salt = parse(fs.readFileSync(file, "utf8"))?.encryptionsalt as string | undefined;
  // Put the committed text back at once: a process killed later cannot leave the salt there.
  fs.writeFileSync(file, committed);
  return { stack, salt };
}

interface WorkConfig {
  file: string;
  hasPassword: boolean;
}

/**
 * The config file the engine runs with: the stage file's config, plus the encrypted
 * password and the salt kept from earlier runs, plus the render directory.
 */
function writeWorkConfig(o: EngineOptions, stateDir: string, salt?: string): WorkConfig {
  const file = path.join(stateDir, "config", `Pulumi.${o.stage}.yaml`);
  const previous = fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) ?? {} : {};
  const config: Record<string, any> = readStageFile(o.stageFile ?? stageFilePath(o.stage, o.projectDir));
  const secret = previous.config?.[PASSWORD_KEY];
  if (secret) config[PASSWORD_KEY] = secret;
  if (o.localImages) {
    const images = `${NAMESPACE}:images`;
    const app = `${NAMESPACE}:app`;
    config[images] = { ...(config[images] ?? {}), ...o.localImages.images };
    config[app] = { ...(config[app] ?? {}), image: o.localImages.app };
  }
  if (o.renderDir) {
    const k8sKey = `${NAMESPACE}:kubernetes`;
    config[k8sKey] = { ...(config[k8sKey] ?? {}), renderYamlToDirectory: privateRenderDir(backendOf(o).url, o.stage) };
  }
  const doc: Record<string, any> = {};
  const keptSalt = previous.encryptionsalt ?? salt;
  if (keptSalt) doc.encryptionsalt = keptSalt;
  doc.config = config;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, stringify(doc), { mode: 0o600 });
  return { file, hasPassword: Boolean(secret) };
}

/** The stack output that keeps the password in the state (a secret, encrypted with the stack's passphrase). */
const PASSWORD_OUTPUT = "postgresPassword";

/**
 * The password to set in the work config: the one given, else the one kept in the
 * stack's state (so every checkout on a shared backend uses the same), else none when
 * the work config has one already, else a new random one. Only ever passed on stdin.
 */
function passwordToSet(o: EngineOptions, work: WorkConfig, fromState: string | undefined): string | undefined {
  if (o.password) return o.password;
  if (fromState) return fromState;
  if (work.hasPassword) return undefined;
  return crypto.randomBytes(24).toString("hex");
}

/**
 * The password the state keeps, if the stack has been updated with one. (`stack output`
 * has no --config-file: it decrypts with the state's own copy of the secrets settings,
 * and the salt it may write into the stage file is put back by keepingStageFile.)
 */
function passwordInState(run: (args: string[]) => string, stage: string): string | undefined {
  try {
    const out = run(["stack", "output", PASSWORD_OUTPUT, "--show-secrets", "--stack", stage]);
    return out.trim() || undefined;
  } catch {
    return undefined; // a new stack, or one from before the password was kept in state
  }
}

export interface OpenStage {
  stack: Stack;
  configFile: string;
  options: EngineOptions;
  /** The pulumi CLI with this stage's environment, for what the Automation API lacks. */
  cli: (args: string[], input?: string) => string;
}

const resolveStateDir = (o: EngineOptions) => path.resolve(o.stateDir ?? path.join(PROJECT_DIR, ".pulumi-state"));
const backendOf = (o: EngineOptions) => chooseBackend(resolveStateDir(o), o.backendUrl);

/**
 * The stage file an operation runs: read, and (unless preflight is off) validated as
 * the program will validate it. The command line reads it the same way.
 */
export function readStage(o: EngineOptions): { raw: RawConfig; config?: StackConfig } {
  const file = o.stageFile ?? stageFilePath(o.stage, o.projectDir);
  return o.preflight === false ? { raw: readStageFile(file) } : checkStageFile(o.stage, file);
}

/** Checks the stage file, prepares the toolchain, the stack and its work config. */
export async function openStage(o: EngineOptions): Promise<OpenStage> {
  const projectDir = o.projectDir ?? PROJECT_DIR;
  const stageFile = o.stageFile ?? stageFilePath(o.stage, projectDir);
  const { raw, config } = readStage({ ...o, stageFile });
  const stateDir = resolveStateDir(o);
  fs.mkdirSync(stateDir, { recursive: true });
  const bin = toolchainBin();
  const platform = raw[`${NAMESPACE}:platform`] as string | undefined;
  const backend = backendOf(o);
  const say = (text: string) => (o.onError ? o.onError(`${text}\n`) : console.error(text));
  const env: Record<string, string> & { PULUMI_HOME: string } = {
    ...engineEnv(backend, passphraseEnv(backend, process.env, say), bin),
    ...(o.kubeconfig ? { KUBECONFIG: o.kubeconfig } : {}),
    ...(o.dockerHost ? { DOCKER_HOST: o.dockerHost } : {}),
  };
  // Without the source mirror, the docker stage's plugins come the normal way (a download).
  if (platform === "docker" && !providerPluginsBin()) env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "false";
  const pulumiCommand = await PulumiCommand.get({ root: bin, skipVersionCheck: true });
  const ws = await LocalWorkspace.create({ workDir: projectDir, pulumiHome: env.PULUMI_HOME, pulumiCommand, envVars: env });
  await ensurePlugins(ws, bin, env, platform);
  const { stack, salt } = await selectOrCreate(o.stage, ws);
  if (config?.platform === "kubernetes" && !salt) {
    const problems = shrinkProblems(await stack.exportStack(), config);
    if (problems.length) throw new ConfigError(problems);
  }
  const work = writeWorkConfig({ ...o, stageFile }, stateDir, salt);
  const run = (args: string[]) => cli(bin, env, projectDir, args);
  const password = passwordToSet(o, work, salt ? undefined : passwordInState(run, o.stage));
  // On stdin, never on a command line (where the process list would show it).
  const setSecret = (key: string, value: string) => cli(bin, env, projectDir, ["config", "set", "--secret", key, "--stack", o.stage, "--config-file", work.file], value);
  if (password !== undefined) setSecret(PASSWORD_KEY, password);
  if (o.previousPassword !== undefined) setSecret(PREVIOUS_PASSWORD_KEY, o.previousPassword);
  return { stack, configFile: work.file, options: o, cli: (args, input) => cli(bin, env, projectDir, args, input) };
}

const streams = (s: OpenStage) => ({
  configFile: s.configFile,
  onOutput: s.options.onOutput,
  onError: s.options.onError,
  onEvent: s.options.onEvent,
  color: "never" as const,
});
const policyPacks = [POLICY_PACK_DIR];

/** Runs one engine operation on a prepared stage, leaving the committed stage file as it was. */
function withStage<T>(o: EngineOptions, op: (s: OpenStage) => Promise<T>): Promise<T> {
  return keepingStageFile(stageFilePath(o.stage, o.projectDir), async () => op(await openStage(o)));
}

export function preview(o: EngineOptions, flags: RunFlags = {}): Promise<PreviewResult> {
  return withStage(o, (s) => s.stack.preview({ ...streams(s), policyPacks, diff: true, ...flags }));
}

export function up(o: EngineOptions, flags: RunFlags = {}): Promise<UpResult> {
  return withStage(o, async (s) => {
    try {
      return await s.stack.up({ ...streams(s), policyPacks, ...flags });
    } finally {
      // Render mode writes Secrets in plain text: redact whatever was written (even on
      // failure) in the private folder, and publish only the redacted tree.
      if (o.renderDir) publishRedacted(privateRenderDir(backendOf(o).url, o.stage), o.renderDir);
    }
  });
}

export function refresh(o: EngineOptions, flags: RefreshFlags = {}): Promise<RefreshResult> {
  return withStage(o, (s) => s.stack.refresh({ ...streams(s), ...flags }));
}

export function destroy(o: EngineOptions): Promise<DestroyResult> {
  return withStage(o, (s) => s.stack.destroy({ configFile: s.configFile, onOutput: o.onOutput, onError: o.onError, color: "never" }));
}

/** The stack's state (resources, their inputs and outputs), as `pulumi stack export` gives it. */
export function exportState(o: EngineOptions): Promise<Deployment> {
  return withStage(o, (s) => s.stack.exportStack());
}

/** The PostgreSQL password the stack's state keeps (what every checkout on its backend uses). */
export function statePassword(o: EngineOptions): Promise<string | undefined> {
  return withStage(o, async (s) => passwordInState(s.cli, o.stage));
}

export interface Recovery {
  /** The backup a truncated checkpoint was restored from (file backend), if it was. */
  restoredFrom?: string;
  /** Whether a stale lock was removed. */
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
export function recover(o: EngineOptions): Promise<Recovery> {
  const backend = backendOf(o);
  // A kill in the middle of writing the checkpoint leaves it truncated: put the last good one back first.
  const restoredFrom = backend.shared ? undefined : repairCheckpoint(resolveStateDir(o), PROJECT_NAME, o.stage);
  return withStage(o, async (s) => {
    const unlocked = await s.stack.cancel().then(() => true, () => false);
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

export class RotationRefused extends Error {}

/**
 * `npm run rotate-password`: a new random password, applied in order by one `up` (the
 * rotation Job changes the role first, connecting with the current password; then the
 * Secret; then the app's pods roll), and a second `up` that removes the Job and its
 * Secret. The state keeps the new password for every checkout.
 */
export async function rotatePassword(o: EngineOptions): Promise<{ rotated: UpResult; settled: UpResult }> {
  const { config } = readStage(o);
  if (config && config.platform !== "kubernetes") {
    throw new RotationRefused(`stage ${o.stage} runs on Docker: the dev database is disposable; npm run destroy and up give it a new password`);
  }
  const previous = await statePassword(o);
  if (!previous) throw new RotationRefused(`stage ${o.stage} has no password in its state yet: run npm run up -- --stack ${o.stage} first`);
  const next = crypto.randomBytes(24).toString("hex");
  const rotated = await up({ ...o, password: next, previousPassword: previous });
  const settled = await up({ ...o, password: next });
  return { rotated, settled };
}

/** The stack's update history (newest first), with the config each update ran. */
export function updateHistory(o: EngineOptions): Promise<UpdateSummary[]> {
  return withStage(o, (s) => s.stack.history());
}

/** Ends an update that was killed (a stale lock); see docs/ENGINE.md. */
export function cancel(o: EngineOptions): Promise<void> {
  return withStage(o, (s) => s.stack.cancel());
}

/** Removes the Kubernetes stages' stacks from the local file backend (with `npm run cluster -- reset`). */
export async function removeLocalStacks(stages: string[] = ["staging", "prod"]): Promise<string[]> {
  const removed: string[] = [];
  for (const stage of stages) {
    await withStage({ stage, preflight: false }, async (s) => {
      await s.stack.workspace.removeStack(stage, { force: true });
      removed.push(stage);
    }).catch((e: unknown) => {
      if (!(e instanceof StackNotFoundError)) throw e;
    });
  }
  return removed;
}

/** Lifts `protect` from every resource in a stack's state (`pulumi state unprotect --all`), before a deliberate destroy. */
export function unprotectAll(o: EngineOptions): Promise<void> {
  return withStage(o, async (s) => void s.cli(["state", "unprotect", "--all", "--yes", "--stack", o.stage]));
}

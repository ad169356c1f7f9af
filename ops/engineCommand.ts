/**
 * The engine's command line: npm run preview|up|render|refresh|destroy|cancel|recover|rotate-password|adopt -- --stack <stage> [flags].
 * Parses the flags, picks the cluster (yours, or the local one) or the Docker daemon, and runs the driver
 * (ops/engine), streaming the engine's output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { PROJECT_DIR } from "../config/stages";
import { ConfigError } from "../config/validate";
import { LocalCluster, howToLook } from "../lab/cluster";
import { monitoringHints, stageMonitoring } from "../lab/cluster/monitoring";
import { ImagesUnavailable, prepareDockerStage, prepareNodeImages } from "../lab/docker/stage";
import { SecretsSetupError, backendFromEnv } from "./engine/stateBackend";
import { describeTarget } from "./engine/target";
import { LockHeld } from "./engine/locks";
import { StateUnreadable } from "./engine/secrets";
import { ADOPTED_TAG, describeLive, privateKubeconfig } from "./engine/ownership";
import {
  AdoptionRefused,
  DestroyRefused,
  EngineOptions,
  adoptable,
  RefreshFlags,
  RotationRefused,
  RunFlags,
  cancel,
  destroy,
  previewCommand,
  readStage,
  recover,
  refresh,
  rotatePassword,
  up,
} from "./engine";
import { UsageError } from "../lib/usage";
import { EngineCommandFailed } from "./engine/engineRun";

const COMMANDS = ["preview", "up", "render", "refresh", "destroy", "cancel", "recover", "rotate-password", "adopt"] as const;
type Command = (typeof COMMANDS)[number];
type Flags = RunFlags & RefreshFlags;
const FLAGS: Record<string, keyof Flags> = { "--expect-no-changes": "expectNoChanges", "--refresh": "refresh", "--clear-pending-creates": "clearPendingCreates" };

export interface CommandLine {
  command: Command;
  options: EngineOptions;
  flags: Flags;
  /** --local-images (or HOTEL_LOCAL_IMAGES=1): a Docker stage runs on the local stand-in images. */
  localImages: boolean;
  /** --force: recover or cancel break a lock whose owner cannot be seen (another host, a shared backend). */
  force: boolean;
  /** --yes: destroy without asking (CI, scripts); without it destroy asks on a terminal and refuses elsewhere. */
  yes: boolean;
}

function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): CommandLine {
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) {
    throw new UsageError(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.join(", ")}`);
  }
  let stage: string | undefined;
  const flags: Flags = {};
  let localImages = env.HOTEL_LOCAL_IMAGES === "1" || env.HOTEL_LOCAL_IMAGES === "true";
  let yes = false;
  let force = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--stack" || arg === "-s") stage = rest[++i];
    else if (arg.startsWith("--stack=")) stage = arg.slice("--stack=".length);
    else if (arg in FLAGS) flags[FLAGS[arg]] = true;
    else if (arg === "--local-images") localImages = true;
    else if (arg === "--yes" && (command === "destroy" || command === "adopt")) yes = true;
    else if (arg === "--force" && (command === "recover" || command === "cancel")) force = true;
    else
      throw new UsageError(
        `unknown flag ${arg}; flags: --stack <stage>, --local-images, ${Object.keys(FLAGS).join(", ")}${command === "destroy" || command === "adopt" ? ", --yes" : ""}${command === "recover" || command === "cancel" ? ", --force" : ""}`,
      );
  }
  // A destroy or a takeover names its stage: no default, not even PULUMI_STACK.
  if ((command === "destroy" || command === "adopt") && !stage) throw new UsageError(`${command} needs --stack <stage>: it has no default stage`);
  stage ??= env.PULUMI_STACK ?? "staging";
  const options: EngineOptions = {
    stage,
    // Another Pulumi project (the preview benchmark's empty program); its stage file is not ours to validate.
    projectDir: env.HOTEL_PROJECT_DIR,
    preflight: env.HOTEL_PROJECT_DIR === undefined,
    stateDir: env.HOTEL_STATE_DIR,
    backendUrl: backendFromEnv(env),
    stageFile: env.HOTEL_STAGE_FILE,
    password: env.HOTEL_POSTGRES_PASSWORD || undefined,
    // The deploy workflow's merged commit: a successful up records it in the stack (npm run changed -- --since-deployed).
    deployCommit: command === "up" ? env.HOTEL_DEPLOY_COMMIT || undefined : undefined,
    // render writes YAML (by default into the committed tree); HOTEL_RENDER_DIR also previews a render-mode state.
    renderDir: command === "render" ? (env.HOTEL_RENDER_DIR ?? path.join(PROJECT_DIR, "rendered", stage, "manifests")) : env.HOTEL_RENDER_DIR,
  };
  return { command: command as Command, options, flags, localImages, yes, force };
}

/** A kubeconfig the user has: KUBECONFIG, ~/.kube/config, or a context or kubeconfig in the stage file. */
function userKubeconfig(env: NodeJS.ProcessEnv, stageConfig: Record<string, unknown>): boolean {
  return Boolean(env.KUBECONFIG) || fs.existsSync(path.join(os.homedir(), ".kube", "config")) || "kubernetes:kubeconfig" in stageConfig || "kubernetes:context" in stageConfig;
}

const sharedBackend = (env: NodeJS.ProcessEnv) => !(backendFromEnv(env) ?? "file://").startsWith("file://");

/**
 * Where a command applies. With a kubeconfig of yours: there. Without one, on a laptop
 * (file backend, no CI): the local control plane, started on demand for up, refresh and
 * destroy (preview uses it when it runs). Never with CI set or a shared backend: there
 * the fallback would plan to replace every resource of a real stage.
 */
async function chooseCluster(command: Command, o: EngineOptions, localImages: boolean, env: NodeJS.ProcessEnv = process.env, say = (s: string) => console.error(s)): Promise<EngineOptions> {
  if (command === "render" || o.renderDir || o.kubeconfig || o.projectDir) return o;
  // A bad stage file is reported as such (exit 2), before any question of clusters.
  const { raw, config } = readStage(o);
  if (raw["hotel:platform"] !== "kubernetes") return o;
  if (userKubeconfig(env, raw)) {
    if (localImages) throw new UsageError(`--local-images applies to Docker stages and to the local cluster; stage ${o.stage} uses your kubeconfig, whose registry serves its images`);
    return o;
  }
  const previewing = command === "preview" || command === "cancel";
  if (env.CI || sharedBackend(env)) {
    // A preview needs no cluster (CI previews pull requests without one).
    if (previewing) return o;
    throw new UsageError(
      `no kubeconfig for stage ${o.stage}: set KUBECONFIG (or kubernetes:context in Pulumi.${o.stage}.yaml). ` +
        `The local cluster is a laptop fallback only, never used when CI is set or the state backend is shared.`,
    );
  }
  const cluster = new LocalCluster();
  if (!cluster.running()) {
    // A preview uses the local cluster when it runs, and does not start it.
    if (previewing) return o;
    say(`no kubeconfig: starting the project's local cluster (built on first use; see docs/CLUSTER.md)`);
    await cluster.start((s) => say(`cluster: ${s}`));
  }
  say(howToLook(cluster));
  const node = cluster.node;
  // adopt ends in an up: the same images and monitoring.
  const applies = command === "up" || command === "adopt";
  const images = node && config ? await prepareNodeImages(node, config, { localImages, checkImages: applies, say }) : undefined;
  if (images && config && applies) {
    // What a cluster with kube-prometheus-stack has: the stage's alerts and scrapes run for real.
    cluster.startMonitoring(stageMonitoring(config, { alertmanager: images.images.alertmanager, app: images.app }));
    say(monitoringHints(cluster.kubectlPath, cluster.kubeconfigPath));
  }
  return { ...o, kubeconfig: cluster.kubeconfigPath, kubectl: cluster.kubectlPath, localImages: images };
}

/**
 * A Docker stage runs on a daemon that answers (started on demand, see docs/DOCKER.md),
 * with the stage's images or, when asked, the local stand-ins.
 */
async function chooseDocker(command: Command, o: EngineOptions, localImages: boolean, say = (s: string) => console.error(s)): Promise<EngineOptions> {
  if (o.projectDir) return o;
  const { config } = readStage(o);
  if (config?.platform !== "docker") return o;
  // Only an up pulls images; preview, refresh and destroy never do.
  const docker = await prepareDockerStage(config, { localImages, checkImages: command === "up", say });
  return { ...o, dockerHost: docker.host, localImages: docker.localImages };
}

/**
 * CI hands the kubeconfig over as a secret's content (HOTEL_KUBECONFIG_DATA): written to a
 * private file (mode 600) for this run, never echoed.
 */
function kubeconfigFromData(o: EngineOptions, env: NodeJS.ProcessEnv = process.env): EngineOptions {
  if (!env.HOTEL_KUBECONFIG_DATA || o.kubeconfig) return o;
  return { ...o, kubeconfig: privateKubeconfig(env.HOTEL_KUBECONFIG_DATA) };
}

async function runCommand({ command, options, flags, localImages, yes, force }: CommandLine): Promise<void> {
  const target = await chooseCluster(command, await chooseDocker(command, kubeconfigFromData(options), localImages), localImages);
  if (command === "destroy") await confirmByName(target, yes, "This destroys");
  const o = { ...target, onOutput: (t: string) => process.stdout.write(t), onError: (t: string) => process.stderr.write(t) };
  if (command === "preview") await previewCommand(o, { expectNoChanges: flags.expectNoChanges, refresh: flags.refresh });
  else if (command === "up" || command === "render") await up(o, { expectNoChanges: flags.expectNoChanges, refresh: flags.refresh });
  else if (command === "refresh") await refresh(o, { expectNoChanges: flags.expectNoChanges, clearPendingCreates: flags.clearPendingCreates });
  else if (command === "destroy") await destroy(o);
  else if (command === "rotate-password") {
    await rotatePassword(o);
    console.log(`rotated the PostgreSQL password of ${o.stage}: the role first (Job), then the Secret, then the pods; the stack's password resource keeps the new one`);
  } else if (command === "recover") {
    const r = await recover(o, { force });
    const names = (urns: string[]) => urns.map((u) => u.split("::").pop()).join(", ");
    if (r.restoredFrom) console.log(`the checkpoint was truncated (a kill mid-write): restored from ${r.restoredFrom}`);
    console.log(
      `recovered ${o.stage}: ${r.unlocked ? "stale lock removed" : "no lock was held"}; ${r.retaken.length} half-created Kubernetes object(s) to be taken over by the next up${r.retaken.length ? ` (${names(r.retaken)})` : ""}`,
    );
    if (r.removed.length) console.log(`removed what these half-finished creates had made on Docker: ${names(r.removed)}`);
    if (r.orphaned.length) console.log(`remove by hand what these half-finished creates made before the next up (docs/OPERATIONS.md): ${names(r.orphaned)}`);
    // The killed run made the namespace itself: the state no longer says so, and only a deliberate takeover gets it back.
    const madeNamespace = r.retaken.some((u) => u.includes("kubernetes:core/v1:Namespace::"));
    console.log(`next: npm run ${madeNamespace ? "adopt" : "up"} -- --stack ${o.stage}`);
  } else if (command === "adopt") await adoptNamespace(o, yes, flags);
  else await cancel(o, { force });
}

/**
 * npm run adopt: takes over a stage's namespace that exists but that the stack did not
 * create (after a killed first up, or to import an install made by hand), after showing
 * what is in it. The stack's objects are then applied over the live ones of the same
 * names, and a destroy keeps the namespace.
 */
async function adoptNamespace(o: EngineOptions, yes: boolean, flags: Flags): Promise<void> {
  const found = await adoptable(o);
  if (!found) {
    console.log(`nothing to take over for stage ${o.stage}: its namespace is the stack's already, or does not exist (npm run up creates it)`);
    return;
  }
  await confirmByName(o, yes, `This takes over ${describeLive(found.namespace, found.objects)} into`);
  await up({ ...o, adopt: true }, { expectNoChanges: flags.expectNoChanges, refresh: flags.refresh });
  console.log(`stage ${o.stage} now holds namespace ${found.namespace}, which it did not create: a destroy retains it (stack tag ${ADOPTED_TAG})`);
}

/**
 * A destroy or a takeover goes ahead only when confirmed: --yes, or the stage's name
 * typed on a terminal after it is shown what happens where. Without a terminal and
 * without --yes it stops (exit 2) before anything changes.
 */
async function confirmByName(o: EngineOptions, yes: boolean, action: string, input: NodeJS.ReadStream = process.stdin): Promise<void> {
  const { raw } = readStage(o);
  const what = `${action} stage ${o.stage} on ${describeTarget(o, raw, process.env).where}`;
  if (yes) {
    console.error(`${what} (--yes)`);
    return;
  }
  if (!input.isTTY) throw new UsageError(`${what}: it needs a confirmation, so nothing was changed: run it on a terminal, or pass --yes`);
  const rl = readline.createInterface({ input, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(`${what}. Type the stage's name to go on: `, resolve));
  rl.close();
  if (answer.trim() !== o.stage) throw new UsageError(`not confirmed (typed ${JSON.stringify(answer.trim())}): nothing was changed`);
}

/**
 * Exit codes: 1 the engine failed (its output says why), 2 bad config or usage, 3 images
 * unavailable (see --local-images), 4 the stage is locked by an update that runs or may
 * run (recover, cancel), 5 the stack's state could not be read or holds no password
 * for a deployed stage (nothing was run), 6 the stage's namespace exists and the stack did
 * not create it (nothing was run; npm run adopt takes it over deliberately).
 */
function exitCodeOf(e: unknown): number {
  if (e instanceof LockHeld) return 4;
  if (e instanceof AdoptionRefused) return 6;
  if (e instanceof StateUnreadable) return 5;
  if (e instanceof ConfigError || e instanceof UsageError || e instanceof SecretsSetupError || e instanceof RotationRefused || e instanceof DestroyRefused) return 2;
  if (e instanceof ImagesUnavailable) return 3;
  return 1;
}

/**
 * A fork's pull request: GitHub gives its workflows no secrets, so the preview job sees an
 * empty backend and passphrase. Said plainly (a notice, exit 0) instead of the driver's
 * "set but empty" error: nothing is wrong with the change, it cannot be previewed here.
 */
function forkPreviewNotice(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  if (argv[0] !== "preview" || env.HOTEL_FORK_PULL_REQUEST !== "true") return undefined;
  if (env.HOTEL_BACKEND_URL && env.PULUMI_CONFIG_PASSPHRASE) return undefined;
  return (
    "::notice::this pull request comes from a fork, and GitHub gives a fork's workflows no secrets: " +
    "no preview against the stages' state runs here (the checks job's tests, policy pack and summary did run). " +
    "A maintainer can push the branch to this repository to preview it."
  );
}

if (require.main === module) {
  const notice = forkPreviewNotice(process.argv.slice(2), process.env);
  if (notice) {
    console.log(notice);
    process.exit(0);
  }
  Promise.resolve()
    .then(() => runCommand(parseCommandLine(process.argv.slice(2))))
    .catch((e: unknown) => {
      const code = exitCodeOf(e);
      // The engine has already printed its own account of a failed run (onOutput).
      if (code !== 1 || !(e instanceof EngineCommandFailed)) console.error(e instanceof Error ? e.message : String(e));
      process.exit(code);
    });
}

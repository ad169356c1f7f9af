/**
 * npm run bench -- preview
 * How long `npm run preview` takes for each stage, side by side with an empty TypeScript
 * program previewed the same way (the same npm script, driver, engine and policy pack),
 * and the raw `pulumi preview --policy-pack` of both, without the driver. Medians of
 * interleaved runs, after one warm-up run of each. A Kubernetes stage is first applied
 * (`npm run up -- --local-images`) to the project's local cluster, started if it is not
 * running: the previews are of an applied stack, as an operator's are. At the end the
 * stage is destroyed, and the cluster and the project's dockerd stopped if the bench
 * started them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, checkStageFile } from "../config/stages";
import { LocalCluster } from "../lab/cluster";
import { LocalDocker } from "../lab/docker/daemon";
import { POLICY_PACK_DIR, engineNodeOptions, toolchainBin } from "../ops/engine";
import { chooseBackend, passphraseEnv } from "../ops/engine/stateBackend";

export interface PreviewTiming {
  label: string;
  medianSeconds: number;
  runs: number[];
}

/** An empty program with the project's own runtime options (lib/transpileHook.js, no ts-node), using its node_modules and lib. */
function emptyProgram(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-empty-program-"));
  const project = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
  const runtime = project.slice(project.indexOf("runtime:"), project.indexOf("main:"));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: empty\n${runtime}main: index.ts\n`);
  fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
  for (const shared of ["node_modules", "lib"]) fs.symlinkSync(path.join(PROJECT_DIR, shared), path.join(dir, shared));
  return dir;
}

function seconds(cmd: string, args: string[], env: Record<string, string>, cwd = PROJECT_DIR): number {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${res.stderr || res.stdout}`.slice(0, 2000));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Subject {
  label: string;
  run: () => number;
}

/** How the stage is reached: the extra `npm run preview` arguments and the raw preview's environment. */
interface Reach {
  args: string[];
  rawEnv: Record<string, string>;
}

function subjects(stage: string, empty: string, stateDir: string, reach: Reach): Subject[] {
  const npmPreview =
    (extra: Record<string, string>, s: string, args: string[] = []) =>
    () =>
      seconds("npm", ["run", "--silent", "preview", "--", "--stack", s, ...args], { HOTEL_STATE_DIR: stateDir, ...extra });
  const bin = toolchainBin();
  // The engine's children as the driver starts them (the SDK deferral), unless `atStart`: the SDK's modules all loaded at start, as the stock CLI has it.
  const raw =
    (cwd: string, s: string, configFile: string, atStart = false) =>
    () =>
      seconds(
        path.join(bin, "pulumi"),
        ["preview", "--stack", s, "--policy-pack", POLICY_PACK_DIR, "--config-file", configFile],
        {
          PATH: `${bin}:${process.env.PATH}`,
          PULUMI_HOME: path.join(PROJECT_DIR, ".pulumi-home"),
          PULUMI_BACKEND_URL: `file://${stateDir}`,
          // The passphrase the driver used for these stacks (ops/engine/stateBackend.ts).
          ...passphraseEnv(chooseBackend(stateDir), process.env, () => undefined),
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          NODE_OPTIONS: atStart ? (process.env.NODE_OPTIONS ?? "") : engineNodeOptions(process.env.NODE_OPTIONS),
          ...reach.rawEnv,
        },
        cwd,
      );
  return [
    { label: `npm run preview (${stage})`, run: npmPreview({}, stage, reach.args) },
    { label: "npm run preview (empty program)", run: npmPreview({ HOTEL_PROJECT_DIR: empty }, "dev") },
    // The work config the driver wrote holds what the driver adds (the local images): the raw preview plans the same program.
    { label: `raw pulumi preview --policy-pack (${stage})`, run: raw(PROJECT_DIR, stage, path.join(stateDir, "config", `Pulumi.${stage}.yaml`)) },
    { label: "raw pulumi preview --policy-pack (empty program)", run: raw(empty, "dev", path.join(stateDir, "config", "Pulumi.dev.yaml")) },
    {
      label: `raw pulumi preview --policy-pack (${stage}), every SDK module loaded at start`,
      run: raw(PROJECT_DIR, stage, path.join(stateDir, "config", `Pulumi.${stage}.yaml`), true),
    },
  ];
}

/** An engine command the way an operator runs it on a laptop: npm, the driver, the local cluster; no kubeconfig of theirs. */
const npmRun = (command: string, stage: string, stateDir: string, args: string[]) =>
  seconds("npm", ["run", "--silent", command, "--", "--stack", stage, ...args], { HOTEL_STATE_DIR: stateDir, KUBECONFIG: "" });

/**
 * Applies a Kubernetes stage to the local cluster (started on demand; its node runs the
 * local stand-in images, as `npm run up -- --local-images` has it) in the bench's own state.
 * Returns how to reach it, and how to leave the cluster as it was found.
 */
function applied(stage: string, stateDir: string): { reach: Reach; undo: () => Promise<void> } {
  if (checkStageFile(stage).config.platform !== "kubernetes") return { reach: { args: [], rawEnv: {} }, undo: async () => undefined };
  const cluster = new LocalCluster();
  const started = !cluster.running();
  // The up starts the project's dockerd too (the stand-in images are built and imported from it).
  const docker = new LocalDocker();
  const dockerStarted = docker.ownPid() === undefined;
  const args = ["--local-images"];
  npmRun("up", stage, stateDir, args);
  const undo = async () => {
    npmRun("destroy", stage, stateDir, ["--yes"]);
    if (started) await cluster.stop();
    if (dockerStarted) await docker.stop();
  };
  return { reach: { args, rawEnv: { KUBECONFIG: cluster.kubeconfigPath } }, undo };
}

export async function previewBench(stage = "staging", rounds = 5): Promise<PreviewTiming[]> {
  const empty = emptyProgram();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-preview-bench-"));
  let undo = async (): Promise<void> => undefined;
  try {
    const target = applied(stage, stateDir);
    undo = target.undo;
    const list = subjects(stage, empty, stateDir, target.reach);
    for (const s of list) s.run(); // warm-up: stacks, work configs, compile caches
    const runs = list.map(() => [] as number[]);
    for (let i = 0; i < rounds; i++) list.forEach((s, j) => runs[j].push(s.run()));
    return list.map((s, j) => ({ label: s.label, medianSeconds: median(runs[j]), runs: runs[j] }));
  } finally {
    await undo();
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

export function previewReport(t: PreviewTiming[]): string {
  const [stack, empty, rawStack, rawEmpty, rawAtStart] = t.map((x) => x.medianSeconds);
  const rows = t.map((x) => `| ${x.label} | ${x.medianSeconds.toFixed(2)} | ${x.runs.map((r) => r.toFixed(2)).join(", ")} |`);
  return [
    "| what | median (s) | runs (s) |",
    "|---|---|---|",
    ...rows,
    "",
    `npm run preview / raw pulumi preview of the same state: ${(stack / rawStack).toFixed(2)}x (goal: within 1.2x); raw pulumi preview, stack / empty program: ${(rawStack / rawEmpty).toFixed(2)}x (goal: within 1.5x).`,
    `npm run preview, stack / empty program: ${(stack / empty).toFixed(2)}x; ` +
      `npm run preview (stack) / raw empty program: ${(stack / rawEmpty).toFixed(2)}x; the driver adds ${(stack - rawStack).toFixed(2)} s to the stack's raw preview.`,
    `The SDK deferral (lib/sdkDeferredModules.js): the stack's raw preview ${rawAtStart.toFixed(2)} s with every SDK module loaded at start, ${rawStack.toFixed(2)} s deferred (${(rawAtStart / rawStack).toFixed(2)}x).`,
  ].join("\n");
}

/** The engine's binaries (CLI, language host, provider plugins) built by the scripts, and the CLI run with the driver's environment. */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stages";
import { Backend } from "./stateBackend";
import { buildScriptOutput } from "../../lib/buildScript";

let binDir: string | undefined;

/**
 * HOTEL_TOOLCHAIN=installed: the stock Pulumi release on PATH (on GitHub, installed by
 * pulumi/actions) and its plugins by Pulumi's normal route (a download). Otherwise the
 * offline build from source, this machine's way (scripts/toolchain.sh).
 */
export const installedToolchain = (env: NodeJS.ProcessEnv = process.env) => env.HOTEL_TOOLCHAIN === "installed";

/** The folder of the `pulumi` on PATH, for the installed toolchain. */
export function installedBin(env: NodeJS.ProcessEnv = process.env): string {
  const dir = (env.PATH ?? "").split(path.delimiter).find((d) => d && fs.existsSync(path.join(d, "pulumi")));
  if (!dir) throw new Error(`HOTEL_TOOLCHAIN=installed, but no pulumi is on PATH: install the Pulumi CLI (on GitHub: pulumi/actions), or unset HOTEL_TOOLCHAIN to build it`);
  return dir;
}

/** The engine's bin folder (pulumi, the language host, the policy analyzer): installed, or built once. */
export function toolchainBin(): string {
  if (binDir) return binDir;
  binDir = installedToolchain() ? installedBin() : buildScriptOutput(path.join(PROJECT_DIR, "scripts", "toolchain.sh"));
  return binDir;
}

/** The preload that defers two of the Node SDK's modules in the engine's Node.js children (the program, the pack, the dynamic provider). */
export const SDK_DEFERRAL_PRELOAD = path.join(PROJECT_DIR, "lib", "sdkDeferredModules.js");

/** The engine's NODE_OPTIONS: the caller's own, then the SDK deferral (lib/sdkDeferredModules.js). */
export const engineNodeOptions = (own: string | undefined): string => [own?.trim(), `--require ${JSON.stringify(SDK_DEFERRAL_PRELOAD)}`].filter(Boolean).join(" ");

export function engineEnv(backend: Backend, passphrase: Record<string, string>, bin: string): Record<string, string> & { PULUMI_HOME: string } {
  return {
    PULUMI_HOME: path.join(PROJECT_DIR, ".pulumi-home"),
    PULUMI_BACKEND_URL: backend.url,
    ...passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    // Offline, the plugins are the ones built here; the installed toolchain downloads them.
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: String(!installedToolchain()),
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PATH: `${bin}:${process.env.PATH}`,
    // Every Node.js process the engine starts loads the SDK; this spares each about 0.65 s of one core (docs/ENGINE.md, "How fast").
    NODE_OPTIONS: engineNodeOptions(process.env.NODE_OPTIONS),
  };
}

/** A failed CLI call, with what it wrote to stderr. */
class CliFailure extends Error {
  constructor(
    args: string[],
    readonly stderr: string,
    stdout: string,
  ) {
    super(`pulumi ${args[0]} ${args[1] ?? ""} failed: ${stderr || stdout}`);
  }
}

/**
 * Pulumi's PostgreSQL backend opens its bucket with `CREATE TABLE IF NOT EXISTS`, which
 * PostgreSQL does not make safe against a concurrent creator: when two processes open a
 * backend whose table does not exist yet (this driver's two reads started side by side,
 * or two operators' first commands), one of them fails on the catalog's unique index
 * before it has done anything. By then the other has created the table, so that one
 * call is simply made again (docs/OPERATIONS.md, "1. State").
 */
export const lostTableCreationRace = (stderr: string): boolean =>
  /unable to open bucket .*failed to create table \S+: pq: (duplicate key value violates unique constraint|relation "\S+" already exists)/.test(stderr);

/** The pulumi CLI with the driver's environment, for a read or a small step (engine commands: ./engineRun.ts). */
export function cli(bin: string, env: Record<string, string>, cwd: string, args: string[], input?: string): string {
  const run = () => spawnSync(path.join(bin, "pulumi"), args, { cwd, env: { ...process.env, ...env }, input, encoding: "utf8" });
  let res = run();
  if (res.status !== 0 && lostTableCreationRace(res.stderr)) res = run();
  if (res.status !== 0) throw new CliFailure(args, res.stderr, res.stdout);
  return res.stdout;
}

/** The same CLI as a child that runs while this process does other work (a read started early). */
export async function cliAsync(bin: string, env: Record<string, string>, cwd: string, args: string[]): Promise<string> {
  try {
    return await cliChild(bin, env, cwd, args);
  } catch (err) {
    if (!(err instanceof CliFailure) || !lostTableCreationRace(err.stderr)) throw err;
    return cliChild(bin, env, cwd, args);
  }
}

function cliChild(bin: string, env: Record<string, string>, cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(bin, "pulumi"), args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const stdout = Buffer.concat(out).toString("utf8");
      if (code === 0) resolve(stdout);
      else reject(new CliFailure(args, Buffer.concat(err).toString("utf8"), stdout));
    });
  });
}

let providerDir: string | undefined | null = null;

/**
 * The docker and postgresql plugins built from the offline source mirror
 * (scripts/provider-plugins.sh, cached by version); undefined where there is no mirror,
 * and Pulumi's normal route (automatic acquisition) applies.
 */
export function providerPluginsBin(): string | undefined {
  if (providerDir !== null) return providerDir;
  providerDir = buildScriptOutput(path.join(PROJECT_DIR, "scripts", "provider-plugins.sh")) || undefined;
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
export function ensurePlugins(cwd: string, bin: string, env: Record<string, string>, platform: string | undefined): void {
  if (installedToolchain()) return;
  for (const p of pluginsFor(platform, bin)) {
    // Pulumi's plugin folder layout (resource-<name>-v<version>): skips a CLI call on every run.
    if (fs.existsSync(path.join(env.PULUMI_HOME, "plugins", `resource-${p.name}-v${p.version}`, `pulumi-resource-${p.name}`))) continue;
    const installed = JSON.parse(cli(bin, env, cwd, ["plugin", "ls", "--json"]) || "[]") as { name: string; kind: string; version: string }[];
    if (installed.some((i) => i.name === p.name && i.kind === "resource" && i.version === p.version)) continue;
    cli(bin, env, cwd, ["plugin", "install", "resource", p.name, p.version, "--file", p.file]);
  }
}

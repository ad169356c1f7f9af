/**
 * The project's stages and their files (Pulumi.<stage>.yaml): where they are, how a
 * stage file's `hotel:*` block is read, and how it is validated without the Pulumi
 * runtime (for the tools, tests and benchmarks that need a stage's typed config).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { StackConfig } from "./types";
import { ConfigError, validateStackConfig } from "./validate";
import { NAMESPACE } from "../contract/project";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** A stage file's config: "hotel:key" -> value, as YAML parsed it. */
export type RawConfig = Record<string, any>;

export function stageFilePath(stage: string, dir = PROJECT_DIR): string {
  return path.join(dir, `Pulumi.${stage}.yaml`);
}

export function readStageConfig(stage: string, dir = PROJECT_DIR): RawConfig {
  return readStageFile(stageFilePath(stage, dir));
}

/** A stage file's config block; a YAML syntax error names the file. */
export function readStageFile(file: string): RawConfig {
  let doc: any;
  try {
    doc = parse(fs.readFileSync(file, "utf8")) ?? {};
  } catch (e) {
    throw new ConfigError([`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
  }
  const ignored = Object.keys(doc).filter((k) => !STAGE_FILE_KEYS.includes(k));
  if (ignored.length) {
    throw new ConfigError(
      ignored.map((k) => `${file}: top-level key "${k}" is not allowed: Pulumi would ignore it (a quick win under it would silently not apply); allowed: ${STAGE_FILE_KEYS.join(", ")}`),
    );
  }
  if (doc.config !== undefined && (typeof doc.config !== "object" || Array.isArray(doc.config))) throw new ConfigError([`${file}: config must be a mapping of keys to values`]);
  return structuredClone(doc.config ?? {});
}

/** What Pulumi reads from a stack's settings file: anything else in it is ignored silently. */
const STAGE_FILE_KEYS = ["config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"];

/**
 * Namespaces a stage file may use: the stack's own and its providers'. Anything else is
 * a typo (`hotle:redis`) that would silently drop a quick win.
 */
const KNOWN_NAMESPACES = [NAMESPACE, "kubernetes", "docker", "postgresql", "pulumi"];

export function namespaceProblems(keys: string[]): string[] {
  return keys
    .filter((k) => !KNOWN_NAMESPACES.includes(k.split(":")[0]))
    .map((k) => `${k}: unknown namespace "${k.split(":")[0]}"; the stack's keys are "${NAMESPACE}:<key>" (known namespaces: ${KNOWN_NAMESPACES.join(", ")})`);
}

/**
 * Reads and validates a stage file exactly as the program will: the same ConfigError,
 * raised before the engine starts or any resource is registered.
 */
export function checkStageFile(stage: string, file = stageFilePath(stage)): { raw: RawConfig; config: StackConfig } {
  const raw = readStageFile(file);
  const problems = namespaceProblems(Object.keys(raw));
  if (problems.length) throw new ConfigError(problems);
  return { raw, config: validateStackConfig(stage, stripNamespace(ownKeys(raw))) };
}

/** Only the stack's own `hotel:*` keys (providers' keys are theirs to check). */
function ownKeys(raw: RawConfig): RawConfig {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith(`${NAMESPACE}:`)));
}

export function stripNamespace(raw: RawConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k.replace(new RegExp(`^${NAMESPACE}:`), "")] = v;
  return out;
}

/** A stage's validated config, as the program would see it. */
export function stageConfig(stage: string, patch?: (raw: RawConfig) => void): StackConfig {
  const raw = readStageConfig(stage);
  patch?.(raw);
  return validateStackConfig(stage, stripNamespace(ownKeys(raw)));
}

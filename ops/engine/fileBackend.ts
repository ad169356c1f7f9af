/**
 * A local file backend's stack, read from its files instead of through the CLI. Every
 * operation reads the stack's state (and, on a live Kubernetes stage, its tags) before the
 * engine can start: through the CLI that is a process of ~0.35 s of CPU and 0.3-0.8 s on
 * the operation's critical path (docs/ENGINE.md, "How fast"); from the file, a
 * millisecond. The file layout is the one the CLI of the pinned version writes
 * (`.pulumi/stacks/<project>/<stack>.json`, tags beside it in `<stack>.pulumi-tags`), the
 * same files ./checkpoint.ts repairs. Anything this reader does not recognise (a
 * compressed checkpoint, a legacy layout, a file mid-write, another version) reads as
 * "unknown", and the caller asks the CLI: the direct read can only skip a call, never
 * answer differently (test/engine/engine.test.ts compares the two on real stacks).
 */
import * as fs from "fs";
import type { Deployment } from "@pulumi/pulumi/automation";
import { checkpointFile } from "./checkpoint";

/** The checkpoint format the CLI writes (apitype.VersionedCheckpoint, version 3), and its tags file's (version 1). */
const CHECKPOINT_VERSION = 3;
const TAGS_VERSION = 1;

/** The folder of a local `file://` backend, or undefined for any other backend (or a URL with options). */
export function fileBackendDir(backendUrl: string): string | undefined {
  if (!backendUrl.startsWith("file://") || backendUrl.includes("?")) return undefined;
  return backendUrl.slice("file://".length) || undefined;
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined; // absent, unreadable, or half-written by a run beside this one
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The stack's state as `pulumi stack export` prints it (secrets still encrypted): the
 * checkpoint's latest deployment. Undefined when the checkpoint is not there or not in
 * the form this reader knows.
 */
export function checkpointState(stateDir: string, project: string, stage: string): Deployment | undefined {
  const checkpoint = readJson(checkpointFile(stateDir, project, stage));
  if (!isObject(checkpoint) || checkpoint.version !== CHECKPOINT_VERSION || !isObject(checkpoint.checkpoint)) return undefined;
  const latest = checkpoint.checkpoint.latest;
  if (latest !== undefined && latest !== null && !isObject(latest)) return undefined;
  return { version: CHECKPOINT_VERSION, deployment: latest ?? {} } as Deployment;
}

/**
 * The stack's own tags (those set with `stack tag set`), for a stack whose checkpoint
 * exists: the CLI keeps them in `<stack>.pulumi-tags` beside it, and a stack with none
 * has no such file. Undefined when the stack's files are not in the form this reader
 * knows. The CLI's `stack tag ls` adds tags it derives (`pulumi:project`, ...), which no
 * caller reads.
 */
export function checkpointTags(stateDir: string, project: string, stage: string): Record<string, string> | undefined {
  if (checkpointState(stateDir, project, stage) === undefined) return undefined;
  const file = checkpointFile(stateDir, project, stage).replace(/\.json$/, ".pulumi-tags");
  if (!fs.existsSync(file)) return {};
  const tags = readJson(file);
  if (!isObject(tags) || tags.version !== TAGS_VERSION || !isObject(tags.tags)) return undefined;
  return Object.fromEntries(Object.entries(tags.tags).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** What an engine operation is told: the stage, where its state and files are, where it applies, and how to report. */
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { StackConfig } from "../../config/types";
import { PROJECT_DIR, RawConfig, checkStageFile, readStageFile, stageFilePath } from "../../config/stages";
import { LocalImages } from "../../lab/docker/images";
import { chooseBackend } from "./stateBackend";
import { renderStateDir, renderStatePath } from "./renderFolder";
import { RotationStep } from "../../contract/secrets";

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
  /**
   * The PostgreSQL password a new stack starts with (tests, and a database restored from
   * elsewhere); refused for a stack that has one. Otherwise the program draws one.
   */
  password?: string;
  /** The commit this up deploys (the deploy workflow's HOTEL_DEPLOY_COMMIT): recorded in the stack once it succeeds. */
  deployCommit?: string;
  /** The rotation step this run takes (rotatePassword only). */
  rotation?: RotationStep;
  /** The engine's display text (stdout), as it comes. */
  onOutput?: (text: string) => void;
  /** The engine's errors (stderr): a failed program's message lands here. */
  onError?: (text: string) => void;
  onEvent?: (event: EngineEvent) => void;
  /** The cluster to apply to (KUBECONFIG for the engine); unset: the engine's usual lookup. */
  kubeconfig?: string;
  /** The kubectl the driver asks the cluster with (default: HOTEL_KUBECTL, else kubectl on PATH). */
  kubectl?: string;
  /**
   * This run takes over the stage's existing namespace (npm run adopt, after showing what
   * is in it); otherwise a namespace the stack did not create is refused (./ownership.ts).
   */
  adopt?: boolean;
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

const liveStateDir = (o: Pick<EngineOptions, "stateDir">) => path.resolve(o.stateDir ?? path.join(PROJECT_DIR, ".pulumi-state"));
/** The live stack's backend URL (whatever this run uses): what render's private folders are keyed by. */
export const liveBackendUrl = (o: EngineOptions) => chooseBackend(liveStateDir(o), o.backendUrl).url;
/**
 * Where the stage's state (file backend) and work config live. Render mode has its own,
 * beside its private folder: a render never runs on the live stack's state (the render
 * provider would plan to replace every live object).
 */
export const resolveStateDir = (o: EngineOptions) => (o.renderDir ? renderStatePath(liveBackendUrl(o)) : liveStateDir(o));

/** The state folder of resolveStateDir, created for an operation about to run (render's private, mode 700). */
export function createStateDir(o: EngineOptions): string {
  if (o.renderDir) return renderStateDir(liveBackendUrl(o));
  const dir = liveStateDir(o);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
export const backendOf = (o: EngineOptions) => chooseBackend(resolveStateDir(o), o.renderDir ? undefined : o.backendUrl);

/**
 * The stage file an operation runs: read, and (unless preflight is off) validated as
 * the program will validate it. The command line reads it the same way.
 */
export function readStage(o: EngineOptions): { raw: RawConfig; config?: StackConfig } {
  const file = o.stageFile ?? stageFilePath(o.stage, o.projectDir);
  return o.preflight === false ? { raw: readStageFile(file) } : checkStageFile(o.stage, file);
}

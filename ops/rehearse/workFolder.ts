/**
 * The rehearsal's one work folder (~/.cache/hotel-stack/rehearsal): its stack's state, its
 * stage-file copy, the load's files, and who owns it. One rehearsal at a time: a second
 * one beside a running one is refused (they would share the daemon's CPU and each
 * other's numbers). A folder left by a killed run is cleaned first: its stack is
 * recovered (a stale lock, a pending create) and destroyed before the new run starts.
 */
import * as fs from "fs";
import * as path from "path";
import { CACHE_ROOT } from "../../contract/project";
import { EngineOptions, destroy, recover } from "../engine";

const REHEARSAL_DIR = path.join(CACHE_ROOT, "rehearsal");
const OWNER = "owner.json";

export class RehearsalBusy extends Error {}

interface Owner {
  pid: number;
  options?: Pick<EngineOptions, "stage" | "stateDir" | "stageFile" | "dockerHost" | "localImages">;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

const readOwner = (dir: string): Owner | undefined => (fs.existsSync(path.join(dir, OWNER)) ? JSON.parse(fs.readFileSync(path.join(dir, OWNER), "utf8")) : undefined);

/** Takes the folder: refuses while another rehearsal runs, cleans what a killed one left. */
export async function takeWorkFolder(say: (s: string) => void, dir = REHEARSAL_DIR): Promise<string> {
  const owner = readOwner(dir);
  if (owner && owner.pid !== process.pid && alive(owner.pid)) throw new RehearsalBusy(`another rehearsal runs (pid ${owner.pid}, ${dir}): one at a time`);
  if (owner?.options && fs.existsSync(path.join(owner.options.stateDir!, ".pulumi"))) await removeLeftovers(owner.options, say);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, OWNER), JSON.stringify({ pid: process.pid }));
  return dir;
}

/** Records where the stack lives, so a run killed from here on is cleaned by the next one. */
export function recordStack(dir: string, options: EngineOptions): void {
  const { stage, stateDir, stageFile, dockerHost, localImages } = options;
  fs.writeFileSync(path.join(dir, OWNER), JSON.stringify({ pid: process.pid, options: { stage, stateDir, stageFile, dockerHost, localImages } }));
}

async function removeLeftovers(options: Owner["options"] & {}, say: (s: string) => void): Promise<void> {
  say(`a killed rehearsal left its stack (${options.stateDir}): recovering and destroying it first`);
  const o: EngineOptions = { ...options, stage: "dev", onOutput: () => undefined, onError: () => undefined };
  await recover(o).catch(() => undefined);
  await destroy(o);
}

export function releaseWorkFolder(dir: string): void {
  if (readOwner(dir)?.pid === process.pid) fs.rmSync(dir, { recursive: true, force: true });
}

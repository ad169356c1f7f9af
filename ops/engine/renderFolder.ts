/**
 * Where render mode writes. The provider writes Secrets in plain text, and a process
 * killed with SIGKILL cannot clean up after itself; so it never writes into the
 * repository: it renders into a private folder outside it (mode 700), redaction happens
 * there, and only the redacted tree is published to the requested folder. The private
 * folder is stable for a state and stage, because the provider replaces every manifest
 * when its render directory changes.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { filesUnder } from "../../lib/filesUnder";
import { redactTree } from "./redact";
import { CACHE_ROOT } from "../../contract/project";

const RENDER_ROOT = path.join(CACHE_ROOT, "render");

/** Every private folder of one live backend (its renders, its render state): keyed by the backend, so two checkouts on one backend render into the same folder. */
export const renderFoldersOf = (backendUrl: string) => path.join(RENDER_ROOT, createHash("sha256").update(backendUrl).digest("hex").slice(0, 16));

/** A private folder (mode 700 up to the render root) under the live backend's key. */
function privateFolder(backendUrl: string, name: string): string {
  const dir = path.join(renderFoldersOf(backendUrl), name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let d = dir; d.startsWith(RENDER_ROOT) && d !== RENDER_ROOT; d = path.dirname(d)) fs.chmodSync(d, 0o700);
  return dir;
}

export const privateRenderDir = (backendUrl: string, stage: string) => privateFolder(backendUrl, stage);

/** Where render mode keeps its own file backend (and work configs), never the live stacks' state: the path only, so a check or a refusal creates nothing. */
export const renderStatePath = (backendUrl: string) => path.join(renderFoldersOf(backendUrl), ".state");
/** The same folder, created private for an operation about to run. */
export const renderStateDir = (backendUrl: string) => privateFolder(backendUrl, ".state");

const files = (dir: string) =>
  filesUnder(dir)
    .map((f) => path.relative(dir, f))
    .filter((f) => !f.startsWith(".published-"));

/** Which files a render published into a target folder, kept beside the private tree. */
const publishedList = (privateDir: string, target: string) => path.join(privateDir, `.published-${createHash("sha256").update(path.resolve(target)).digest("hex").slice(0, 16)}.json`);

/**
 * Redacts the private tree in place, then copies it to `target`. A file the last render
 * published there and this one did not is removed; a file no render wrote is never
 * touched (the target may hold the user's own files).
 */
export function publishRedacted(privateDir: string, target: string): void {
  redactTree(privateDir);
  const wanted = new Set(files(privateDir));
  const list = publishedList(privateDir, target);
  const before: string[] = fs.existsSync(list) ? JSON.parse(fs.readFileSync(list, "utf8")) : [];
  for (const f of before) if (!wanted.has(f)) fs.rmSync(path.join(target, f), { force: true });
  for (const f of wanted) {
    fs.mkdirSync(path.dirname(path.join(target, f)), { recursive: true });
    fs.copyFileSync(path.join(privateDir, f), path.join(target, f));
  }
  fs.writeFileSync(list, JSON.stringify([...wanted].sort()));
}

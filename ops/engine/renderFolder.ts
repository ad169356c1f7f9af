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

export function privateRenderDir(backendUrl: string, stage: string): string {
  const root = path.join(CACHE_ROOT, "render");
  // Keyed by the state backend, so two checkouts on one backend render into the same folder.
  const dir = path.join(root, createHash("sha256").update(backendUrl).digest("hex").slice(0, 16), stage);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (let d = dir; d.startsWith(root) && d !== root; d = path.dirname(d)) fs.chmodSync(d, 0o700);
  return dir;
}

const files = (dir: string) => filesUnder(dir).map((f) => path.relative(dir, f));

/** Redacts the private tree in place, then makes `target` an exact copy of it. */
export function publishRedacted(privateDir: string, target: string): void {
  redactTree(privateDir);
  const wanted = new Set(files(privateDir));
  for (const f of files(target)) if (!wanted.has(f)) fs.rmSync(path.join(target, f));
  for (const f of wanted) {
    fs.mkdirSync(path.dirname(path.join(target, f)), { recursive: true });
    fs.copyFileSync(path.join(privateDir, f), path.join(target, f));
  }
}

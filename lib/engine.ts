/** Runs scripts/engine.sh (the real pulumi CLI, offline) for tests. */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "./mockRun";

export interface EngineRun {
  status: number;
  output: string;
}

export interface EngineEnv {
  stateDir: string;
  renderDir?: string;
  stageFile?: string;
  password?: string;
}

export function engine(args: string[], env: EngineEnv): EngineRun {
  const res = spawnSync("bash", ["scripts/engine.sh", ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: {
      ...process.env,
      HOTEL_STATE_DIR: env.stateDir,
      ...(env.renderDir ? { HOTEL_RENDER_DIR: env.renderDir } : {}),
      ...(env.stageFile ? { HOTEL_STAGE_FILE: env.stageFile } : {}),
      ...(env.password ? { HOTEL_POSTGRES_PASSWORD: env.password } : {}),
    },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? 1, output: `${res.stdout}${res.stderr}` };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hotel-${prefix}-`));
}

/** Every file under dir -> sha256 of its content, keyed by relative path. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort());
}

export function changedFiles(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).sort();
}

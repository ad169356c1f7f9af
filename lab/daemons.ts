/**
 * The control plane's processes: each started in its own session (so a stop reaches
 * its children), its output in a log file, its PID in a file. A stop ends exactly the
 * processes this tool started: a PID whose command line is not the binary we started
 * (a reused PID) is left alone.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface Daemon {
  name: string;
  bin: string;
  args: string[];
}

const pidFile = (dir: string, name: string) => path.join(dir, "run", `${name}.pid`);
/** A daemon's command-line flags, in order: `--flag value`, or the bare `--flag` for true. */
export const flagArgs = (flags: Record<string, string | true>): string[] => Object.entries(flags).flatMap(([flag, value]) => (value === true ? [flag] : [flag, value]));

export const logFile = (dir: string, name: string) => path.join(dir, "logs", `${name}.log`);

/** The PID of a daemon we started, if that process still runs that binary. */
export function runningPid(dir: string, d: Pick<Daemon, "name" | "bin">): number | undefined {
  const file = pidFile(dir, d.name);
  if (!fs.existsSync(file)) return undefined;
  const pid = Number(fs.readFileSync(file, "utf8"));
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmdline[0] === d.bin ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function startDaemon(dir: string, d: Daemon): number {
  const existing = runningPid(dir, d);
  if (existing) return existing;
  fs.mkdirSync(path.join(dir, "run"), { recursive: true });
  fs.mkdirSync(path.join(dir, "logs"), { recursive: true });
  const out = fs.openSync(logFile(dir, d.name), "a");
  const child = spawn(d.bin, d.args, { detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`${d.name} did not start (${d.bin})`);
  fs.writeFileSync(pidFile(dir, d.name), String(child.pid));
  return child.pid;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the daemon's process group, SIGKILL after `graceMs`; removes its PID file. */
export async function stopDaemon(dir: string, d: Pick<Daemon, "name" | "bin">, graceMs = 10_000): Promise<boolean> {
  const pid = runningPid(dir, d);
  fs.rmSync(pidFile(dir, d.name), { force: true });
  if (!pid) return false;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      /* already gone */
    }
  };
  signal("SIGTERM");
  for (let waited = 0; waited < graceMs; waited += 100) {
    if (!fs.existsSync(`/proc/${pid}`)) return true;
    await sleep(100);
  }
  signal("SIGKILL");
  return true;
}

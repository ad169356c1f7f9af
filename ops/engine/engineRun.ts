/**
 * One engine command (preview, up, refresh, destroy) run by the CLI itself: its text
 * streamed as it comes, its engine events read from the CLI's event log while it runs,
 * its outcome from the summary event. No Automation API: loading it cost most of a
 * second of one core in every process that drove the engine, and it wrapped each command
 * in two to five more CLI calls (`version`, `stack select`, two `stack output` and a
 * `stack history` after a change), each about 0.35 s of CPU, the CLI's start alone
 * (docs/ENGINE.md, "How fast").
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";

/** An engine command that failed; the engine has printed why (its text is in the message too). */
export class EngineCommandFailed extends Error {}

export interface EngineRun {
  stdout: string;
  stderr: string;
  /** The steps the engine took, by kind, from its summary event ({} when it sent none). */
  changes: OpMap;
}

export interface EngineStreams {
  onOutput?: (text: string) => void;
  onError?: (text: string) => void;
  onEvent?: (event: EngineEvent) => void;
}

/** How often the event log is read while the command runs: a test that reacts to an event mid-update waits at most this long. */
const TAIL_EVERY_MS = 100;

/** Reads the lines the CLI has appended to its event log since the last read, each a JSON engine event. */
function eventLogReader(file: string, onEvent: (e: EngineEvent) => void): () => void {
  let offset = 0;
  let partial = "";
  const decoder = new StringDecoder("utf8");
  const chunk = Buffer.alloc(1 << 16);
  return () => {
    if (!fs.existsSync(file)) return;
    const fd = fs.openSync(file, "r");
    try {
      for (let n; (n = fs.readSync(fd, chunk, 0, chunk.length, offset)) > 0; offset += n) partial += decoder.write(chunk.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onEvent(JSON.parse(line) as EngineEvent);
  };
}

/** Event-log folders are named after the driver that made them, so a later run can tell a dead driver's folder from a live one's. */
export const EVENT_LOG_PREFIX = "hotel-events-";
const EVENT_LOG_FOLDER = new RegExp(`^${EVENT_LOG_PREFIX}(\\d+)-`);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
};

/**
 * Removes the event-log folders of drivers that are no longer running. A driver removes
 * its own when the command ends, but one killed with SIGKILL (a fault test, an operator's
 * `kill -9`) cannot: every run starts by sweeping up after such drivers. A folder whose
 * driver lives (this one's, or a run beside it) is left alone.
 */
export function sweepEventLogs(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(tmp)) {
    const pid = Number(EVENT_LOG_FOLDER.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    try {
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // another user's folder, or removed by a run beside this one
    }
  }
  return removed;
}

const failure = (args: string[], code: number | null, stdout: string, stderr: string) =>
  new EngineCommandFailed(`pulumi ${args[0]} exited with ${code}\nstdout: ${stdout.trim()}\nstderr: ${stderr.trim()}`);

/**
 * Runs `pulumi <args>` non-interactively with an event log in a private temp folder.
 * A non-zero exit rejects with EngineCommandFailed.
 */
export function runEngine(bin: string, env: Record<string, string>, cwd: string, args: string[], to: EngineStreams): Promise<EngineRun> {
  sweepEventLogs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${EVENT_LOG_PREFIX}${process.pid}-`));
  let changes: OpMap = {};
  const readEvents = eventLogReader(path.join(dir, "events.jsonl"), (e) => {
    if (e.summaryEvent) changes = e.summaryEvent.resourceChanges;
    to.onEvent?.(e);
  });
  const fullArgs = [...args, "--event-log", path.join(dir, "events.jsonl"), "--non-interactive"];
  return new Promise<EngineRun>((resolve, reject) => {
    // The CLI offers --event-log only with its debug commands on (as the Automation API runs it).
    const childEnv = { ...process.env, ...env, PULUMI_DEBUG_COMMANDS: "true" };
    const child = spawn(path.join(bin, "pulumi"), fullArgs, { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out.push(t), to.onOutput?.(t)));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (err.push(t), to.onError?.(t)));
    // A listener that throws mid-run (a test's assertion) fails the run once the CLI is done, not the process.
    let listenerFailed: unknown;
    const tail = setInterval(() => {
      try {
        if (listenerFailed === undefined) readEvents();
      } catch (e) {
        listenerFailed = e;
      }
    }, TAIL_EVERY_MS);
    child.on("error", (e) => (clearInterval(tail), reject(e)));
    child.on("close", (code) => {
      clearInterval(tail);
      try {
        if (listenerFailed !== undefined) throw listenerFailed;
        readEvents();
      } catch (e) {
        return reject(e);
      }
      const [stdout, stderr] = [out.join(""), err.join("")];
      if (code === 0) resolve({ stdout, stderr, changes });
      else reject(failure(args, code, stdout, stderr));
    });
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

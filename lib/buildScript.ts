import { spawnSync } from "child_process";
import * as path from "path";

/**
 * Runs a build script (cached by version: a warm run only checks) and returns the last
 * line it prints, the folder it built into; its progress goes to stderr as it comes.
 */
export function buildScriptOutput(script: string): string {
  const res = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (res.status !== 0) throw new Error(`${path.basename(script)} failed (exit ${res.status})`);
  return res.stdout.trim().split("\n").pop() ?? "";
}

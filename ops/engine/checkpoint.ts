/**
 * A file-backend checkpoint that a killed process left truncated ("failed to load
 * checkpoint: EOF"): the CLI writes it in place, so SIGKILL mid-write leaves half a file.
 * The newest valid copy, the previous checkpoint (<stage>.json.bak) or a backup under
 * .pulumi/backups/, is put back; the broken file is kept beside it for a post-mortem.
 */
import * as fs from "fs";
import * as path from "path";

const parses = (file: string) => {
  try {
    JSON.parse(fs.readFileSync(file, "utf8"));
    return true;
  } catch {
    return false;
  }
};

/** Where the file backend keeps a stack's checkpoint. */
export const checkpointFile = (stateDir: string, project: string, stage: string) => path.join(stateDir, ".pulumi", "stacks", project, `${stage}.json`);

/** Restores a truncated checkpoint from its newest valid backup; returns the backup used, or undefined when nothing was wrong. */
export function repairCheckpoint(stateDir: string, project: string, stage: string): string | undefined {
  const file = checkpointFile(stateDir, project, stage);
  if (!fs.existsSync(file) || parses(file)) return undefined;
  const backups = path.join(stateDir, ".pulumi", "backups", project, stage);
  // The newest valid copy, wherever it is: the .bak is not always newer than the dated backups.
  const candidates = [
    `${file}.bak`,
    ...(fs.existsSync(backups)
      ? fs
          .readdirSync(backups)
          .filter((f) => f.endsWith(".json"))
          .map((f) => path.join(backups, f))
      : []),
  ]
    .filter((f) => fs.existsSync(f) && parses(f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (candidates.length === 0) throw new Error(`${file} is truncated and no valid backup exists beside it or in ${backups}`);
  fs.renameSync(file, `${file}.broken-${Date.now()}`);
  fs.copyFileSync(candidates[0], file);
  return candidates[0];
}

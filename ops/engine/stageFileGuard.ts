/**
 * The committed stage file, kept as the user has it while the engine runs. The CLI
 * writes a passphrase salt into Pulumi.<stage>.yaml whenever it needs the stack's
 * secrets without --config-file (at `stack init`, and in `stack history --show-secrets`),
 * re-serializing the whole file. The driver avoids both (./workspace.ts initStack; no
 * history read with secrets, ./operations.ts updateHistory).
 * The salt lives in the work config instead, so the file is put back afterwards: as it
 * was, or as the user saved it during the run (an edit, a branch checkout, a `promote`
 * written meanwhile), never the CLI's copy.
 */
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { parse } from "yaml";

const parsed = (text: string): Record<string, unknown> | undefined => {
  try {
    return (parse(text) ?? {}) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/** The CLI's write: the same config as the user's text, with a salt the user's text does not have. */
function isCliSaltWrite(userText: string, now: string): boolean {
  const before = parsed(userText);
  const after = parsed(now);
  return Boolean(before && after && after.encryptionsalt && !before.encryptionsalt && isDeepStrictEqual(after.config, before.config));
}

/** The user's text without a salt line it gained from the CLI (an edit saved on top of the CLI's copy). */
const withoutAddedSalt = (text: string, committed: string) => (/^encryptionsalt:/m.test(committed) ? text : text.replace(/^encryptionsalt:.*\n/m, ""));

const readIfThere = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);

export async function keepingStageFile<T>(file: string, op: () => Promise<T>): Promise<T> {
  const committed = fs.readFileSync(file, "utf8");
  let userText = committed;
  const look = () => {
    const now = readIfThere(file);
    if (now !== undefined && now !== userText && !isCliSaltWrite(userText, now)) userText = now;
  };
  // The folder, not the file: an editor or git replaces the file by a rename.
  const watcher = fs.watch(path.dirname(file), (_event, name) => name === path.basename(file) && look());
  try {
    return await op();
  } finally {
    watcher.close();
    look();
    const keep = withoutAddedSalt(userText, committed);
    if (readIfThere(file) !== keep) fs.writeFileSync(file, keep);
  }
}

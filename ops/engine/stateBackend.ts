/**
 * Where a stage's state lives and how its secrets are encrypted.
 *
 * - One laptop: the file backend (`.pulumi-state/`, or HOTEL_STATE_DIR), and a random
 *   passphrase created once in the user's config folder (mode 600, outside the
 *   repository), so the README's commands work on a fresh machine and secrets are never
 *   encrypted with an empty passphrase.
 * - A team: a shared backend (HOTEL_BACKEND_URL or PULUMI_BACKEND_URL, such as Pulumi's
 *   PostgreSQL backend `postgres://user:pass@host:5432/db`), and then the passphrase must
 *   come from the environment (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE,
 *   e.g. from CI's secret store): every checkout must decrypt the same state.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Backend {
  url: string;
  shared: boolean;
}

/** A backend or passphrase setup the driver refuses, before anything runs. */
export class SecretsSetupError extends Error {}

export function chooseBackend(stateDir: string, backendUrl?: string): Backend {
  const url = backendUrl || `file://${stateDir}`;
  return { url, shared: !url.startsWith("file://") };
}

/**
 * The backend asked for by the environment (HOTEL_BACKEND_URL first, then Pulumi's own
 * variable). Set but empty is an error, not "unset": a repository secret that is
 * missing reads as "" in a workflow, and falling back to a file on the runner would run
 * a real stage from an empty state.
 */
export function backendFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ["HOTEL_BACKEND_URL", "PULUMI_BACKEND_URL"] as const) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.trim() === "") {
      throw new SecretsSetupError(`${name} is set but empty (a missing CI secret reads as ""): give the state backend's URL, or unset it to use the local file backend`);
    }
    return value;
  }
  return undefined;
}

export function localPassphraseFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "hotel-stack", "passphrase");
}

/**
 * The passphrase settings for the engine: the environment's, else (file backend only)
 * the local passphrase file, created with a random passphrase on first use.
 */
export function passphraseEnv(backend: Backend, env: NodeJS.ProcessEnv, say: (s: string) => void): Record<string, string> {
  // The CLI reads PULUMI_CONFIG_PASSPHRASE first, even when it is set to nothing.
  if (env.PULUMI_CONFIG_PASSPHRASE === "") {
    throw new SecretsSetupError(
      "PULUMI_CONFIG_PASSPHRASE is set but empty, which would leave the stack's secrets readable: give a passphrase, or unset it (the local stacks then use a generated one)",
    );
  }
  if (env.PULUMI_CONFIG_PASSPHRASE) return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE === "") {
    throw new SecretsSetupError("PULUMI_CONFIG_PASSPHRASE_FILE is set but empty: give the passphrase file's path, or unset it");
  }
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    checkPassphraseFile(env.PULUMI_CONFIG_PASSPHRASE_FILE, "PULUMI_CONFIG_PASSPHRASE_FILE");
    return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
  }
  if (backend.shared) {
    throw new SecretsSetupError(
      `the state backend ${redactUrl(backend.url)} is shared: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE ` +
        "(the same for every checkout, from your CI's secret store); an empty passphrase would leave the stack's secrets readable. See docs/OPERATIONS.md.",
    );
  }
  const file = localPassphraseFile(env);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written whole under a temporary name, then linked: a run beside this one never reads it half-written.
    const draft = `${file}.${process.pid}`;
    fs.writeFileSync(draft, crypto.randomBytes(32).toString("base64"), { mode: 0o600 });
    try {
      fs.linkSync(draft, file);
      say(`created a random secrets passphrase for the local stacks in ${file} (mode 600); keep it: their secrets need it`);
    } catch (e) {
      // Another run created it first: use that one.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      fs.rmSync(draft, { force: true });
    }
  }
  checkPassphraseFile(file, "the local passphrase file");
  return { PULUMI_CONFIG_PASSPHRASE_FILE: file };
}

/**
 * A passphrase file is used only when it holds a passphrase and only its owner can read
 * it: an empty one would encrypt the secrets with nothing, and one readable by others
 * hands them the state's secrets.
 */
function checkPassphraseFile(file: string, what: string): void {
  if (!fs.existsSync(file)) throw new SecretsSetupError(`${what} ${file} does not exist`);
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new SecretsSetupError(`${what} ${file} has mode ${mode.toString(8)}: others can read the passphrase; allowed: readable by its owner only (chmod 600 ${file})`);
  }
  if (fs.readFileSync(file, "utf8").trim() === "") {
    throw new SecretsSetupError(`${what} ${file} is empty: an empty passphrase would leave the stack's secrets readable; write a passphrase into it`);
  }
}

/** A backend URL for messages: the password in postgres://user:pass@... replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+):[^@]*@/, "$1:***@");
}

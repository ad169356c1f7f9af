/**
 * The PostgreSQL password, from the driver's side: the program owns it (a resource in
 * the stack's state, components/password.ts). The driver only hands a
 * new stack its starting password when one is given, and hands a stack from before
 * that resource existed the password its state keeps, so that it keeps it.
 */
import type { Deployment } from "@pulumi/pulumi/automation";
import { PASSWORD_OUTPUT, PASSWORD_RESOURCE, PASSWORD_RESOURCE_TYPE } from "../../contract/secrets";

/** The stack's state could not be read: nothing was run, nothing changed. */
export class StateUnreadable extends Error {}

/** A stack output as the engine keeps it: its value, and whether it is a secret. */
export interface StackOutput {
  value: unknown;
  secret: boolean;
}

/** A stack output as `stack export --show-secrets` writes it: a plain value, or a secret envelope with its plaintext (JSON). */
export function outputOf(v: unknown): StackOutput {
  if (v && typeof v === "object" && "plaintext" in v) return { value: JSON.parse(String((v as { plaintext: string }).plaintext)), secret: true };
  return { value: v, secret: false };
}

type StateResource = { type: string; urn: string; outputs?: Record<string, unknown> };
const resourcesOf = (state: Deployment): StateResource[] => state.deployment?.resources ?? [];

/**
 * The stack's state as `stack export` gives it, secrets still encrypted: the CLI derives
 * no key (about 0.15 s of CPU less) and the driver holds no plaintext it does not need.
 */
export async function readState(run: (args: string[]) => Promise<string>, stage: string): Promise<Deployment> {
  return JSON.parse(await exportText(run, stage, [])) as Deployment;
}

/** The stack's state with its secrets in plain text (`--show-secrets`), read only when something asks for a secret. */
export async function readStateWithSecrets(run: (args: string[]) => Promise<string>, stage: string): Promise<Deployment> {
  return JSON.parse(await exportText(run, stage, ["--show-secrets"])) as Deployment;
}

async function exportText(run: (args: string[]) => Promise<string>, stage: string, flags: string[]): Promise<string> {
  try {
    return await run(["stack", "export", ...flags, "--stack", stage]);
  } catch (e) {
    throw new StateUnreadable(`the state of stage ${stage} could not be read, so nothing was run and nothing changed: ${(e as Error).message.trim()}`);
  }
}

/** The password the stack's output shows, from a state read with its secrets. */
export function passwordOutput(state: Deployment): string | undefined {
  const root = resourcesOf(state).find((r) => r.type === "pulumi:pulumi:Stack");
  const password = outputOf(root?.outputs?.[PASSWORD_OUTPUT]).value;
  return typeof password === "string" && password ? password : undefined;
}

export const hasPasswordResource = (state: Deployment) => resourcesOf(state).some((r) => r.type === PASSWORD_RESOURCE_TYPE && r.urn.endsWith(`::${PASSWORD_RESOURCE}`));

/** Whether the stack has deployed anything beyond its root stack resource. */
const isDeployed = (state: Deployment): boolean => resourcesOf(state).some((r) => r.type !== "pulumi:pulumi:Stack");

/** Whether the seed is the state's own password: a deployed stack from before the program owned it (see passwordSeed). */
export const seedFromState = (state: Deployment | undefined): boolean => state !== undefined && isDeployed(state) && !hasPasswordResource(state);

/**
 * The seed this run hands the program: the given password for a stack that has no
 * deployed resources yet; the state's own password for a stack from before the program
 * owned it; none when the program's resource holds it. A given password for a stack
 * that has one, or a deployed stack with no password anywhere in its state, is refused.
 */
export function passwordSeed(stage: string, given: string | undefined, known: { state: Deployment; password?: string } | undefined): string | undefined {
  if (!known || !isDeployed(known.state)) return given;
  if (hasPasswordResource(known.state)) {
    if (given !== undefined)
      throw new StateUnreadable(`stage ${stage} already has its password in its state: a password can only be given to a new stack (HOTEL_POSTGRES_PASSWORD); nothing was changed`);
    return undefined;
  }
  if (known.password) return known.password;
  throw new StateUnreadable(
    `stage ${stage} is deployed but its state holds no PostgreSQL password (no password resource, no ${PASSWORD_OUTPUT} output): ` +
      `drawing a new one would give the Secret a password the role lacks; nothing was changed (docs/OPERATIONS.md: a lost password)`,
  );
}

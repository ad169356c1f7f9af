/** `npm run rotate-password`. */
import { EngineOptions, readStage } from "./options";
import { ChangeOutcome, exportState, up } from "./operations";
import { hasPasswordResource } from "./secrets";

export class RotationRefused extends Error {}

/**
 * `npm run rotate-password`: two runs of `up`, each under the stack's lock. The first
 * (begin) draws a next password in the program's password resource, or keeps the one an
 * interrupted rotation left pending; the rotation Job moves the role to it; only then
 * do the credentials Secret and the pods take it. The second (commit) makes it the
 * current password and removes the Job. Killed anywhere, the same command (or a plain
 * `up`) finishes it: see components/password.ts.
 */
export async function rotatePassword(o: EngineOptions): Promise<{ rotated: ChangeOutcome; settled: ChangeOutcome }> {
  const { config } = readStage(o);
  if (config && config.platform !== "kubernetes") {
    throw new RotationRefused(`stage ${o.stage} runs on Docker: the dev database is disposable; npm run destroy and up give it a new password`);
  }
  if (o.password !== undefined) throw new RotationRefused("a rotation draws its own password: HOTEL_POSTGRES_PASSWORD applies only to a new stack");
  if (!hasPasswordResource(await exportState(o))) {
    throw new RotationRefused(`stage ${o.stage} has no password resource in its state yet: run npm run up -- --stack ${o.stage} first`);
  }
  const rotated = await up({ ...o, rotation: "begin" });
  const settled = await up({ ...o, rotation: "commit" });
  return { rotated, settled };
}

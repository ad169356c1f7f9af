/** `npm run rotate-password`. */
import * as crypto from "crypto";
import { UpResult } from "@pulumi/pulumi/automation";
import { EngineOptions, readStage } from "./options";
import { statePassword, up } from "./operations";

export class RotationRefused extends Error {}

/**
 * `npm run rotate-password`: a new random password, applied in order by one `up` (the
 * rotation Job changes the role first, connecting with the current password; then the
 * Secret; then the app's pods roll), and a second `up` that removes the Job and its
 * Secret. The state keeps the new password for every checkout.
 */
export async function rotatePassword(o: EngineOptions): Promise<{ rotated: UpResult; settled: UpResult }> {
  const { config } = readStage(o);
  if (config && config.platform !== "kubernetes") {
    throw new RotationRefused(`stage ${o.stage} runs on Docker: the dev database is disposable; npm run destroy and up give it a new password`);
  }
  const previous = await statePassword(o);
  if (!previous) throw new RotationRefused(`stage ${o.stage} has no password in its state yet: run npm run up -- --stack ${o.stage} first`);
  const next = crypto.randomBytes(24).toString("hex");
  const rotated = await up({ ...o, password: next, previousPassword: previous });
  const settled = await up({ ...o, password: next });
  return { rotated, settled };
}

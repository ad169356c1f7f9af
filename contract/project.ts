/**
 * The project's own names: what Pulumi.yaml, the stage files, the state backend, the
 * policy pack and the tools on this machine must all spell the same way.
 */
import * as os from "os";
import * as path from "path";

/** Pulumi.yaml's `name`: every URN and the file backend's folders carry it. */
export const PROJECT = "hotel";
/** The stack's own config keys are `hotel:<key>`. */
export const NAMESPACE = "hotel";
/** The CrossGuard pack's name (policies/index.ts), as the engine reports it. */
export const POLICY_PACK_NAME = "hotel-quick-wins";

export const STAGES = ["dev", "staging", "prod"] as const;
export type Stage = (typeof STAGES)[number];

/** Where builds, daemons and render folders live on a machine (never in the repository). */
export const CACHE_ROOT = path.join(os.homedir(), ".cache", "hotel-stack");

/**
 * The Automation API, loaded on first use. Loading it costs most of a second of one core
 * (the SDK's runtime comes with it: about 900 modules, TypeScript and npm's arborist among
 * them), so `openStage` starts its CLI reads first and they run meanwhile on the other
 * core (docs/ENGINE.md, "How fast"). Every other module imports its types only.
 */
type Automation = typeof import("@pulumi/pulumi/automation");

let loaded: Automation | undefined;

export function automation(): Automation {
  loaded ??= require("@pulumi/pulumi/automation") as Automation;
  return loaded;
}

/** A CLI command the driver ran itself (./toolchain.ts cliStreamed) that failed; the engine has printed why. */
export class EngineCommandFailed extends Error {}

/** A failed engine command (the engine has printed its own account): the Automation API's, or the driver's own. */
export const isCommandError = (e: unknown): boolean => e instanceof EngineCommandFailed || (loaded !== undefined && e instanceof loaded.CommandError);

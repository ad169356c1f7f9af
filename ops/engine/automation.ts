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

/** A failed engine command (the engine has printed its own account); none ran while the Automation API was not loaded. */
export const isCommandError = (e: unknown): boolean => loaded !== undefined && e instanceof loaded.CommandError;

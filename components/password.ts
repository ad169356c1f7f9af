/**
 * Passwords as state the program owns (the database owner's, the app role's, Redis's):
 * a resource in the stack (a dynamic resource, its outputs secret) that creates the
 * password once and holds it, and for the owner's during a rotation the next one too. No driver generates or stores a password: a fresh
 * checkout, a CI runner or the stock `pulumi up` read the same one from the state.
 *
 * A rotation has two steps, asked for by `hotel:passwordRotation` (set only by
 * `npm run rotate-password`, never in a stage file):
 *   begin:  a next password is drawn (or, when one is already pending, kept: an
 *           interrupted rotation is finished, never replaced by a third password);
 *   commit: the next password becomes the current one, once the role has it.
 * While a next password is pending, every run, a plain `up` included, targets it: the
 * rotation Job (idempotent) makes the role's password the next one, and only then do
 * the credentials Secret and the pods take it. So a run killed at any point leaves a
 * state that the next run completes, and never a Secret with a password the role lacks.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

import { PASSWORD_RESOURCE_TYPE, RotationStep } from "../contract/secrets";

/**
 * The provider, as the module text the state stores and the dynamic provider host runs
 * (components/passwordProvider.js): the SDK serializes nothing, so the program loads no
 * TypeScript for it.
 */
const PROVIDER_MODULE = fs.readFileSync(path.join(__dirname, "passwordProvider.js"), "utf8");

export interface DatabasePasswordArgs {
  seed?: pulumi.Input<string>;
  rotation?: RotationStep;
}

/**
 * The one provider every password resource of a stack uses. Explicit: the engine hands
 * its default `pulumi-nodejs` provider the whole stack config, so every quick-win diff
 * would show that provider changing; this one takes no config. One for all: the engine
 * starts a process (which loads the Node SDK) for each provider instance, one after
 * another, and every Secret waits on its password (docs/ENGINE.md, "How fast").
 */
export class PasswordProvider extends pulumi.ProviderResource {
  constructor(name: string, opts?: pulumi.ResourceOptions) {
    super("pulumi-nodejs", name, {}, opts);
  }
}

/**
 * A dynamic resource, as `pulumi.dynamic.Resource` registers one (its type and its
 * `__provider` input), with the provider given as text. The host does not compare the
 * stored text with the new one: an existing stack's passwords see no change from it.
 */
export class DatabasePassword extends pulumi.CustomResource {
  // `declare`: a class field would overwrite, after super(), the outputs the SDK set.
  /** The password the role is known to have. */
  declare public readonly current: pulumi.Output<string>;
  /** During a rotation: the password the role is being moved to; "" when none is pending. */
  declare public readonly next: pulumi.Output<string>;

  constructor(name: string, args: DatabasePasswordArgs, opts: pulumi.CustomResourceOptions & { provider: PasswordProvider }) {
    const inputs = { __provider: PROVIDER_MODULE, seed: args.seed, rotation: args.rotation, current: undefined, next: undefined };
    super(PASSWORD_RESOURCE_TYPE, name, inputs, { ...opts, additionalSecretOutputs: ["current", "next", "seed"] });
  }
}

/**
 * The password every consumer should have: the pending one during a rotation, else the
 * current one. A starting password is given only while the resource is created (a new
 * stack, or one from before it existed), and is then what it holds: used as it is, so
 * that a preview knows it (a created resource's outputs are unknown until it exists)
 * and shows no change to the Secret or the pods of a stack from before.
 */
export const targetPassword = (p: DatabasePassword, seed?: pulumi.Input<string>): pulumi.Output<string> =>
  pulumi.secret(seed !== undefined ? pulumi.output(seed) : pulumi.all([p.current, p.next]).apply(([current, next]) => next || current));

/**
 * A password the program draws once and keeps (the app role's, Redis's): no seed and no
 * rotation steps. A new one is drawn only by replacing its resource
 * (`pulumi up --replace <urn>`), and what consumes it is placed so that it never gets a
 * password its server lacks (see where each is used).
 */
export const generatedPassword = (name: string, parent: pulumi.Resource, provider: PasswordProvider): pulumi.Output<string> => targetPassword(new DatabasePassword(name, {}, { parent, provider }));

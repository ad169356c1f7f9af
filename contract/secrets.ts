/** The names under which the PostgreSQL password and the driver's own settings travel: config keys, outputs, tags. */

/**
 * `hotel:postgresPassword` (a secret in the driver's work config, never in a stage
 * file): the password a new stack's password resource starts with. Read only when that
 * resource is created: a stack from before the program owned its password keeps it.
 */
export const PASSWORD_KEY = "postgresPassword";
/**
 * `hotel:renderDirectory`: render mode's private folder, set by the driver's `render`
 * only. Never a stage key (the driver refuses it there): a stage file cannot send the
 * provider's plain-text Secrets anywhere.
 */
export const RENDER_DIR_KEY = "renderDirectory";
/**
 * `hotel:adoptedNamespace`: "true" while the stack holds a namespace it took over with
 * `npm run adopt` rather than created (the driver reads it from the stack's tag of the
 * same name): such a namespace is retained by a destroy, never deleted.
 */
export const ADOPTED_KEY = "adoptedNamespace";
/** `hotel:passwordRotation`: begin or commit, set by `npm run rotate-password` for one run. */
export const ROTATION_KEY = "passwordRotation";
/** The stack output that shows the password every consumer has, encrypted. */
export const PASSWORD_OUTPUT = "postgresPassword";
/** The program's password resource (components/password.ts), as the driver finds it in the state. */
export const PASSWORD_RESOURCE = "postgres-password";
export const PASSWORD_RESOURCE_TYPE = "pulumi-nodejs:dynamic:Resource";
/** The steps of a rotation, as the driver asks for them and the program's password resource takes them. */
export const ROTATION_STEPS = ["begin", "commit"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];
/** The app role's password resource (drawn once; the app role Job gives it to `hotel_app`). */
export const APP_PASSWORD_RESOURCE = "postgres-app-password";
/** The one `pulumi-nodejs` provider of the three password resources (components/password.ts). */
export const PASSWORD_PROVIDER_RESOURCE = "passwords";
/** Redis's password resource (drawn once; `requirepass` through the auth Secret). */
export const REDIS_PASSWORD_RESOURCE = "redis-password";

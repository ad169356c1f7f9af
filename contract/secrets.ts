/** The names under which the PostgreSQL password travels: config keys, the stack output. */

/** The stack's config key for the password (a secret): `hotel:postgresPassword`. */
export const PASSWORD_KEY = "postgresPassword";
/** During a rotation: the password the role has now (`hotel:postgresPreviousPassword`). */
export const PREVIOUS_PASSWORD_KEY = "postgresPreviousPassword";
/** The stack output that keeps the password in the state, encrypted. */
export const PASSWORD_OUTPUT = "postgresPassword";

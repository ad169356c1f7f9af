/** A command line the command cannot run: its message says what is allowed; commands exit 2 on it. */
export class UsageError extends Error {}

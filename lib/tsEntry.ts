import * as path from "path";

/**
 * The Node.js arguments that run one of the project's TypeScript files as a process: its
 * own loader, the one the program runs under (Pulumi.yaml's nodeargs) and package.json's
 * commands use. An absolute path, so a child started in any folder finds it.
 */
export const TS_ENTRY_ARGS = ["--require", path.join(__dirname, "transpileHook.js")];

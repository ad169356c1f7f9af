/**
 * The program's TypeScript hook (lib/transpileHook.js, Pulumi.yaml's nodeargs): a module
 * is transpiled once and then loaded from the cache without TypeScript, an edit is
 * transpiled again, a stack trace shows the TypeScript lines, and node_modules are left
 * as Node loads them (no source maps turned on for them, as tsx does). The commands in
 * package.json run under it too.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

/** A module whose line 8 throws when asked to, after an interface and an import that the transpiler drops or rewrites. */
const MODULE = (word: string) => `interface Dropped {
  a: number;
}
import * as path from "path";

export function fail(): never {
  const where = path.basename(__filename);
  throw new Error(\`${word} in \${where}\`);
}
export const word: string = "${word}";
`;

interface Loaded {
  word: string;
  typescriptLoaded: boolean;
  sourceMapsEnabled: boolean;
  stack: string;
}

/**
 * Loads `file` in a fresh node with the hook and its cache under `tmp`, and reports what
 * happened. `withSdkSourceMaps` first registers the SDK's source-map-support, as the
 * SDK's program runner does before it loads the program.
 */
function load(file: string, tmp: string, withSdkSourceMaps = false): Loaded {
  const register = `require(require.resolve("source-map-support/register", { paths: [require.resolve("@pulumi/pulumi")] }));`;
  const probe = `${withSdkSourceMaps ? register : ""}
const m = require(${JSON.stringify(file)});
let stack = ""; try { m.fail(); } catch (e) { stack = e.stack; }
console.log(JSON.stringify({ word: m.word, stack, sourceMapsEnabled: Boolean(process.sourceMapsEnabled),
  typescriptLoaded: Object.keys(require.cache).some((k) => k.includes("/node_modules/typescript/")) }));`;
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "-e", probe], { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, TMPDIR: tmp } });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout) as Loaded;
}

test("a module is transpiled once, then loaded from the cache without TypeScript; an edit is transpiled again", (t) => {
  const dir = tempDir("hook-src");
  const tmp = tempDir("hook-tmp");
  const file = path.join(dir, "module.ts");
  fs.writeFileSync(file, MODULE("first"));
  const cold = load(file, tmp);
  t.is(cold.word, "first");
  t.true(cold.typescriptLoaded, "the first load transpiles");
  const warm = load(file, tmp);
  t.is(warm.word, "first");
  t.false(warm.typescriptLoaded, "the second load reads the cache");
  fs.writeFileSync(file, MODULE("second"));
  const edited = load(file, tmp);
  t.is(edited.word, "second");
  t.true(edited.typescriptLoaded, "an edited file is transpiled again");
});

test("a stack trace through a transpiled module shows its TypeScript lines; Node's source maps stay off for everything else", (t) => {
  const dir = tempDir("hook-src");
  const file = path.join(dir, "module.ts");
  fs.writeFileSync(file, MODULE("trace"));
  const tmp = tempDir("hook-tmp");
  // Cold, warm, and in a process where the SDK installed source-map-support first.
  for (const run of [load(file, tmp), load(file, tmp), load(file, tmp, true)]) {
    // Line 8, column 9: the `new Error` of MODULE, as written (the transpiled file has it lower down).
    t.regex(run.stack, new RegExp(`at (?:Object\\.)?fail \\(${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:8:9\\)`));
    t.false(run.sourceMapsEnabled);
  }
});

test("every command in package.json that runs TypeScript runs it through the hook", (t) => {
  const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts;
  const runningTypeScript = Object.entries(scripts).filter(([, line]) => /\bnode .*\.ts\b/.test(line));
  t.is(runningTypeScript.length, 19);
  const otherwise = runningTypeScript.filter(([, line]) => !line.includes("node --require ./lib/transpileHook.js ")).map(([name]) => name);
  t.deepEqual(otherwise, []);
});

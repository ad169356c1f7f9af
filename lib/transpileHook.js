/**
 * Loads the program's TypeScript modules (Pulumi.yaml: `nodeargs: --require ./lib/transpileHook.js`).
 *
 * Why not tsx, as the commands and tests use: tsx hooks every module Node loads, checks
 * each `.js` file of node_modules for ES module syntax and turns on Node's source maps for
 * all of them, which made it about 1.3 s of one core in every preview and up (the SDK,
 * the Kubernetes SDK and Grafana's are ~1,000 files; docs/ENGINE.md, "How fast"). This
 * hook handles `.ts` files only: each is transpiled once by the project's TypeScript
 * (`transpileModule`, one file at a time, as tsx and esbuild do; no type check, which
 * `npm run typecheck` does) and kept in a cache keyed by the TypeScript version, the
 * options, the path and the text, so a run whose files have not changed loads no
 * TypeScript at all. A stack trace through a transpiled file shows the TypeScript lines:
 * the source map goes to source-map-support where the SDK installed it (the program), and
 * to a formatter of our own elsewhere (lib/stackLines.js).
 *
 * Plain JavaScript: it is what makes TypeScript loadable.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const fromProject = (id) => require.resolve(id, { paths: [process.cwd(), __dirname] });
const TS_VERSION = JSON.parse(fs.readFileSync(fromProject("typescript/package.json"), "utf8")).version;
/** tsconfig.json's settings that change the emitted code. */
const OPTIONS = { module: "commonjs", target: "es2022", esModuleInterop: true, sourceMap: true, inlineSources: true };
const CACHE = path.join(os.tmpdir(), `hotel-transpiled-${typeof process.getuid === "function" ? process.getuid() : "user"}`);

let typescript;
/** Source maps of the files this process loaded, for stack traces: path -> map text. */
const maps = new Map();

function transpile(filename, text) {
  typescript ??= require(fromProject("typescript"));
  const { options } = typescript.convertCompilerOptionsFromJson(OPTIONS, process.cwd());
  const out = typescript.transpileModule(text, { fileName: filename, compilerOptions: options });
  return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: out.sourceMapText };
}

/** The transpiled module from the cache, or transpiled now and cached (written whole by a rename: runs side by side share the cache). */
function compiled(filename, text) {
  const key = crypto
    .createHash("sha256")
    .update(`${TS_VERSION}\0${JSON.stringify(OPTIONS)}\0${filename}\0${text}`)
    .digest("hex");
  const file = path.join(CACHE, `${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    const result = transpile(filename, text);
    fs.mkdirSync(CACHE, { recursive: true, mode: 0o700 });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, JSON.stringify(result));
    fs.renameSync(partial, file);
    return result;
  }
}

let mapsInstalled = false;
/**
 * Makes stack traces show the TypeScript lines of the files loaded here. Where the SDK has
 * installed source-map-support (the program, the pack and the dynamic provider under the
 * engine), that instance gets the maps; everywhere else (the commands, the test workers) a
 * formatter that maps only these files (lib/stackLines.js says why).
 */
function installMaps() {
  mapsInstalled = true;
  const support = loadedSourceMapSupport();
  if (support) support.install({ retrieveSourceMap: (source) => (maps.has(source) ? { url: source, map: maps.get(source) } : null) });
  else Error.prepareStackTrace = require("./stackLines").stackFormatter(maps);
}

/** The SDK's source-map-support if this process has loaded it already, or undefined. */
function loadedSourceMapSupport() {
  try {
    const id = require.resolve("source-map-support", { paths: [fromProject("@pulumi/pulumi")] });
    return require.cache[id]?.exports;
  } catch {
    return undefined; // no SDK here
  }
}

require.extensions[".ts"] = function loadTypeScript(module, filename) {
  const { code, map } = compiled(filename, fs.readFileSync(filename, "utf8"));
  maps.set(filename, map);
  if (!mapsInstalled) installMaps();
  module._compile(code, filename);
};

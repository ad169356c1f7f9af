/**
 * The SDK deferral the driver gives the engine's Node.js children (lib/sdkDeferredModules.js,
 * ops/engine/toolchain.ts): the SDK loads without TypeScript and npm's arborist, a
 * deferred function loads its module on its first call and answers as the real one, an
 * SDK version it was not checked against is left alone, and the installed SDK takes
 * exactly the deferred names from those modules.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { SDK_DEFERRAL_PRELOAD as PRELOAD, engineEnv, engineNodeOptions } from "../../ops/engine/toolchain";
import { tempDir } from "../fixtures/files";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CHECKED_SDK_VERSION, DEFERRED } = require(PRELOAD) as { CHECKED_SDK_VERSION: string; DEFERRED: Record<string, string[]> };

/** Runs `script` in a fresh node in `cwd`, with the preload or without, and parses the JSON it prints. */
function probe<T>(script: string, preload: boolean, cwd = PROJECT_DIR): T {
  const args = [...(preload ? ["--require", PRELOAD] : []), "-e", script];
  const res = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout.trim().split("\n").pop()!) as T;
}

const LOADED = `const loaded = (part) => Object.keys(require.cache).some((k) => k.includes(part));`;

for (const [preload, expected] of [
  [false, { typescript: true, arborist: true }],
  [true, { typescript: false, arborist: false }],
] as const) {
  test(`the SDK and the policy SDK ${preload ? "with" : "without"} the deferral: TypeScript loaded ${expected.typescript}, arborist loaded ${expected.arborist}`, (t) => {
    const script = `${LOADED} require("@pulumi/pulumi"); require("@pulumi/policy");
      console.log(JSON.stringify({ typescript: loaded("/node_modules/typescript/"), arborist: loaded("/@npmcli/arborist/") }));`;
    t.deepEqual(probe(script, preload), expected);
  });
}

test("with the deferral, serializeFunction loads the closure serializer on its first call and serializes as before", (t) => {
  const script = `${LOADED} const pulumi = require("@pulumi/pulumi"); const before = loaded("/node_modules/typescript/");
    pulumi.runtime.serializeFunction(() => 40 + 2).then((s) => {
      const f = new Function("exports", "require", "module", s.text + "; return exports.handler;")({}, require, {});
      console.log(JSON.stringify({ before, after: loaded("/node_modules/typescript/"), answer: f() }));
    });`;
  t.deepEqual(probe(script, true), { before: false, after: true, answer: 42 });
});

test("the installed SDK is the one checked (3.248.0), and its runtime index takes exactly the deferred names from each deferred module", (t) => {
  const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [PROJECT_DIR] }));
  t.is(JSON.parse(fs.readFileSync(path.join(sdk, "package.json"), "utf8")).version, "3.248.0");
  t.is(CHECKED_SDK_VERSION, "3.248.0");
  const index = fs.readFileSync(path.join(sdk, "runtime", "index.js"), "utf8");
  const taken: Record<string, string[]> = {};
  for (const [, local, request] of index.matchAll(/var (\w+) = require\("([^"]+)"\);/g)) {
    if (request in DEFERRED) taken[request] = [...index.matchAll(new RegExp(`\\b${local}\\.(\\w+)`, "g"))].map((m) => m[1]);
  }
  t.deepEqual(taken, {
    "./closure/serializeClosure": ["serializeFunctionAsync", "serializeFunction"],
    "./closure/codePaths": ["computeCodePaths"],
  });
  // Nothing else in the index reaches those modules (an __export of one would need every name).
  t.is(index.match(/closure\/(serializeClosure|codePaths)/g)?.length, 2);
});

/** A stand-in SDK of `version` whose deferred modules record when they load. */
function fakeSdk(version: string): string {
  const dir = tempDir("fake-sdk");
  const sdk = path.join(dir, "node_modules", "@pulumi", "pulumi");
  fs.mkdirSync(path.join(sdk, "runtime", "closure"), { recursive: true });
  fs.writeFileSync(path.join(sdk, "package.json"), JSON.stringify({ name: "@pulumi/pulumi", version }));
  fs.writeFileSync(
    path.join(sdk, "runtime", "index.js"),
    `var s = require("./closure/serializeClosure"); exports.serializeFunction = s.serializeFunction; exports.serializeFunctionAsync = s.serializeFunctionAsync;
     var c = require("./closure/codePaths"); exports.computeCodePaths = c.computeCodePaths;`,
  );
  const recorder = (name: string, body: string) => `(globalThis.loadedModules ??= []).push("${name}"); ${body}`;
  fs.writeFileSync(
    path.join(sdk, "runtime", "closure", "serializeClosure.js"),
    recorder("serializeClosure", `exports.serializeFunction = (x) => "real " + x; exports.serializeFunctionAsync = async (x) => "async " + x;`),
  );
  fs.writeFileSync(path.join(sdk, "runtime", "closure", "codePaths.js"), recorder("codePaths", `exports.computeCodePaths = (a, b) => a + b;`));
  return dir;
}

const FAKE_PROBE = `const runtime = require("@pulumi/pulumi/runtime"); const atLoad = [...(globalThis.loadedModules ?? [])];
  const first = runtime.serializeFunction(7); const afterFirst = [...globalThis.loadedModules];
  runtime.serializeFunctionAsync(8).then((second) => console.log(JSON.stringify({ atLoad, first, afterFirst, second, sum: runtime.computeCodePaths(2, 3), all: globalThis.loadedModules })));`;

const fakeCases = [
  {
    version: "3.248.0",
    expected: { atLoad: [], first: "real 7", afterFirst: ["serializeClosure"], second: "async 8", sum: 5, all: ["serializeClosure", "codePaths"] },
  },
  {
    version: "3.249.0",
    expected: { atLoad: ["serializeClosure", "codePaths"], first: "real 7", afterFirst: ["serializeClosure", "codePaths"], second: "async 8", sum: 5, all: ["serializeClosure", "codePaths"] },
  },
];
for (const { version, expected } of fakeCases) {
  test(`an SDK of version ${version}: its deferred modules load ${expected.atLoad.length ? "at start (not the checked version: left alone)" : "on first call"}, and answer as the real ones`, (t) => {
    t.deepEqual(probe(FAKE_PROBE, true, fakeSdk(version)), expected);
  });
}

test("the engine's NODE_OPTIONS keep the caller's own and add the deferral, which every Node.js child then loads", (t) => {
  t.is(engineNodeOptions(undefined), `--require ${JSON.stringify(PRELOAD)}`);
  const options = engineNodeOptions(" --max-old-space-size=123 ");
  t.is(options, `--max-old-space-size=123 --require ${JSON.stringify(PRELOAD)}`);
  t.is(engineEnv({ url: "file:///tmp/x", shared: false }, {}, "/bin").NODE_OPTIONS, engineNodeOptions(process.env.NODE_OPTIONS), "the driver's engine environment carries them");
  const script = `console.log(JSON.stringify({ preloaded: Object.keys(require.cache).includes(${JSON.stringify(PRELOAD)}), heapMb: Math.round(require("v8").getHeapStatistics().heap_size_limit / 2 ** 20) }));`;
  const res = spawnSync(process.execPath, ["-e", script], { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: options } });
  t.is(res.status, 0, res.stderr);
  const seen = JSON.parse(res.stdout) as { preloaded: boolean; heapMb: number };
  t.true(seen.preloaded);
  t.true(seen.heapMb >= 123 && seen.heapMb < 200, `heap limit ${seen.heapMb} MB`);
});

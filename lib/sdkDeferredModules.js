/**
 * Loads two of the Node SDK's modules on first use instead of at start, in the engine's
 * Node.js children: the program, the policy pack and the dynamic password provider
 * (the driver adds `--require` of this file to NODE_OPTIONS: ops/engine/toolchain.ts).
 *
 * Why: `@pulumi/pulumi`'s index loads its Automation API, whose stack module loads the
 * runtime's index, which loads the closure serializer (and with it TypeScript, to parse
 * function text) and the code-path scanner (npm's arborist) at once. A process that
 * never serializes a function or scans code paths pays for both anyway: about 0.65 s of
 * one core when the SDK is loaded, three times per preview or up (docs/ENGINE.md, "How
 * fast"). None of them calls either: the program gives its password provider as a
 * module's text (components/passwordProvider.js), so the SDK's own `dynamic.Resource`,
 * which would serialize it, is not used. A program that did call one loads it then.
 *
 * How: while the runtime's index of the one SDK version checked against this file
 * requires either module, it gets an object of the same function names, each loading
 * the real module on its first call and passing the call on. Any other version is left
 * alone: a newer SDK may take other names from those modules, and a missing name would
 * break it, where a skipped deferral only costs time. test/unit/sdkDeferredModules.test.ts
 * checks that the installed SDK takes exactly these names, so a bump fails there first.
 *
 * Plain JavaScript: it runs before anything is transpiled.
 */
"use strict";
const Module = require("module");
const path = require("path");

/** The SDK version whose runtime/index.js was checked to take exactly these names. */
const CHECKED_SDK_VERSION = "3.248.0";
/** Each deferred module, as runtime/index.js requires it, and the names it takes from it. */
const DEFERRED = {
  "./closure/serializeClosure": ["serializeFunctionAsync", "serializeFunction"],
  "./closure/codePaths": ["computeCodePaths"],
};
const RUNTIME_INDEX = path.join("@pulumi", "pulumi", "runtime", "index.js");

/** Whether the runtime index at `file` belongs to the checked SDK version (asked once per file). */
const checked = new Map();
function isCheckedSdk(file) {
  if (!checked.has(file)) {
    let version;
    try {
      version = require(path.join(path.dirname(file), "..", "package.json")).version;
    } catch {
      version = undefined;
    }
    checked.set(file, version === CHECKED_SDK_VERSION);
  }
  return checked.get(file);
}

const load = Module._load;

/** Functions of the same names that load the real module when one is first called. */
function deferred(request, parent, names) {
  let real;
  const realModule = () => (real ??= load.call(Module, request, parent, false));
  return Object.fromEntries(names.map((name) => [name, (...args) => realModule()[name](...args)]));
}

Module._load = function (request, parent, isMain) {
  const names = Object.prototype.hasOwnProperty.call(DEFERRED, request) ? DEFERRED[request] : undefined;
  if (names && parent?.filename?.endsWith(RUNTIME_INDEX) && isCheckedSdk(parent.filename)) return deferred(request, parent, names);
  return load.apply(this, arguments);
};

module.exports = { CHECKED_SDK_VERSION, DEFERRED };

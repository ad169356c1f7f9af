/**
 * The layout's rules, checked on the source itself (docs/DESIGN.md draws them):
 * - each folder imports only the folders its row of LAYERS allows (no exemptions);
 * - no import cycle anywhere;
 * - no function over 60 lines outside the tests;
 * - no export that nothing imports.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import * as ts from "typescript";
import { PROJECT_DIR } from "../../config/stages";

/**
 * Who may import whom, by audience. A folder always imports itself. "program" is
 * index.ts, the Pulumi program. Nothing imports test/, and only tests import bench/.
 */
export const LAYERS: Record<string, string[]> = {
  contract: [],
  lib: [],
  config: ["contract"],
  render: ["contract", "config"],
  components: ["contract", "config", "render"],
  policies: ["contract", "config", "render"],
  program: ["contract", "config", "components"],
  harness: ["contract", "lib", "config", "render", "policies", "program"],
  lab: ["contract", "lib", "config", "render"],
  ops: ["contract", "lib", "config", "render", "harness", "lab"],
  bench: ["contract", "lib", "config", "render", "lab", "ops"],
  test: ["contract", "lib", "config", "render", "components", "policies", "program", "harness", "lab", "ops", "bench"],
};

const SOURCE_DIRS = Object.keys(LAYERS).filter((l) => l !== "program");

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(path.join(dir, e.name));
    return e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [];
  });
}

const sources = (): string[] => [path.join(PROJECT_DIR, "index.ts"), ...SOURCE_DIRS.flatMap((d) => walk(path.join(PROJECT_DIR, d)))];

/** Relative imports of a file (import, export from, require, import()), resolved to files of the project. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((f) => f.startsWith("."))
    .map((f) => path.resolve(path.dirname(file), f))
    .map((f) => [`${f}.ts`, path.join(f, "index.ts")].find((c) => fs.existsSync(c)) ?? f);
}

const rel = (f: string) => path.relative(PROJECT_DIR, f);
/** The layer a project file belongs to: its top folder, or "program" for index.ts. */
export const layerOf = (relPath: string): string => (relPath === "index.ts" ? "program" : relPath.split(path.sep)[0]);

/** Imports that cross into a layer the importer's row does not allow. */
export function forbiddenImports(graph: Map<string, string[]>, layers = LAYERS): string[] {
  return [...graph].flatMap(([f, deps]) =>
    deps
      .filter((d) => {
        const from = layerOf(rel(f));
        const to = layerOf(rel(d));
        return from !== to && !(layers[from] ?? []).includes(to);
      })
      .map((d) => `${rel(f)} -> ${rel(d)}`),
  );
}

/** Every cycle found by a depth-first walk, as the list of files around it. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "visiting") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Functions (declarations, methods, arrows, constructors) longer than `max` lines. */
export function longFunctions(file: string, text: string, max: number): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > max) out.push(`${rel(file)}:${start + 1} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/**
 * Values a file exports (functions, classes, consts with `export`, and `export { a, b }`
 * lists). Types are left out: an exported Args interface documents a signature.
 */
export function exportedNames(text: string): string[] {
  const sf = ts.createSourceFile("x.ts", text, ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const s of sf.statements) {
    const exported = ts.canHaveModifiers(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && ts.isVariableStatement(s)) s.declarationList.declarations.forEach((d) => ts.isIdentifier(d.name) && names.push(d.name.text));
    else if (exported && (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) names.push(s.name.text);
    else if (ts.isExportDeclaration(s) && !s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause)) s.exportClause.elements.forEach((e) => names.push(e.name.text));
  }
  return names;
}

const graph = new Map(sources().map((f) => [f, importsOf(f)]));

test("the layer check sees a forbidden arrow, and allows a folder to import itself", (t) => {
  const p = (f: string) => path.join(PROJECT_DIR, f);
  const g = new Map([
    [p("render/a.ts"), [p("ops/b.ts"), p("render/c.ts"), p("config/d.ts")]],
    [p("index.ts"), [p("components/e.ts")]],
  ]);
  t.deepEqual(forbiddenImports(g), ["render/a.ts -> ops/b.ts"]);
});

test("every source folder has a row, and no row names an unknown folder", (t) => {
  const top = fs
    .readdirSync(PROJECT_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && walk(path.join(PROJECT_DIR, e.name)).length > 0 && !e.name.startsWith(".") && e.name !== "node_modules");
  t.deepEqual(
    top.map((e) => e.name).filter((n) => !(n in LAYERS)),
    [],
  );
  t.deepEqual(
    Object.values(LAYERS)
      .flat()
      .filter((n) => !(n in LAYERS)),
    [],
  );
});

test("every import follows the layers (no exemptions)", (t) => {
  t.true(graph.size > 150);
  t.deepEqual(forbiddenImports(graph), []);
});

test("the cycle finder finds a cycle when there is one", (t) => {
  t.deepEqual(
    findCycles(
      new Map([
        ["a", ["b"]],
        ["b", ["c"]],
        ["c", ["a"]],
      ]),
    ),
    [["a", "b", "c", "a"]],
  );
  t.deepEqual(
    findCycles(
      new Map([
        ["a", ["b"]],
        ["b", []],
      ]),
    ),
    [],
  );
});

test("no import cycle in the source tree", (t) => {
  t.deepEqual(
    findCycles(graph).map((c) => c.map(rel).join(" -> ")),
    [],
  );
});

test("the length check sees a long function", (t) => {
  const body = Array.from({ length: 65 }, (_, i) => `  const x${i} = ${i};`).join("\n");
  t.deepEqual(longFunctions(path.join(PROJECT_DIR, "x.ts"), `function f() {\n${body}\n}\n`, 60), ["x.ts:1 (67 lines)"]);
});

test("no function over 60 lines outside the tests", (t) => {
  const product = [...graph.keys()].filter((f) => layerOf(rel(f)) !== "test");
  t.deepEqual(
    product.flatMap((f) => longFunctions(f, fs.readFileSync(f, "utf8"), 60)),
    [],
  );
});

test("the export reader sees declarations and export lists", (t) => {
  t.deepEqual(exportedNames("export const a = 1;\nexport function b() {}\nconst c = 2;\nexport { c };\nexport interface D {}\nexport class E {}\n"), ["a", "b", "c", "E"]);
});

test("no dead exports: every name exported outside the tests is imported somewhere", (t) => {
  const imported = new Set<string>();
  for (const f of graph.keys()) {
    const info = fs.readFileSync(f, "utf8");
    for (const m of info.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from|export\s*\{([^}]*)\}\s*from/g)) {
      for (const n of (m[1] ?? m[2]).split(","))
        imported.add(
          n
            .trim()
            .replace(/^type\s+/, "")
            .split(/\s+as\s+/)[0],
        );
    }
    for (const m of info.matchAll(/\b(\w+)\.(\w+)/g)) imported.add(m[2]);
  }
  const dead = [...graph.keys()]
    .filter((f) => !["test", "program"].includes(layerOf(rel(f))))
    .flatMap((f) =>
      exportedNames(fs.readFileSync(f, "utf8"))
        .filter((n) => !imported.has(n))
        .map((n) => `${rel(f)}: ${n}`),
    );
  t.deepEqual(dead, []);
});

test("every source file is formatted (npm run format; .prettierrc.json)", (t) => {
  // Prettier's cache (node_modules/.cache/prettier) skips the files whose text, options and
  // Prettier version it has seen formatted: ~1 s of CPU instead of ~7 s on a warm run. By
  // content, not modification time, since a checkout rewrites files it may not change.
  const args = ["--list-different", "--cache", "--cache-strategy", "content", "**/*.ts"];
  const res = spawnSync(process.execPath, [require.resolve("prettier/bin/prettier.cjs"), ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
  t.is(res.stdout.trim(), "", `not formatted (run npm run format):\n${res.stdout}${res.stderr}`);
});

test("each policy has one name: its file and its export are the camelCase of the policy's name", (t) => {
  const problems: string[] = [];
  let named = 0;
  for (const file of walk(path.join(PROJECT_DIR, "policies")).filter((f) => !/\/(readers|index|pack|settings)\b|budget\.ts$/.test(f))) {
    const text = fs.readFileSync(file, "utf8");
    const name = /^ {2}name: "([^"]+)"/m.exec(text)?.[1];
    if (!name) continue;
    named++;
    const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (path.basename(file, ".ts") !== camel) problems.push(`${rel(file)}: file should be ${camel}.ts for policy ${name}`);
    if (!new RegExp(`^export const ${camel}\\b`, "m").test(text)) problems.push(`${rel(file)}: export should be ${camel} for policy ${name}`);
  }
  t.is(named, 19, "the pack's 19 policies");
  t.deepEqual(problems, []);
});

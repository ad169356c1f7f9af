/**
 * The layout's rules, checked on the source itself: no import cycle anywhere, product
 * code never imports tools, tests or benchmarks, and no function in the product folders
 * grows past 80 lines.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import * as ts from "typescript";
import { PROJECT_DIR } from "../config/stages";

const SOURCE_DIRS = ["config", "render", "components", "policies", "tools", "test", "bench"];
const PRODUCT_DIRS = ["config", "render", "components", "policies"];

function sources(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  return [path.join(PROJECT_DIR, "index.ts"), ...SOURCE_DIRS.flatMap((d) => walk(path.join(PROJECT_DIR, d)))];
}

/** Relative imports of a file, resolved to files of the project. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((f) => f.startsWith("."))
    .map((f) => path.resolve(path.dirname(file), f))
    .map((f) => [`${f}.ts`, path.join(f, "index.ts")].find((c) => fs.existsSync(c)) ?? f);
}

const rel = (f: string) => path.relative(PROJECT_DIR, f);

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

const graph = new Map(sources().map((f) => [f, importsOf(f)]));

test("the cycle finder finds a cycle when there is one", (t) => {
  t.deepEqual(findCycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), [["a", "b", "c", "a"]]);
  t.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

test("no import cycle in the source tree", (t) => {
  t.true(graph.size > 50);
  t.deepEqual(findCycles(graph).map((c) => c.map(rel).join(" -> ")), []);
});

test("product code (config, render, components, policies, index.ts) imports no tool, test or benchmark", (t) => {
  const isProduct = (f: string) => rel(f) === "index.ts" || PRODUCT_DIRS.includes(rel(f).split(path.sep)[0]);
  const bad = [...graph]
    .filter(([f]) => isProduct(f) && !f.endsWith(".test.ts") && !rel(f).endsWith("cases.ts"))
    .flatMap(([f, deps]) => deps.filter((d) => !isProduct(d)).map((d) => `${rel(f)} -> ${rel(d)}`));
  t.deepEqual(bad, []);
});

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

test("the length check sees a long function", (t) => {
  const body = Array.from({ length: 85 }, (_, i) => `  const x${i} = ${i};`).join("\n");
  t.is(longFunctions(path.join(PROJECT_DIR, "x.ts"), `function f() {\n${body}\n}\n`, 80).length, 1);
});

test("no function over 80 lines in config/, render/, components/, policies/", (t) => {
  const product = [...graph.keys()].filter((f) => PRODUCT_DIRS.includes(rel(f).split(path.sep)[0]) && !f.endsWith(".test.ts"));
  t.deepEqual(product.flatMap((f) => longFunctions(f, fs.readFileSync(f, "utf8"), 80)), []);
});

/**
 * The password resources' provider (components/passwordProvider.js), loaded from its text
 * the way the dynamic provider host loads a resource's `__provider` input: what it creates,
 * when it reports a change, what each rotation step stores. The engine tests run it for real
 * (test/engine, test/node); this is every case of its logic, as a table.
 */
import * as fs from "fs";
import Module from "module";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";

const FILE = path.join(PROJECT_DIR, "components", "passwordProvider.js");

interface Outs {
  current: string;
  next: string;
}
interface Provider {
  create(inputs: { seed?: string }): Promise<{ id: string; outs: Outs }>;
  diff(id: string, olds: Outs, news: { seed?: string; rotation?: string }): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  update(id: string, olds: Outs, news: { rotation?: string }): Promise<{ outs: Outs }>;
}

/** The provider from the file's text, compiled as a module of its own (as `require-from-string` does in the host). */
function fromText(): Provider {
  const m = new Module(FILE) as Module & { _compile(text: string, file: string): void };
  m.filename = FILE;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(FILE));
  m._compile(fs.readFileSync(FILE, "utf8"), FILE);
  return (m.exports as { handler(): Provider }).handler();
}

const DRAWN = /^[0-9a-f]{48}$/;

test("create: the seed when there is one, else a drawn 48-hex password; next is empty, not absent", async (t) => {
  const provider = fromText();
  t.deepEqual(await provider.create({ seed: "s33d" }), { id: "postgres-password", outs: { current: "s33d", next: "" } });
  const drawn = await provider.create({});
  t.regex(drawn.outs.current, DRAWN);
  t.is(drawn.outs.next, "");
  t.not((await provider.create({})).outs.current, drawn.outs.current, "each creation draws anew");
});

const diffCases: [string, Outs, { seed?: string; rotation?: string }, boolean][] = [
  ["nothing asked", { current: "a", next: "" }, {}, false],
  ["the seed it was created with", { current: "a", next: "" }, { seed: "a" }, false],
  ["begin, none pending", { current: "a", next: "" }, { rotation: "begin" }, true],
  ["begin, one pending (kept, never a third)", { current: "a", next: "b" }, { rotation: "begin" }, false],
  ["commit, one pending", { current: "a", next: "b" }, { rotation: "commit" }, true],
  ["commit, none pending", { current: "a", next: "" }, { rotation: "commit" }, false],
];
for (const [name, olds, news, changes] of diffCases) {
  test(`diff, ${name}: changes ${changes}, never a replacement`, async (t) => {
    t.deepEqual(await fromText().diff("postgres-password", olds, news), { changes, replaces: [], deleteBeforeReplace: false });
  });
}

test("diff: a starting password that disagrees with the stored one is refused, naming the key", async (t) => {
  await t.throwsAsync(fromText().diff("postgres-password", { current: "a", next: "" }, { seed: "other" }), {
    message: "hotel:postgresPassword is set, but the stack already holds another password: a starting password applies only to a new stack; unset it",
  });
});

const updateCases: [string, Outs, { rotation?: string }, Outs | "drawn next"][] = [
  ["begin, none pending", { current: "a", next: "" }, { rotation: "begin" }, "drawn next"],
  ["begin, one pending", { current: "a", next: "b" }, { rotation: "begin" }, { current: "a", next: "b" }],
  ["commit, one pending", { current: "a", next: "b" }, { rotation: "commit" }, { current: "b", next: "" }],
  ["commit, none pending", { current: "a", next: "" }, { rotation: "commit" }, { current: "a", next: "" }],
  ["nothing asked", { current: "a", next: "b" }, {}, { current: "a", next: "b" }],
];
for (const [name, olds, news, expected] of updateCases) {
  test(`update, ${name}: ${expected === "drawn next" ? "keeps current, draws next" : `stores ${JSON.stringify(expected)}`}`, async (t) => {
    const { outs } = await fromText().update("postgres-password", olds, news);
    if (expected !== "drawn next") {
      t.deepEqual(outs, expected);
    } else {
      t.is(outs.current, "a");
      t.regex(outs.next, DRAWN);
    }
  });
}

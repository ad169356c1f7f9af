/**
 * The committed stage file is never rewritten by a command (ops/engine/stageFileGuard.ts):
 * the CLI's salt write is undone, and an edit the user saves during the run survives it,
 * byte for byte, whether the CLI writes before or after it.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { parse, stringify } from "yaml";
import { keepingStageFile } from "../../ops/engine/stageFileGuard";
import { tempDir } from "../fixtures/files";

const COMMITTED = "# staging: the team's comment\nconfig:\n  hotel:platform: kubernetes\n  hotel:redis:\n    maxmemoryPolicy: allkeys-lru\n";
const EDITED = "# staging: the team's comment\nconfig:\n  hotel:platform: kubernetes\n  hotel:redis:\n    maxmemoryPolicy: allkeys-lfu # quick win 3\n";

/** What the CLI does: loads the file, re-serializes it (comments lost) with a salt on top. */
const cliSaltWrite = (file: string) => fs.writeFileSync(file, stringify({ encryptionsalt: "v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy", config: parse(fs.readFileSync(file, "utf8")).config }));
const settle = () => new Promise((r) => setTimeout(r, 150));

function stageFile(): string {
  const file = path.join(tempDir("stagefile"), "Pulumi.staging.yaml");
  fs.writeFileSync(file, COMMITTED);
  return file;
}

const CASES: { name: string; steps: ((file: string) => void)[]; expected: string }[] = [
  { name: "the CLI adds its salt, nobody edits: the committed text is put back", steps: [cliSaltWrite], expected: COMMITTED },
  { name: "the user saves an edit, then the CLI rewrites the file with its salt: the user's text survives exactly", steps: [(f) => fs.writeFileSync(f, EDITED), cliSaltWrite], expected: EDITED },
  { name: "the CLI writes its salt, then the user saves an edit: the user's text survives exactly", steps: [cliSaltWrite, (f) => fs.writeFileSync(f, EDITED)], expected: EDITED },
  {
    name: "a checkout replaces the file by a rename during the run: the new text survives",
    steps: [
      (f) => {
        fs.writeFileSync(`${f}.tmp`, EDITED);
        fs.renameSync(`${f}.tmp`, f);
      },
      cliSaltWrite,
    ],
    expected: EDITED,
  },
];

for (const c of CASES) {
  test(`stage file guard: ${c.name}`, async (t) => {
    const file = stageFile();
    const result = await keepingStageFile(file, async () => {
      for (const step of c.steps) {
        step(file);
        await settle();
      }
      return "done";
    });
    t.is(result, "done");
    t.is(fs.readFileSync(file, "utf8"), c.expected);
  });
}

test("stage file guard: the file is put back even when the operation fails", async (t) => {
  const file = stageFile();
  await t.throwsAsync(
    keepingStageFile(file, async () => {
      cliSaltWrite(file);
      throw new Error("engine failed");
    }),
    { message: "engine failed" },
  );
  t.is(fs.readFileSync(file, "utf8"), COMMITTED);
});

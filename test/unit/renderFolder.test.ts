/**
 * Render mode publishes into a folder it does not own (ops/engine/renderFolder.ts): it
 * removes only what an earlier render published there, never a file no render wrote,
 * and a stage file cannot choose where the provider writes.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { checkStageFile } from "../../config/stages";
import { ConfigError } from "../../config/validate";
import { publishRedacted } from "../../ops/engine/renderFolder";
import { stageVariant } from "../fixtures/engine";
import { tempDir } from "../fixtures/files";

const write = (dir: string, file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const listed = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

test("publishing removes what the last render published and no longer renders, and never a file no render wrote", (t) => {
  const rendered = tempDir("private");
  const target = tempDir("target");
  write(target, "NOTES.md", "the user's own notes");
  write(target, "1-manifest/kept-by-user.yaml", "kind: ConfigMap");
  write(rendered, "1-manifest/a.yaml", "kind: ConfigMap\nmetadata: {name: a}\n");
  write(rendered, "1-manifest/b.yaml", "kind: ConfigMap\nmetadata: {name: b}\n");
  publishRedacted(rendered, target);
  t.deepEqual(listed(target), ["1-manifest/a.yaml", "1-manifest/b.yaml", "1-manifest/kept-by-user.yaml", "NOTES.md"]);
  // The next render no longer has b: it goes; the user's files stay.
  fs.rmSync(path.join(rendered, "1-manifest/b.yaml"));
  publishRedacted(rendered, target);
  t.deepEqual(listed(target), ["1-manifest/a.yaml", "1-manifest/kept-by-user.yaml", "NOTES.md"]);
  t.is(fs.readFileSync(path.join(target, "NOTES.md"), "utf8"), "the user's own notes");
});

test("a stage file cannot choose where render mode writes: renderDirectory and kubernetes.renderYamlToDirectory are refused, naming the key", (t) => {
  for (const [key, edit] of [
    ["hotel:renderDirectory", (c: Record<string, any>) => (c["hotel:renderDirectory"] = "/tmp/elsewhere")],
    ["hotel:kubernetes.renderYamlToDirectory", (c: Record<string, any>) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], renderYamlToDirectory: "/tmp/elsewhere" })],
  ] as const) {
    const err = t.throws(() => checkStageFile("staging", stageVariant("staging", edit)), { instanceOf: ConfigError });
    t.true(err!.message.includes(key), `${key}: ${err!.message}`);
  }
});

/** A truncated file-backend checkpoint is restored from its newest valid backup (ops/engine/checkpoint.ts). */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { repairCheckpoint } from "../../ops/engine/checkpoint";
import { tempDir } from "../fixtures/files";

function state(checkpoint: string, bak?: string, backups: Record<string, string> = {}): { dir: string; file: string } {
  const dir = tempDir("state");
  const stacks = path.join(dir, ".pulumi", "stacks", "hotel");
  fs.mkdirSync(stacks, { recursive: true });
  const file = path.join(stacks, "staging.json");
  fs.writeFileSync(file, checkpoint);
  if (bak !== undefined) fs.writeFileSync(`${file}.bak`, bak);
  const b = path.join(dir, ".pulumi", "backups", "hotel", "staging");
  fs.mkdirSync(b, { recursive: true });
  for (const [name, text] of Object.entries(backups)) fs.writeFileSync(path.join(b, name), text);
  return { dir, file };
}

test("a valid checkpoint is left alone", (t) => {
  const s = state('{"version": 3}', '{"version": 2}');
  t.is(repairCheckpoint(s.dir, "hotel", "staging"), undefined);
  t.is(fs.readFileSync(s.file, "utf8"), '{"version": 3}');
});

test("a truncated checkpoint is restored from the previous one, and kept aside", (t) => {
  const s = state('{"version": 3, "checkpoint": {"lat', '{"version": 3, "checkpoint": {}}');
  t.is(repairCheckpoint(s.dir, "hotel", "staging"), `${s.file}.bak`);
  t.is(fs.readFileSync(s.file, "utf8"), '{"version": 3, "checkpoint": {}}');
  t.is(fs.readdirSync(path.dirname(s.file)).filter((f) => f.includes(".broken-")).length, 1);
});

test("with a truncated .bak too, the newest valid backup is used; with none, a clear error", (t) => {
  const s = state("{", "{", { "staging.1.json": '{"n": 1}' });
  t.regex(repairCheckpoint(s.dir, "hotel", "staging")!, /staging\.1\.json$/);
  t.is(fs.readFileSync(s.file, "utf8"), '{"n": 1}');
  const none = state("{", "{");
  t.throws(() => repairCheckpoint(none.dir, "hotel", "staging"), { message: /is truncated and no valid backup exists/ });
});

test("never a checkpoint older than the newest valid one: a dated backup newer than the .bak wins", (t) => {
  const s = state("{", '{"n": "bak"}', { "staging.1.json": '{"n": "older"}', "staging.2.json": '{"n": "newest"}' });
  const backups = path.join(s.dir, ".pulumi", "backups", "hotel", "staging");
  const at = (file: string, secondsAgo: number) => fs.utimesSync(file, new Date(Date.now() - secondsAgo * 1000), new Date(Date.now() - secondsAgo * 1000));
  at(path.join(backups, "staging.1.json"), 300);
  at(`${s.file}.bak`, 200);
  at(path.join(backups, "staging.2.json"), 100);
  t.regex(repairCheckpoint(s.dir, "hotel", "staging")!, /staging\.2\.json$/);
  t.is(fs.readFileSync(s.file, "utf8"), '{"n": "newest"}');
});

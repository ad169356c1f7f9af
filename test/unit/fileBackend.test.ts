/**
 * The driver reads a local file backend's stack from its files (ops/engine/fileBackend.ts)
 * only when they are in the form the pinned CLI writes; anything else reads as unknown and
 * the CLI is asked. test/engine/engine.test.ts compares the two readings on real stacks.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { checkpointState, checkpointTags, fileBackendDir } from "../../ops/engine/fileBackend";
import { tempDir } from "../fixtures/files";

const RESOURCES = [{ urn: "urn:pulumi:dev::hotel::pulumi:pulumi:Stack::hotel-dev", type: "pulumi:pulumi:Stack" }];

/** A state folder holding the dev stack's checkpoint text and, when given, its tags file text. */
function stateWith(checkpoint: string | undefined, tags?: string): string {
  const dir = tempDir("file-backend");
  const stacks = path.join(dir, ".pulumi", "stacks", "hotel");
  fs.mkdirSync(stacks, { recursive: true });
  if (checkpoint !== undefined) fs.writeFileSync(path.join(stacks, "dev.json"), checkpoint);
  if (tags !== undefined) fs.writeFileSync(path.join(stacks, "dev.pulumi-tags"), tags);
  return dir;
}

const valid = JSON.stringify({ version: 3, checkpoint: { stack: "dev", latest: { manifest: {}, resources: RESOURCES } } });

const stateCases: { name: string; checkpoint?: string; state: unknown }[] = [
  { name: "no checkpoint (no stack, or another layout)", state: undefined },
  { name: "a deployed stack", checkpoint: valid, state: { version: 3, deployment: { manifest: {}, resources: RESOURCES } } },
  { name: "a stack just created, no deployment yet", checkpoint: '{"version":3,"checkpoint":{"stack":"dev","latest":null}}', state: { version: 3, deployment: {} } },
  { name: "a checkpoint cut off mid-write", checkpoint: valid.slice(0, 40), state: undefined },
  { name: "another checkpoint version", checkpoint: '{"version":4,"checkpoint":{"latest":{}}}', state: undefined },
  { name: "no checkpoint object", checkpoint: '{"version":3}', state: undefined },
  { name: "a latest deployment that is not an object", checkpoint: '{"version":3,"checkpoint":{"latest":[]}}', state: undefined },
];

for (const c of stateCases) {
  test(`the state from the checkpoint: ${c.name}`, (t) => {
    t.deepEqual(checkpointState(stateWith(c.checkpoint), "hotel", "dev"), c.state);
  });
}

const tagCases: { name: string; checkpoint?: string; tags?: string; read: unknown }[] = [
  { name: "a stack with no tags file has none", checkpoint: valid, read: {} },
  { name: "the stack's own tags", checkpoint: valid, tags: '{"version":1,"tags":{"hotel:adopted-namespace":"hotel-staging"}}', read: { "hotel:adopted-namespace": "hotel-staging" } },
  { name: "no checkpoint: unknown, not empty", tags: '{"version":1,"tags":{"a":"b"}}', read: undefined },
  { name: "another tags version", checkpoint: valid, tags: '{"version":2,"tags":{}}', read: undefined },
  { name: "a tags file cut off mid-write", checkpoint: valid, tags: '{"version":1,"ta', read: undefined },
];

for (const c of tagCases) {
  test(`the tags from the files: ${c.name}`, (t) => {
    t.deepEqual(checkpointTags(stateWith(c.checkpoint, c.tags), "hotel", "dev"), c.read);
  });
}

test("only a plain local file backend is read from its files", (t) => {
  t.is(fileBackendDir("file:///work/main/.pulumi-state"), "/work/main/.pulumi-state");
  t.is(fileBackendDir("file://"), undefined);
  t.is(fileBackendDir("file:///srv/state?no_tmp_dir=true"), undefined);
  t.is(fileBackendDir("s3://team-bucket/hotel"), undefined);
  t.is(fileBackendDir("https://api.pulumi.com"), undefined);
});

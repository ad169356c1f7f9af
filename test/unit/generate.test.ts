/** The committed rendered/<stage>/artifacts are what the program renders now. */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { changedFiles, snapshot, tempDir } from "../fixtures/files";
import { PROJECT_DIR, stageConfig } from "../../config/stages";
import { STAGES } from "../../contract/project";
import { contractDocWithTable, projectFileWithSchema, writeArtifacts } from "../../ops/generate";
import { renderAppEnv } from "../../render/appEnv";

/** Five quick-win artifacts and the dashboard; a Docker stage adds Grafana's two provisioning files. */
const ARTIFACTS: Record<string, number> = { dev: 8, staging: 6, prod: 6 };

for (const stage of STAGES) {
  test.serial(`rendered/${stage}/artifacts is up to date`, async (t) => {
    const root = tempDir("artifacts");
    const written = await writeArtifacts(stage, root);
    t.is(written.length, ARTIFACTS[stage]);
    const fresh = snapshot(path.join(root, stage, "artifacts"));
    const committed = snapshot(path.join(PROJECT_DIR, "rendered", stage, "artifacts"));
    t.deepEqual(changedFiles(committed, fresh), [], `stale: run npm run generate`);
    t.notRegex(fs.readFileSync(path.join(root, stage, "artifacts", "app.env"), "utf8"), /PASSWORD/);
  });
}

test("Pulumi.yaml declares exactly the schema's keys, types, defaults and descriptions", (t) => {
  const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
  t.is(text, projectFileWithSchema(text), "Pulumi.yaml is out of step with config/schema.ts: run npm run generate");
  // No password key: the program owns the password, so the stock CLI asks for none (a declared key without a default is required).
  t.notRegex(text, /postgresPassword|passwordRotation/);
});

test("docs/APP_CONTRACT.md's table is the renderer's variable list, and every rendered variable is in it", (t) => {
  const text = fs.readFileSync(path.join(PROJECT_DIR, "docs", "APP_CONTRACT.md"), "utf8");
  t.is(text, contractDocWithTable(text), "docs/APP_CONTRACT.md is stale: run npm run generate");
  for (const stage of STAGES) {
    for (const name of Object.keys(renderAppEnv(stageConfig(stage)))) t.true(text.includes(`| \`${name}\` |`), `${stage}: ${name}`);
  }
});

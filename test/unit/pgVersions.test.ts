/** The real-server tests run PostgreSQL 15; the stages deploy 14: every behaviour they rely on is in 14. */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { stageConfig } from "../../config/stages";
import { STAGES } from "../../contract/project";
import { PG_BEHAVIOURS } from "../fixtures/pgVersions";

const majorOf = (image: string) => Number(/:(\d+)/.exec(image)?.[1]);

test("every stage deploys PostgreSQL 14 (a 14 data directory will not start under 15: the major version is never changed here)", (t) => {
  for (const stage of STAGES) t.is(majorOf(stageConfig(stage).images.postgres), 14, stage);
});

test("every behaviour the real-server tests rely on exists in the deployed major version, and names a test that shows it", (t) => {
  const deployed = majorOf(stageConfig("prod").images.postgres);
  const tests = fs.readFileSync(path.join(__dirname, "..", "real", "postgres.test.ts"), "utf8");
  for (const b of PG_BEHAVIOURS) {
    t.true(b.sinceMajor <= deployed, `${b.behaviour} needs ${b.sinceMajor}`);
    t.true(tests.includes(JSON.stringify(b.shownBy)), `no test titled ${JSON.stringify(b.shownBy)}`);
  }
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "POSTGRES_VERSIONS.md"), "utf8");
  for (const b of PG_BEHAVIOURS) t.true(doc.includes(b.behaviour), `docs/POSTGRES_VERSIONS.md lacks: ${b.behaviour}`);
});

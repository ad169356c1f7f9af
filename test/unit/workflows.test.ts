/**
 * The CI workflows users get (.github/workflows): actionlint passes, and every `run:` step
 * is `npm ci` or `npm run` of a script that exists, the same scripts the tests run.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../config/stages";
import { stageChanged } from "../../ops/changed";

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts);

/** The run steps of a workflow that are not `npm ci` or `npm run <existing script>`. */
export function foreignSteps(workflow: any, known: string[]): string[] {
  const bad: string[] = [];
  for (const [job, spec] of Object.entries<any>(workflow.jobs ?? {})) {
    for (const step of spec.steps ?? []) {
      if (step.run === undefined) continue;
      const run = String(step.run).trim();
      const m = /^npm run ([\w:-]+)(?: -- .*)?$/.exec(run);
      if (run !== "npm ci" && !(m && known.includes(m[1]))) bad.push(`${job}: ${run}`);
    }
  }
  return bad;
}

test("every run step is npm ci or npm run of a script that exists", (t) => {
  let steps = 0;
  for (const f of files) {
    const wf = parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"));
    steps += Object.values<any>(wf.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => s.run).length;
    t.deepEqual(foreignSteps(wf, scripts), [], f);
  }
  t.true(steps >= 10);
  // The check itself: a shell line, or a script that does not exist, is caught.
  t.deepEqual(foreignSteps({ jobs: { a: { steps: [{ run: "echo $SECRET" }, { run: "npm run nope -- --x" }, { run: "npm run up -- --stack prod" }] } } }, scripts), [
    "a: echo $SECRET",
    "a: npm run nope -- --x",
  ]);
});

test("deploys run staging then prod, prod behind the protected environment, one run per stage at a time, never dev", (t) => {
  const wf = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
  t.deepEqual(Object.keys(wf.jobs), ["staging", "prod"]);
  t.is(wf.jobs.prod.needs, "staging");
  t.is(wf.jobs.prod.environment, "production");
  for (const stage of ["staging", "prod"]) t.deepEqual(wf.jobs[stage].concurrency, { group: `deploy-${stage}`, "cancel-in-progress": false });
  t.notRegex(JSON.stringify(wf), /--stack dev/);
});

test("a change concerns a stage through its own file or shared code, never through another stage's file or the docs", (t) => {
  t.true(stageChanged("prod", ["Pulumi.prod.yaml"]));
  t.false(stageChanged("prod", ["Pulumi.staging.yaml"]));
  t.true(stageChanged("prod", ["render/redisConf.ts"]), "shared code counts for every stage");
  t.false(stageChanged("staging", ["docs/ROLLOUT.md", "README.md", "rendered/prod/manifests/x.yaml"]));
  t.true(stageChanged("staging", ["README.md", "components/hotelStack.ts"]));
});

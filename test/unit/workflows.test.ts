/**
 * The CI workflows users get (.github/workflows): every `run:` step is `npm ci` or `npm
 * run` of a script that exists (the same scripts the tests run); least privilege (no
 * job that runs the branch's code holds a credential that changes a stage); deploys
 * against the commit each stage last deployed; the stock Pulumi release on GitHub.
 * actionlint runs in test/real/actionlint.test.ts.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../config/stages";
import { changedSinceDeployed, stageChanged } from "../../ops/changed";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

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

const workflow = (name: string) => parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8"));
const secretsIn = (x: unknown) => (JSON.stringify(x ?? {}).match(/secrets\.[A-Z_]+/g) ?? []).sort();

test("pull requests: the jobs that run the branch's code hold no credential that changes a stage; only the comment job may write, and it runs no branch code", (t) => {
  const wf = workflow("pull-request.yml");
  t.deepEqual(wf.permissions, { contents: "read" });
  t.deepEqual(secretsIn(wf.env), [], "no secret at the workflow level");
  t.deepEqual(secretsIn(wf.jobs.checks), [], "the checks (npm ci, tests, summary) get no secret");
  t.is(wf.jobs.checks.permissions, undefined, "the checks keep the read-only token");
  t.deepEqual(wf.jobs.comment.permissions, { "pull-requests": "write" });
  t.deepEqual(
    wf.jobs.comment.steps.map((s: { uses?: string; run?: string }) => s.uses ?? `run: ${s.run}`),
    ["actions/download-artifact@v4", "marocchino/sticky-pull-request-comment@v2"],
    "the job that may write checks out nothing and runs nothing",
  );
  t.is(wf.jobs.preview.environment, "preview", "previews, which read the state, wait for a maintainer's approval");
  t.deepEqual(secretsIn(wf.jobs.preview), ["secrets.HOTEL_BACKEND_URL", "secrets.PULUMI_CONFIG_PASSPHRASE"], "no kubeconfig: the provider previews from inputs");
});

test("deploys compare with the commit each stage last deployed, record it on success, and hold each stage's kubeconfig in its own environment only", (t) => {
  const wf = workflow("deploy.yml");
  t.notRegex(JSON.stringify(wf), /event\.before/);
  t.deepEqual(secretsIn(wf.env), []);
  for (const [job, kubeconfig] of [
    ["staging", "secrets.KUBECONFIG_STAGING"],
    ["prod", "secrets.KUBECONFIG_PROD"],
  ]) {
    const steps = wf.jobs[job].steps;
    t.is(steps.find((s: { id?: string }) => s.id === "changed").run, `npm run changed -- --stack ${job} --since-deployed`);
    const upStep = steps.find((s: { run?: string }) => s.run === `npm run up -- --stack ${job}`);
    t.deepEqual(upStep.env, { HOTEL_KUBECONFIG_DATA: `\${{ ${kubeconfig} }}`, HOTEL_DEPLOY_COMMIT: "${{ github.sha }}" });
    t.deepEqual(secretsIn(wf.jobs[job]), [kubeconfig, "secrets.HOTEL_BACKEND_URL", "secrets.PULUMI_CONFIG_PASSPHRASE"].sort());
  }
});

test("on GitHub the engine is the stock Pulumi release (pulumi/actions at the SDK's version), never the offline source build", (t) => {
  const version = require("@pulumi/pulumi/package.json").version as string;
  let engineJobs = 0;
  for (const f of files) {
    for (const [name, job] of Object.entries<any>(workflow(f).jobs)) {
      const runsEngine = job.steps.some((s: { run?: string }) => /^npm run (preview|up) /.test(s.run ?? ""));
      t.false(
        job.steps.some((s: { uses?: string }) => s.uses?.startsWith("actions/setup-go")),
        `${f} ${name}: no Go toolchain`,
      );
      if (!runsEngine) continue;
      engineJobs++;
      t.is(job.env.HOTEL_TOOLCHAIN, "installed", `${f} ${name}`);
      t.deepEqual(job.steps.find((s: { uses?: string }) => s.uses === "pulumi/actions@v6")?.with, { "pulumi-version": version }, `${f} ${name}`);
    }
  }
  t.is(engineJobs, 3);
});

/** A repository whose history is: A (deployed), B (the stage's file; its deploy was cancelled), C (docs only). */
function cancelledDeployHistory(): { dir: string; A: string; B: string; C: string } {
  const dir = tempDir("history");
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q");
  const commit = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
    git("add", "-A");
    git("commit", "-qm", file);
    return git("rev-parse", "HEAD");
  };
  const A = commit("Pulumi.staging.yaml", "config: {}\n");
  const B = commit("Pulumi.staging.yaml", "config: {hotel:redis: {maxmemoryPolicy: allkeys-lfu}}\n");
  const C = commit("docs/ROLLOUT.md", "notes\n");
  return { dir, A, B, C };
}

test("since the last deployed commit: a merge whose deploy was cancelled is still deployed by the next run (the push's `before` would skip it)", (t) => {
  const h = cancelledDeployHistory();
  t.deepEqual(changedSinceDeployed("staging", h.A, h.dir), { changed: true, why: `stage staging last deployed ${h.A}; a change since concerns it` });
  t.false(stageChanged("staging", execFileSync("git", ["diff", "--name-only", h.B, h.C], { cwd: h.dir, encoding: "utf8" }).split("\n").filter(Boolean)), "what github.event.before gives");
  t.false(changedSinceDeployed("prod", h.A, h.dir).changed, "another stage's file and docs do not concern prod");
  t.false(changedSinceDeployed("staging", h.C, h.dir).changed, "deployed at HEAD: nothing to do");
  t.deepEqual(changedSinceDeployed("staging", undefined, h.dir), { changed: true, why: "stage staging records no deployed commit (never deployed by CI, or changed by hand since)" });
  const foreign = "0123456789abcdef0123456789abcdef01234567";
  t.deepEqual(changedSinceDeployed("staging", foreign, h.dir), { changed: true, why: `stage staging last deployed ${foreign}, which is not in this branch's history` });
});

test("a fork's pull request: the preview says why it cannot run and ends cleanly; the same empty secrets elsewhere are an error", (t) => {
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [...TS_ENTRY_ARGS, path.join(PROJECT_DIR, "ops", "engineCommand.ts"), "preview", "--stack", "staging"], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      env: { ...process.env, CI: "true", HOTEL_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "", HOTEL_STATE_DIR: path.join(tempDir("fork"), "state"), ...env },
    });
  const fork = run({ HOTEL_FORK_PULL_REQUEST: "true" });
  t.is(fork.status, 0, fork.stderr);
  t.regex(fork.stdout, /^::notice::this pull request comes from a fork, and GitHub gives a fork's workflows no secrets: no preview/);
  const own = run({ HOTEL_FORK_PULL_REQUEST: "false" });
  t.is(own.status, 2, own.stderr);
  t.regex(own.stderr, /HOTEL_BACKEND_URL is set but empty/);
});

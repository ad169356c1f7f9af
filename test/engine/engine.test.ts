/**
 * The real engine (pulumi CLI v3.248.0, our Node.js language host and the Kubernetes
 * provider, built by scripts/toolchain.sh) driven through ops/engine, the
 * Automation API driver behind `npm run preview|up|render`. Assertions are on typed
 * results: change summaries, step events and policy events. Kubernetes stages, in
 * render mode or preview (no cluster here).
 */
import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import test from "ava";
import { parse } from "yaml";
import { PROJECT_DIR, readStageConfig } from "../../config/stages";
import { ConfigError } from "../../config/validate";
import { EngineCommandFailed, openStage, preview, removeLocalStacks, statePassword, up } from "../../ops/engine";
import { resolveStateDir } from "../../ops/engine/options";
import { checkpointState, checkpointTags } from "../../ops/engine/fileBackend";
import { PROJECT } from "../../contract/project";
import { describeTarget, recordTarget } from "../../ops/engine/target";
import { privateRenderDir } from "../../ops/engine/renderFolder";
import { EVENT_LOG_PREFIX, sweepEventLogs } from "../../ops/engine/engineRun";
import { changedSteps, freshState, observe, stageVariant, tempStateDir } from "../fixtures/engine";
import { changedFiles, snapshot, tempDir } from "../fixtures/files";
import { killWithEnv } from "../fixtures/processes";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";
import { toolchainBin } from "../../ops/engine/toolchain";

const K8S_STAGES = ["staging", "prod"];

/** What the engine must create: each Kubernetes stage's 39 resources (test/program/program.test.ts) and the stack itself. */
const STATE_RESOURCES = 40;

for (const stage of K8S_STAGES) {
  test.serial(`preview of ${stage} with the policy pack: exactly the program's resources to create, no policy event`, async (t) => {
    const { observed, options } = observe();
    const result = await preview({ ...freshState(stage), ...options });
    t.deepEqual(result.changeSummary, { create: STATE_RESOURCES });
    t.deepEqual(
      observed.policies.filter((p) => p.level === "mandatory"),
      [],
    );
    t.regex(observed.output.join(""), /Policy Packs run:[\s\S]*hotel-quick-wins/);
  });
}

test.serial("a mandatory violation stops the real preview: one policy event per unprotected StatefulSet and the Namespace", async (t) => {
  const { observed, options } = observe();
  const stageFile = stageVariant("prod", (c) => (c["hotel:kubernetes"].protectStateful = false));
  await t.throwsAsync(preview({ ...freshState("prod", { stageFile }), ...options }), { instanceOf: EngineCommandFailed });
  const mandatory = observed.policies.filter((p) => p.level === "mandatory");
  t.deepEqual(
    mandatory.map((p) => p.policy),
    ["stateful-protected", "stateful-protected", "stateful-protected"],
  );
  t.deepEqual(mandatory.map((p) => p.urn!.split("::").pop()).sort(), ["namespace", "postgres", "redis"]);
  t.true(mandatory.every((p) => /is not protected in prod/.test(p.message)));
});

test.serial("a bad config stops the driver before the engine starts, naming key, value and allowed values", async (t) => {
  const stageFile = stageVariant("staging", (c) => (c["hotel:redis"].maxmemoryPolicy = "lfu"));
  const { observed, options } = observe();
  const err = await t.throwsAsync(preview({ ...freshState("staging", { stageFile }), ...options }), { instanceOf: ConfigError });
  t.regex(err!.message, /hotel:redis\.maxmemoryPolicy: "lfu" is not allowed; allowed values: noeviction, allkeys-lru, allkeys-lfu/);
  t.deepEqual(observed.output, [], "the engine never ran");
});

test.serial("the program's own check under the real engine: the clean message, no stack trace, no resource", async (t) => {
  const stageFile = stageVariant("staging", (c) => (c["hotel:redis"].maxmemoryPolicy = "lfu"));
  const { observed, options } = observe();
  await t.throwsAsync(preview({ ...freshState("staging", { stageFile }), ...options, preflight: false }), { instanceOf: EngineCommandFailed });
  const text = observed.errors.join("");
  t.regex(text, /Invalid stack configuration \(1 problem\); no resource was registered:\n\s+- hotel:redis\.maxmemoryPolicy: "lfu" is not allowed/);
  t.notRegex(text, /\n\s+at \S+ \(/, "no stack trace");
  t.notRegex(text, /problems: \[|\u001b\[/, "no object dump, no colour codes");
  t.deepEqual(
    [...observed.steps.keys()].map((urn) => urn.split("::")[2]),
    ["pulumi:pulumi:Stack"],
    "nothing but the stack itself",
  );
});

test.serial("npm run preview with a bad stage file: exit 2 and the same clean message", (t) => {
  const stageFile = stageVariant("staging", (c) => (c["hotle:redis"] = c["hotel:redis"]));
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", "preview", "--stack", "staging"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, HOTEL_STAGE_FILE: stageFile, HOTEL_STATE_DIR: tempDir("state") },
  });
  t.is(res.status, 2, res.stderr);
  t.regex(res.stderr, /hotle:redis: unknown namespace "hotle"; the stack's keys are "hotel:<key>"/);
  t.notRegex(res.stderr, /\n\s+at /);
});

test.serial("npm run up with no kubeconfig and CI set: exit 2, and the local cluster is never started", (t) => {
  const home = tempDir("home");
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", "up", "--stack", "staging"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, HOME: home, CI: "true", KUBECONFIG: "", HOTEL_STATE_DIR: tempDir("state") },
  });
  t.is(res.status, 2, res.stderr);
  t.regex(res.stderr, /no kubeconfig for stage staging: set KUBECONFIG.*never used when CI is set or the state backend is shared/);
  t.false(fs.existsSync(path.join(home, ".cache", "hotel-stack", "local-cluster")));
});

for (const stage of K8S_STAGES) {
  test.serial(`render of ${stage}: the committed rendered/${stage}/manifests is current; a second up changes nothing`, async (t) => {
    const opts = freshState(stage, { renderDir: tempDir("render") });
    // A live stack of the same stage in the same state folder: render must not touch it.
    await preview(opts.renderDir ? { ...opts, renderDir: undefined } : opts);
    const liveCheckpoint = () => fs.readFileSync(path.join(opts.stateDir!, ".pulumi", "stacks", "hotel", `${stage}.json`), "utf8");
    const live = liveCheckpoint();
    const first = await up(opts);
    t.deepEqual(first.summary.resourceChanges, { create: STATE_RESOURCES });
    t.is(liveCheckpoint(), live, "the live stack's state is untouched: render has its own");
    const committed = snapshot(path.join(PROJECT_DIR, "rendered", stage, "manifests"));
    t.true(Object.keys(committed).length > 10);
    t.deepEqual(changedFiles(committed, snapshot(opts.renderDir!)), [], `rendered/${stage}/manifests is stale: run npm run render -- --stack ${stage}`);
    const second = await up(opts, { expectNoChanges: true });
    t.deepEqual(second.summary.resourceChanges, { same: STATE_RESOURCES });
  });
}

const leaks = (dir: string, secret: string) => {
  const b64 = Buffer.from(secret).toString("base64");
  return Object.keys(snapshot(dir)).filter((f) => {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    return text.includes(secret) || text.includes(b64);
  });
};

test.serial("no secret value reaches a rendered file, even when the update fails", async (t) => {
  const password = "engine-test-secret-3b1f9e";
  const opts = freshState("staging", { renderDir: tempDir("render") });
  await up({ ...opts, password });
  const files = Object.keys(snapshot(opts.renderDir!));
  t.deepEqual(leaks(opts.renderDir!, password), []);
  // A rotation's begin with --expect-no-changes fails after the provider has written files (the new password included).
  await t.throwsAsync(up({ ...opts, rotation: "begin" }, { expectNoChanges: true }), { instanceOf: EngineCommandFailed });
  const next = await statePassword(opts);
  t.truthy(next);
  t.not(next, password, "the rotation's password reached the Secret");
  t.deepEqual(leaks(opts.renderDir!, next!), []);
  const secret = parse(
    fs.readFileSync(
      path.join(
        opts.renderDir!,
        files.find((f) => f.includes("secret") && f.includes("postgres-credentials"))!,
      ),
      "utf8",
    ),
  );
  t.is(secret.kind, "Secret");
  t.is(secret.data, undefined);
  t.is(secret.metadata.annotations["hotel-reservation/redacted-keys"], "database,password,username");
  // The committed tree holds only Secrets without data too (the owner's and the app's credentials, the app role's verifier, Redis's password, the webhook URLs).
  for (const stage of K8S_STAGES) {
    const dir = path.join(PROJECT_DIR, "rendered", stage, "manifests");
    const secrets = Object.keys(snapshot(dir)).filter((x) => x.includes("secret"));
    t.is(secrets.length, 5, stage);
    for (const f of secrets) {
      const doc = parse(fs.readFileSync(path.join(dir, f), "utf8"));
      t.is(doc.data ?? doc.stringData, undefined, f);
    }
  }
});

test.serial("round trip: quick win 4 in staging updates the database, replaces the reconcile script and Job, and gives the exporter its statements query; reverting restores the tree", async (t) => {
  const opts = freshState("staging", { renderDir: tempDir("render") });
  await up(opts);
  const before = snapshot(opts.renderDir!);

  const dev = readStageConfig("dev");
  const stageFile = stageVariant("staging", (c) => (c["hotel:postgres"] = dev["hotel:postgres"]));
  const { observed, options } = observe();
  const on = await up({ ...opts, stageFile, ...options });
  t.deepEqual(changedSteps(observed.steps), {
    create: ["hotel:index:HotelStack$hotel:index:PostgresDatabase$kubernetes:core/v1:ConfigMap::postgres-exporter-queries"],
    update: ["hotel:index:HotelStack$hotel:index:PostgresDatabase$kubernetes:apps/v1:StatefulSet::postgres"],
    replace: [
      "hotel:index:HotelStack$hotel:index:PostgresDatabase$kubernetes:batch/v1:Job::postgres-reconcile",
      "hotel:index:HotelStack$hotel:index:PostgresDatabase$kubernetes:core/v1:ConfigMap::postgres-reconcile",
    ],
  });
  t.is(on.summary.resourceChanges?.create, 1);
  t.is(on.summary.resourceChanges?.update, 1);
  t.is(on.summary.resourceChanges?.replace, 2);
  const changed = changedFiles(before, snapshot(opts.renderDir!));
  t.true(changed.includes("1-manifest/apps_v1-statefulset-hotel-staging-postgres.yaml"));
  t.true(changed.includes("1-manifest/v1-configmap-hotel-staging-postgres-exporter-queries.yaml"));
  t.is(changed.length, 6, changed.join("\n"));
  const sts = fs.readFileSync(path.join(opts.renderDir!, "1-manifest/apps_v1-statefulset-hotel-staging-postgres.yaml"), "utf8");
  t.regex(sts, /shared_preload_libraries=pg_stat_statements/);

  await up(opts);
  t.deepEqual(snapshot(opts.renderDir!), before);
});

test.serial("volumes only grow: a smaller postgresStorage than the stack's is refused before the engine runs; a larger one applies", async (t) => {
  const opts = freshState("staging", { renderDir: tempDir("render") });
  await up(opts);
  const smaller = stageVariant("staging", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], postgresStorage: "10Gi" }));
  const { observed, options } = observe();
  const err = await t.throwsAsync(up({ ...opts, stageFile: smaller, ...options }), { instanceOf: ConfigError });
  t.regex(err!.message, /hotel:kubernetes\.postgresStorage: "10Gi" is not allowed; the stack's volume is 20Gi and volumes only grow/);
  t.deepEqual(observed.output, [], "the engine never ran");
  const larger = stageVariant("staging", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], postgresStorage: "30Gi" }));
  const grown = await up({ ...opts, stageFile: larger });
  t.is(grown.summary.resourceChanges?.update, 1);
});

/** Every file under dir (node_modules and .git left out) whose text holds the secret or its base64. */
function filesHolding(dir: string, secret: string): string[] {
  const b64 = Buffer.from(secret).toString("base64");
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === ".git") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 5_000_000) {
        const text = fs.readFileSync(p, "utf8");
        if (text.includes(secret) || text.includes(b64)) out.push(path.relative(PROJECT_DIR, p));
      }
    }
  };
  walk(dir);
  return out;
}

test.serial("a render killed with SIGKILL the moment the Secret is written leaves no secret anywhere in the repository", async (t) => {
  // Made at run time, so that no file (this one included) holds it beforehand.
  const password = `sigkill-${randomBytes(12).toString("hex")}`;
  const stateDir = tempStateDir();
  const target = path.join(PROJECT_DIR, "rendered", "sigkill-test");
  const privateDir = privateRenderDir(`file://${stateDir}`, "staging");
  t.false(privateDir.startsWith(PROJECT_DIR), privateDir);
  t.is(fs.statSync(privateDir).mode & 0o777, 0o700);
  const child = spawn(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", "render", "--stack", "staging"], {
    cwd: PROJECT_DIR,
    env: { ...process.env, HOTEL_STATE_DIR: stateDir, HOTEL_RENDER_DIR: target, HOTEL_POSTGRES_PASSWORD: password },
    detached: true,
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  let sawSecret = false;
  for (const until = Date.now() + 120_000; Date.now() < until && !sawSecret; await new Promise((r) => setTimeout(r, 20))) {
    sawSecret = fs.existsSync(privateDir) && filesHolding(privateDir, password).length > 0;
  }
  process.kill(-child.pid!, "SIGKILL");
  t.is(await exited, "SIGKILL");
  // The CLI starts its plugins (language host, providers) in process groups of their own:
  // the group's kill orphans them. The run's password in their environment finds exactly them.
  t.deepEqual(await killWithEnv(`HOTEL_POSTGRES_PASSWORD=${password}`), [], "the killed render's plugins are stopped");
  // The killed driver could not remove its event log; the next run's sweep does (or a run beside this one's already did).
  sweepEventLogs();
  t.deepEqual(
    fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`${EVENT_LOG_PREFIX}${child.pid}-`)),
    [],
    "the killed driver's event log is swept up",
  );
  try {
    t.true(sawSecret, "the provider wrote the Secret (in plain text) before the kill");
    t.deepEqual(filesHolding(PROJECT_DIR, password), [], "no file under the repository holds the password");
    t.notRegex(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.staging.yaml"), "utf8"), /encryptionsalt/, "the kill left no salt in the stage file");
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
});

/**
 * The pulumi calls a command makes, each as its words before the first flag (and
 * --show-secrets, where a call decrypts the state's secrets): the built
 * toolchain's folder with a logging `pulumi` in front of the real one, handed over as an
 * installed toolchain (HOTEL_TOOLCHAIN=installed takes the `pulumi` on PATH; the
 * Kubernetes plugin is already in the project's PULUMI_HOME from the runs above).
 */
function cliCallsOf(args: string[], env: Record<string, string>): string[] {
  const shim = tempDir("cli-shim");
  const log = path.join(shim, "calls.log");
  const real = toolchainBin();
  for (const f of fs.readdirSync(real)) if (f !== "pulumi") fs.symlinkSync(path.join(real, f), path.join(shim, f));
  fs.writeFileSync(path.join(shim, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${real}/pulumi' "$@"\n`, { mode: 0o755 });
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, ...env, HOTEL_TOOLCHAIN: "installed", PATH: `${shim}:${process.env.PATH}` },
  });
  if (res.status !== 0) throw new Error(`${args.join(" ")}: exit ${res.status}\n${res.stderr.slice(-2000)}`);
  return fs
    .readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const words = line.split(" ");
      const flag = words.findIndex((w) => w.startsWith("-"));
      return [...words.slice(0, flag < 0 ? words.length : flag), ...words.filter((w) => w === "--show-secrets")].join(" ");
    });
}

test.serial("a render-mode preview asks the CLI only what it needs: the stack's creation when new, the preview; the state of an existing stack from its file; never the tags", (t) => {
  const env = { HOTEL_STATE_DIR: tempStateDir(), HOTEL_RENDER_DIR: tempDir("render") };
  // The first finds no checkpoint, asks the CLI (the read fails: no stack) and creates it; the second reads the checkpoint it made.
  t.deepEqual(cliCallsOf(["preview", "--stack", "staging"], env), ["stack export", "stack init staging", "preview"]);
  t.deepEqual(cliCallsOf(["preview", "--stack", "staging"], env), ["preview"]);
});

test.serial("a file backend's stack read from its files says what the CLI says: the state as stack export prints it, the stack's own tags as stack tag ls lists them", async (t) => {
  const opts = freshState("staging", { renderDir: tempDir("render") });
  t.is((await up(opts)).summary.result, "succeeded");
  const dir = resolveStateDir(opts);
  await openStage(opts).then((s) => {
    const exported = JSON.parse(s.cli(["stack", "export", "--stack", "staging"]));
    t.is(exported.deployment.resources.length, STATE_RESOURCES);
    t.deepEqual(checkpointState(dir, PROJECT, "staging"), exported);
    const ownTags = () => Object.fromEntries(Object.entries(JSON.parse(s.cli(["stack", "tag", "ls", "--json", "--stack", "staging"]))).filter(([k]) => !k.startsWith("pulumi:")));
    t.deepEqual(ownTags(), {}, "a stack with no tags of its own");
    t.deepEqual(checkpointTags(dir, PROJECT, "staging"), {});
    s.cli(["stack", "tag", "set", "hotel:checked-by", "engine.test", "--stack", "staging"]);
    t.deepEqual(ownTags(), { "hotel:checked-by": "engine.test" });
    t.deepEqual(checkpointTags(dir, PROJECT, "staging"), { "hotel:checked-by": "engine.test" });
  });
});

const committedStageFiles = Object.fromEntries(K8S_STAGES.map((s) => [s, fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${s}.yaml`), "utf8")]));
/**
 * Every write to a committed stage file while this file's engine runs go on (created
 * stacks, renders, ups, the reset). No run may write one, not even for the milliseconds
 * before the driver would put it back: a test or a command that read it meanwhile would
 * find the CLI's salt in it.
 */
const stageFileWrites: string[] = [];
const stageFileWatch = fs.watch(PROJECT_DIR, (event, name) => {
  if (K8S_STAGES.some((s) => name === `Pulumi.${s}.yaml`)) stageFileWrites.push(`${name}: ${event}`);
});
test.after.always(() => stageFileWatch.close());

test.serial("removing the local stacks (npm run cluster -- reset) removes only the stacks whose last change went to the local cluster, and leaves the committed stage files", async (t) => {
  const stateDir = tempDir("state");
  for (const stage of K8S_STAGES) await preview(freshState(stage, { stateDir }));
  const LOCAL = "https://127.0.0.1:6443";
  const kubeconfigOf = (server: string) => {
    const file = path.join(tempDir("kubeconfig"), "config");
    fs.writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n`);
    return file;
  };
  // What openStage records before each change (ops/engine/workspace.ts): staging went to the local cluster, prod to a team's.
  recordTarget(stateDir, "staging", describeTarget({ stage: "staging", kubeconfig: kubeconfigOf(LOCAL) }, { "hotel:platform": "kubernetes" }, {}));
  recordTarget(stateDir, "prod", describeTarget({ stage: "prod", kubeconfig: kubeconfigOf("https://k8s.example.com:6443") }, { "hotel:platform": "kubernetes" }, {}));
  const stacks = path.join(stateDir, ".pulumi", "stacks", "hotel");
  t.deepEqual(
    fs
      .readdirSync(stacks)
      .filter((f) => f.endsWith(".json"))
      .sort(),
    ["prod.json", "staging.json"],
  );
  t.deepEqual(await removeLocalStacks(LOCAL, K8S_STAGES, { stateDir }), { removed: ["staging"], kept: ["prod"] });
  t.deepEqual(
    fs.readdirSync(stacks).filter((f) => f.endsWith(".json")),
    ["prod.json"],
  );
  // A stack with no record is kept too.
  t.deepEqual(await removeLocalStacks(LOCAL, ["dev"], { stateDir }), { removed: [], kept: ["dev"] });
  for (const stage of K8S_STAGES) t.is(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stage}.yaml`), "utf8"), committedStageFiles[stage], stage);
});

test.serial("after every engine run above, the committed stage files are byte for byte as they were (no salt, no reformatting), and no run wrote them even for a moment", (t) => {
  t.deepEqual(stageFileWrites, [], "writes to a committed stage file during the runs above");
  for (const stage of K8S_STAGES) {
    t.is(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stage}.yaml`), "utf8"), committedStageFiles[stage], stage);
    t.notRegex(committedStageFiles[stage], /encryptionsalt/);
  }
});

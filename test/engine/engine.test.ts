/**
 * The real engine: pulumi CLI v3.248.0, our Node.js language host and the Kubernetes
 * provider, all built by scripts/toolchain.sh, with a file backend in a temp folder.
 * Kubernetes stages only: their provider renders YAML instead of needing a cluster.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { parse, stringify } from "yaml";
import { changedFiles, engine, snapshot, tempDir } from "../../lib/engine";
import { PROJECT_DIR } from "../../lib/mockRun";

const K8S_STAGES = ["staging", "prod"];

function variant(stage: string, edit: (config: Record<string, any>) => void): string {
  const doc = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stage}.yaml`), "utf8"));
  edit(doc.config);
  const file = path.join(tempDir("stage"), `Pulumi.${stage}.yaml`);
  fs.writeFileSync(file, stringify(doc));
  return file;
}

for (const stage of K8S_STAGES) {
  test.serial(`pulumi preview --policy-pack policies on ${stage}: passes, with the pack run`, (t) => {
    const run = engine(["preview", "--stack", stage], { stateDir: tempDir("state") });
    t.is(run.status, 0, run.output.slice(-3000));
    t.regex(run.output, /Policy Packs run:[\s\S]*hotel-quick-wins/);
    t.regex(run.output, /\+ 22 to create|\+ 21 to create|to create/);
    t.notRegex(run.output, /mandatory/);
  });
}

test.serial("a mandatory violation stops the real preview, with the policy's message", (t) => {
  const stageFile = variant("prod", (c) => (c["hotel:kubernetes"].protectStateful = false));
  const run = engine(["preview", "--stack", "prod"], { stateDir: tempDir("state"), stageFile });
  t.not(run.status, 0);
  t.regex(run.output, /stateful-protected/);
  t.regex(run.output, /is not protected in prod/);
  t.regex(run.output, /mandatory/);
});

test.serial("a bad config fails the real preview before any resource, naming key and allowed values", (t) => {
  const stageFile = variant("staging", (c) => (c["hotel:redis"].maxmemoryPolicy = "lfu"));
  const run = engine(["preview", "--stack", "staging"], { stateDir: tempDir("state"), stageFile });
  t.not(run.status, 0);
  t.regex(run.output, /hotel:redis\.maxmemoryPolicy: "lfu" is not allowed; allowed values: noeviction, allkeys-lru, allkeys-lfu/);
  t.notRegex(run.output, /kubernetes:apps\/v1:StatefulSet/);
});

for (const stage of K8S_STAGES) {
  test.serial(`the committed rendered/${stage}/manifests is what the engine renders now (not stale); a second up changes nothing`, (t) => {
    const stateDir = tempDir("state");
    const renderDir = tempDir("render");
    const first = engine(["render", "--stack", stage], { stateDir, renderDir });
    t.is(first.status, 0, first.output.slice(-3000));
    const committed = snapshot(path.join(PROJECT_DIR, "rendered", stage, "manifests"));
    t.true(Object.keys(committed).length > 10);
    t.deepEqual(changedFiles(committed, snapshot(renderDir)), [], `rendered/${stage}/manifests is stale: run npm run render -- --stack ${stage}`);
    const second = engine(["render", "--stack", stage, "--expect-no-changes"], { stateDir, renderDir });
    t.is(second.status, 0, second.output.slice(-3000));
    t.regex(second.output, /\d+ unchanged/);
  });
}

const leaks = (dir: string, secret: string) => {
  const b64 = Buffer.from(secret).toString("base64");
  return Object.keys(snapshot(dir)).filter((f) => {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    return text.includes(secret) || text.includes(b64);
  });
};

test.serial("no secret value reaches a rendered file, even when the update fails", (t) => {
  const password = "engine-test-secret-3b1f9e";
  const renderDir = tempDir("render");
  const stateDir = tempDir("state");
  const run = engine(["render", "--stack", "staging"], { stateDir, renderDir, password });
  t.is(run.status, 0, run.output.slice(-3000));
  const files = Object.keys(snapshot(renderDir));
  t.deepEqual(leaks(renderDir, password), []);
  // A changed password with --expect-no-changes fails after the provider has written files.
  const failed = engine(["render", "--stack", "staging", "--expect-no-changes"], { stateDir, renderDir, password: "engine-test-other-9c2d" });
  t.not(failed.status, 0);
  t.deepEqual(leaks(renderDir, "engine-test-other-9c2d"), []);
  const secret = parse(fs.readFileSync(path.join(renderDir, files.find((f) => f.includes("secret"))!), "utf8"));
  t.is(secret.kind, "Secret");
  t.is(secret.data, undefined);
  t.is(secret.metadata.annotations["hotel-reservation/redacted-keys"], "database,password,username");
  // The committed tree holds only Secrets without data too.
  for (const stage of K8S_STAGES) {
    const dir = path.join(PROJECT_DIR, "rendered", stage, "manifests");
    const secrets = Object.keys(snapshot(dir)).filter((x) => x.includes("secret"));
    t.is(secrets.length, 1, stage);
    for (const f of secrets) {
      const doc = parse(fs.readFileSync(path.join(dir, f), "utf8"));
      t.is(doc.data ?? doc.stringData, undefined, f);
    }
  }
});

test.serial("round trip: turning quick win 4 on renders exactly its resources; reverting restores the tree byte for byte", (t) => {
  const stateDir = tempDir("state");
  const renderDir = tempDir("render");
  const base = engine(["render", "--stack", "staging"], { stateDir, renderDir });
  t.is(base.status, 0, base.output.slice(-3000));
  const before = snapshot(renderDir);

  const dev = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")).config;
  const stageFile = variant("staging", (c) => (c["hotel:postgres"] = dev["hotel:postgres"]));
  const on = engine(["render", "--stack", "staging"], { stateDir, renderDir, stageFile });
  t.is(on.status, 0, on.output.slice(-3000));
  const changed = changedFiles(before, snapshot(renderDir));
  t.is(changed.length, 5, changed.join("\n"));
  t.true(changed.includes("1-manifest/apps_v1-statefulset-hotel-staging-postgres.yaml"));
  // The reconcile script and its Job are renamed by checksum: old files go, new ones come.
  t.is(changed.filter((f) => /v1-configmap-hotel-staging-postgres-reconcile-[0-9a-f]{16}\.yaml$/.test(f)).length, 2);
  t.is(changed.filter((f) => /batch_v1-job-hotel-staging-postgres-reconcile-[0-9a-f]{16}\.yaml$/.test(f)).length, 2);
  const sts = fs.readFileSync(path.join(renderDir, "1-manifest/apps_v1-statefulset-hotel-staging-postgres.yaml"), "utf8");
  t.regex(sts, /shared_preload_libraries=pg_stat_statements/);

  const off = engine(["render", "--stack", "staging"], { stateDir, renderDir });
  t.is(off.status, 0, off.output.slice(-3000));
  t.deepEqual(snapshot(renderDir), before);
});

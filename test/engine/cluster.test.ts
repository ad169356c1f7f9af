/**
 * `pulumi up` for real: staging and prod applied to a real Kubernetes API server (the
 * project's local control plane, lab/cluster, with kwok as the node) through the
 * engine driver. What is checked is read back from the API, not from the program's
 * inputs. kwok runs no container: a Job is marked Succeeded without running psql, so
 * this proves the objects and the provider's awaiting; the reconcile SQL itself is
 * proven on real PostgreSQL (test/real/postgres.test.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import test from "ava";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { PROJECT_DIR, readStageConfig, readStageFile, stageConfig } from "../../config/stages";
import { LocalCluster } from "../../lab/cluster";
import { CREDENTIALS_CHECKSUM } from "../../render/credentials";
import { DestroyRefused, EngineOptions, destroy, exportState, preview, refresh, rotatePassword, statePassword, unprotectAll, up } from "../../ops/engine";
import { runStage } from "../../harness/mockRun";
import { recordedEndpoints } from "../../ops/engine/target";
import { changedSteps, freshState, observe, stageVariant } from "../fixtures/engine";
import { amtool, checkConfig, checkRules } from "../fixtures/promtool";
import { tempDir } from "../fixtures/files";
import { jsonpath, liveChanges, liveState, plannedState, releaseTestCluster, startTestCluster, workloadUids } from "../fixtures/liveCluster";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

let cluster: LocalCluster;
const stacks: Record<string, EngineOptions> = {};
const NAMESPACE: Record<string, string> = { staging: "hotel-staging", prod: "hotel-prod" };

test.before(async () => {
  cluster = await startTestCluster();
  for (const stage of ["staging", "prod"]) stacks[stage] = freshState(stage, { kubeconfig: cluster.kubeconfigPath });
});

test.after.always(async () => {
  await releaseTestCluster(cluster);
});

/** Each Kubernetes stage's 39 resources (test/program/program.test.ts) and the stack itself. */
const STATE_RESOURCES = 40;
const ns = (stage: string) => NAMESPACE[stage];
const get = (stage: string, object: string, p: string) => jsonpath(cluster, ns(stage), object, p);

for (const stage of ["staging", "prod"]) {
  test.serial(`${stage}: up creates every resource and the provider's awaiting completes (StatefulSets ready, Job complete, Deployment available)`, async (t) => {
    const result = await up(stacks[stage]);
    t.deepEqual(result.summary.resourceChanges, { create: STATE_RESOURCES });
    // Where the change went is recorded for `cluster reset`.
    t.deepEqual(recordedEndpoints(stacks[stage].stateDir!, stage), [cluster.server]);
    for (const sts of ["redis", "postgres"]) t.is(get(stage, `statefulset/${sts}`, "{.status.readyReplicas}"), "1", sts);
    t.is(get(stage, "deployment/hotel-api", "{.status.conditions[?(@.type=='Available')].status}"), "True");
    const job = cluster.kubectl(["get", "jobs", "-n", ns(stage), "-o", "jsonpath={.items[0].status.succeeded}"]);
    t.is(job, "1");
    const pvcs = cluster.kubectl(["get", "pvc", "-n", ns(stage), "-o", "jsonpath={.items[*].status.phase}"]).split(" ");
    t.deepEqual(pvcs, ["Bound", "Bound"]);
  });

  test.serial(`${stage}: refresh, then preview --expect-no-changes is clean`, async (t) => {
    const refreshed = await refresh(stacks[stage]);
    t.deepEqual(refreshed.summary.resourceChanges, { same: STATE_RESOURCES });
    const plan = await preview(stacks[stage], { expectNoChanges: true });
    t.deepEqual(plan.changeSummary, { same: STATE_RESOURCES });
  });

  test.serial(`${stage}: every rendered manifest passes a server-side dry run with strict field validation`, (t) => {
    const dir = withLiveJobChecksums(path.join(PROJECT_DIR, "rendered", stage, "manifests", "1-manifest"), stage);
    const out = cluster.kubectl(["apply", "--dry-run=server", "--validate=strict", "--server-side", "--force-conflicts", "-f", dir]);
    t.regex(out, /statefulset\.apps\/postgres serverside-applied \(server dry run\)/);
    t.notRegex(out, /unknown field|error/i);
  });
}

test.serial("staging: an operation leaves no copy of the cluster's credentials in the temp folder, and the state records no kubeconfig path", async (t) => {
  // The Kubernetes provider's name for the copy it writes of a kubeconfig it is handed (os.CreateTemp("", "kubeconfig")).
  const copies = () => fs.readdirSync(os.tmpdir()).filter((f) => /^kubeconfig\d+$/.test(f));
  const before = copies();
  await preview(stacks.staging, { expectNoChanges: true });
  await refresh(stacks.staging);
  t.deepEqual(
    copies().filter((f) => !before.includes(f)),
    [],
  );
  const provider = (await exportState(stacks.staging)).deployment.resources.find((r: { type: string }) => r.type === "pulumi:providers:kubernetes");
  t.is(provider.inputs.kubeconfig, "");
});

test.serial("npm run preview of an applied stage is the CLI's own preview (no Automation API): exit 0 with nothing to change; a change under --expect-no-changes exits 1 and is shown", (t) => {
  const npmPreview = (env: Record<string, string>) =>
    spawnSync(process.execPath, [...TS_ENTRY_ARGS, "--require", "./test/fixtures/automationProbe.ts", "ops/engineCommand.ts", "preview", "--stack", "staging", "--expect-no-changes"], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, HOTEL_STATE_DIR: stacks.staging.stateDir!, ...env },
    });
  const clean = npmPreview({});
  t.is(clean.status, 0, clean.stderr);
  t.regex(clean.stdout, /Policy Packs run:\n\s+Name\s+Version\n\s+hotel-quick-wins/);
  t.regex(clean.stdout, /\n\s+40 unchanged\n/);
  t.regex(clean.stderr, /automation api loaded: false/);
  const changed = npmPreview({ HOTEL_STAGE_FILE: stageVariant("staging", (c) => (c["hotel:dbPool"].poolSize = 26)) });
  t.is(changed.status, 1, changed.stderr);
  t.regex(changed.stdout, /DB_POOL_SIZE\s*: "25" => "26"/);
  t.regex(changed.stderr, /no changes were expected for preview but changes were proposed/);
  t.notRegex(changed.stderr, /pulumi preview exited/, "the engine's account only, not the driver's as well");
});

/**
 * The committed manifests with each Job's redacted credentials checksum replaced by the
 * live Job's: the app role Job keeps its name and carries the password's checksum in its
 * (immutable) pod template, which the committed tree redacts (it differs per stack), so
 * the redacted template could never be applied onto the live Job. Everything else is
 * dry-run as committed.
 */
function withLiveJobChecksums(dir: string, stage: string): string {
  const copy = tempDir("manifests");
  for (const file of fs.readdirSync(dir)) {
    const doc = parse(fs.readFileSync(path.join(dir, file), "utf8"));
    const annotations = doc?.kind === "Job" ? doc.spec?.template?.metadata?.annotations : undefined;
    if (annotations?.[CREDENTIALS_CHECKSUM] === "redacted") {
      annotations[CREDENTIALS_CHECKSUM] = get(stage, `job/${doc.metadata.name}`, `{.spec.template.metadata.annotations.hotel-reservation/credentials-checksum}`);
    }
    fs.writeFileSync(path.join(copy, file), stringify(doc));
  }
  return copy;
}

/** A Prometheus and an Alertmanager that select the stack's rules and routing by the labels the stack puts on them. */
function monitoringStack(ruleLabels: Record<string, string>, routingLabels: Record<string, string>): string {
  const objects = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "monitoring" } },
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Prometheus",
      metadata: { name: "hotel", namespace: "monitoring" },
      // Pinned to what Debian's promtool (2.42) checks.
      spec: {
        version: "v2.42.0",
        replicas: 1,
        ruleSelector: { matchLabels: ruleLabels },
        ruleNamespaceSelector: {},
        serviceMonitorSelector: { matchLabels: ruleLabels },
        serviceMonitorNamespaceSelector: {},
      },
    },
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "Alertmanager",
      metadata: { name: "hotel", namespace: "monitoring" },
      spec: { replicas: 1, alertmanagerConfigSelector: { matchLabels: routingLabels }, alertmanagerConfigNamespaceSelector: {} },
    },
  ];
  return objects.map((o) => JSON.stringify(o)).join("\n");
}

function withStaticDiscovery(prometheusYaml: string): string {
  const doc = parse(prometheusYaml);
  for (const job of doc.scrape_configs ?? []) {
    if (!job.kubernetes_sd_configs) continue;
    delete job.kubernetes_sd_configs;
    job.static_configs = [{ targets: ["127.0.0.1:9"] }];
  }
  for (const am of doc.alerting?.alertmanagers ?? []) {
    if (!am.kubernetes_sd_configs) continue;
    delete am.kubernetes_sd_configs;
    am.static_configs = [{ targets: ["127.0.0.1:9"] }];
  }
  return stringify(doc);
}

async function waitForOutput(read: () => string | undefined, what: string, timeoutMs = 60_000): Promise<string> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 500))) {
    const v = read();
    if (v) return v;
  }
  throw new Error(`the operator did not produce ${what} within ${timeoutMs / 1000} s`);
}

const tryGet = (args: string[]) => {
  try {
    return cluster.kubectl(args);
  } catch {
    return undefined;
  }
};

test.serial("staging: the real Prometheus operator picks up the stack's PrometheusRule and AlertmanagerConfig; promtool and amtool accept what it generates", async (t) => {
  // The cluster's Prometheus selects by the labels the stage config names (hotel:kubernetes.monitoringLabels).
  const selected = stageConfig("staging").kubernetes.monitoringLabels;
  const routingLabels = { role: JSON.parse(cluster.kubectl(["get", "alertmanagerconfig/alert-rules-routing", "-n", ns("staging"), "-o", "jsonpath={.metadata.labels}"])).role };
  cluster.startOperator();
  cluster.kubectl(["apply", "-f", "-"], monitoringStack(selected, routingLabels));
  const rulesData = await waitForOutput(() => tryGet(["get", "configmap", "prometheus-hotel-rulefiles-0", "-n", "monitoring", "-o", "jsonpath={.data}"]), "a rule file");
  const files: Record<string, string> = JSON.parse(rulesData);
  const ours = Object.entries(files).filter(([name]) => name.startsWith(`${ns("staging")}-alert-rules-`));
  t.is(ours.length, 1, Object.keys(files).join(", "));
  for (const alert of ["HotelApiP95LatencyHigh", "HotelApiErrorRatioHigh", "HotelCacheMissRatioHigh"]) t.true(ours[0][1].includes(`alert: ${alert}`), alert);
  const rulesChecked = checkRules(ours[0][1]);
  t.is(rulesChecked.status, 0, rulesChecked.output);
  const promConfig = await waitForOutput(() => tryGet(["get", "secret", "prometheus-hotel", "-n", "monitoring", "-o", "jsonpath={.data.prometheus\\.yaml\\.gz}"]), "a Prometheus config");
  const config = gunzipSync(Buffer.from(promConfig, "base64")).toString("utf8");
  t.regex(config, /rule_files:\n- \/etc\/prometheus\/rules\/prometheus-hotel-rulefiles-0\/\*\.yaml/);
  for (const monitor of ["hotel-api", "redis", "postgres"]) t.regex(config, new RegExp(`job_name: serviceMonitor/${ns("staging")}/${monitor}/0`), monitor);
  // Debian's promtool 2.42 is built without Kubernetes service discovery: it refuses
  // kubernetes_sd_configs. Every other field is checked as generated, with each job's
  // discovery swapped for a static target.
  const checked = checkConfig(withStaticDiscovery(config));
  t.is(checked.status, 0, checked.output);
  const amConfig = await waitForOutput(
    () => tryGet(["get", "secret", "alertmanager-hotel-generated", "-n", "monitoring", "-o", "jsonpath={.data.alertmanager\\.yaml\\.gz}"]),
    "an Alertmanager config",
  );
  const routing = gunzipSync(Buffer.from(amConfig, "base64")).toString("utf8");
  t.regex(routing, /hotel-staging\/alert-rules-routing\/pager/);
  t.regex(routing, /https:\/\/alerts\.hotel\.internal\/hooks\/pager/);
  const amChecked = amtool(routing, ["check-config", "{config}"]);
  t.is(amChecked.status, 0, amChecked.output);
});

/** A quick win's block from dev, into a copy of the stage file. */
const withQuickWin = (stage: string, key: string) => stageVariant(stage, (c) => (c[key] = { ...(c[key] ?? {}), ...readStageConfig("dev")[key] }));

const quickWins: [string, string][] = [
  ["prod", "hotel:alerts"],
  ["prod", "hotel:dbPool"],
  ["prod", "hotel:redis"],
  ["staging", "hotel:postgres"],
  ["staging", "hotel:cacheWarming"],
];

for (const [stage, key] of quickWins) {
  test.serial(`${key} on ${stage}: the live objects that change are exactly the planned ones; reverting restores them`, async (t) => {
    const stageFile = withQuickWin(stage, key);
    const planned = liveChanges(plannedState((await runStage(stage)).resources), plannedState((await runStage(stage, { config: readStageFile(stageFile) })).resources));
    const before = liveState(cluster, ns(stage));
    const uids = workloadUids(cluster, ns(stage));
    await up({ ...stacks[stage], stageFile });
    const on = liveState(cluster, ns(stage));
    t.true(planned.length > 0);
    t.deepEqual(liveChanges(before, on), planned);
    t.deepEqual(workloadUids(cluster, ns(stage)), uids, "StatefulSets and the Deployment are updated in place, never replaced");
    await up(stacks[stage]);
    t.deepEqual(liveChanges(before, liveState(cluster, ns(stage))), []);
    t.deepEqual(workloadUids(cluster, ns(stage)), uids);
  });
}

test.serial("drift: redis.conf edited behind the stack's back is reported by refresh and undone by up", async (t) => {
  const patch = (policy: string) => {
    const conf = get("staging", "configmap/redis-conf", "{.data.redis\\.conf}").replace(/^maxmemory-policy .*$/m, `maxmemory-policy ${policy}`);
    cluster.kubectl(["patch", "configmap", "redis-conf", "-n", ns("staging"), "--type", "merge", "-p", JSON.stringify({ data: { "redis.conf": conf } })]);
  };
  patch("allkeys-lru");
  t.regex(get("staging", "configmap/redis-conf", "{.data.redis\\.conf}"), /^maxmemory-policy allkeys-lru$/m, "the drift is there before refresh");
  const { observed, options } = observe();
  const refreshed = await refresh({ ...stacks.staging, ...options });
  t.is(refreshed.summary.resourceChanges?.update, 1);
  t.deepEqual(changedSteps(observed.steps).update, ["hotel:index:HotelStack$hotel:index:RedisCache$kubernetes:core/v1:ConfigMap::redis-conf"]);
  const repaired = await up(stacks.staging);
  t.is(repaired.summary.resourceChanges?.update, 1);
  t.regex(get("staging", "configmap/redis-conf", "{.data.redis\\.conf}"), /^maxmemory-policy allkeys-lfu$/m);
});

test.serial("drift: an index removed from the reconcile script's ConfigMap is put back by up", async (t) => {
  const on = withQuickWin("staging", "hotel:postgres");
  await up({ ...stacks.staging, stageFile: on });
  const name = cluster
    .kubectl(["get", "configmaps", "-n", ns("staging"), "-o", "name"])
    .split("\n")
    .find((n) => n.includes("postgres-reconcile-"))!;
  const sql = get("staging", name, "{.data.reconcile\\.sql}");
  const without = sql
    .split("\n")
    .filter((l) => !l.includes("idx_locks_room_id"))
    .join("\n");
  t.regex(sql, /idx_locks_room_id/, "the script builds the index before the drift");
  cluster.kubectl(["patch", name, "-n", ns("staging"), "--type", "merge", "-p", JSON.stringify({ data: { "reconcile.sql": without } })]);
  t.notRegex(get("staging", name, "{.data.reconcile\\.sql}"), /idx_locks_room_id/, "the drift is there before up");
  await refresh({ ...stacks.staging, stageFile: on });
  await up({ ...stacks.staging, stageFile: on });
  t.is(get("staging", name, "{.data.reconcile\\.sql}"), sql);
  await up(stacks.staging);
});

test.serial(
  "staging: rotate-password runs the rotation Job before the Secret changes, leaves the app's pods (they log in as hotel_app), keeps the new password in the state, then removes the Job",
  async (t) => {
    const before = await statePassword(stacks.staging);
    const podChecksum = () => get("staging", "deployment/hotel-api", `{.spec.template.metadata.annotations.hotel-reservation/credentials-checksum}`);
    const checksumBefore = podChecksum();
    const order: string[] = [];
    const onEvent = (e: EngineEvent) => {
      const m = e.resOutputsEvent?.metadata;
      if (m && m.op !== "same") order.push(`${m.op} ${m.urn.split("::").pop()}`);
    };
    const { rotated } = await rotatePassword({ ...stacks.staging, onEvent });
    t.is(rotated.summary.result, "succeeded");
    const after = await statePassword(stacks.staging);
    t.regex(after ?? "", /^[0-9a-f]{48}$/);
    t.not(after, before);
    t.is(Buffer.from(get("staging", "secret/postgres-credentials", "{.data.password}"), "base64").toString(), String(after));
    // The role first (the Job, which kwok marks succeeded without running psql: the SQL is proven in test/real/rotation.test.ts), then the Secret.
    const job = order.indexOf("create postgres-rotate-password");
    const secret = order.indexOf("update postgres-credentials");
    t.true(job >= 0 && secret > job, order.join(", "));
    t.is(podChecksum(), checksumBefore, "the app's pods do not roll: the owner's password is not theirs");
    const leftovers = cluster
      .kubectl(["get", "jobs,secrets,configmaps", "-n", ns("staging"), "-o", "name"])
      .split("\n")
      .filter((n) => n.includes("rotate-password"));
    t.deepEqual(leftovers, []);
  },
);

test.serial("staging: growing postgresStorage patches the live claim in place; the StatefulSet keeps its UID", async (t) => {
  const uid = get("staging", "statefulset/postgres", "{.metadata.uid}");
  const stageFile = stageVariant("staging", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], postgresStorage: "30Gi" }));
  const { observed, options } = observe();
  await up({ ...stacks.staging, stageFile, ...options });
  t.deepEqual(changedSteps(observed.steps), { update: ["hotel:index:HotelStack$hotel:index:PostgresDatabase$kubernetes:core/v1:PersistentVolumeClaimPatch::postgres-data-size"] });
  t.is(get("staging", "statefulset/postgres", "{.metadata.uid}"), uid);
  t.is(get("staging", "pvc/data-postgres-0", "{.spec.resources.requests.storage}"), "30Gi");
  t.is(get("staging", "statefulset/postgres", "{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}"), "20Gi", "the template stays as created");
});

test.serial("prod: destroy is refused while the StatefulSets and Namespace are protected", async (t) => {
  const live = liveState(cluster, ns("prod"));
  const state = (await exportState(stacks.prod)).deployment.resources;
  const err = await t.throwsAsync(destroy(stacks.prod), { instanceOf: DestroyRefused });
  t.regex(err!.message, /refused before anything was deleted: 3 resource\(s\) are protected \(.*namespace.*\)/);
  // Nothing at all was deleted: the live objects and the state are as they were.
  t.deepEqual(liveChanges(live, liveState(cluster, ns("prod"))), []);
  t.deepEqual((await exportState(stacks.prod)).deployment.resources, state);
});

test.serial("prod: destroy applies the policy pack first: with protection switched off in the stage file (and lifted in the state) the pack refuses it, and nothing is deleted", async (t) => {
  await unprotectAll(stacks.prod);
  const unprotected = stageVariant("prod", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], protectStateful: false }));
  const live = liveState(cluster, ns("prod"));
  const state = (await exportState(stacks.prod)).deployment.resources;
  const output: string[] = [];
  await t.throwsAsync(destroy({ ...stacks.prod, stageFile: unprotected, onOutput: (s) => output.push(s) }));
  t.regex(output.join(""), /stateful-protected[\s\S]*postgres is not protected in prod/);
  t.deepEqual(liveChanges(live, liveState(cluster, ns("prod"))), []);
  t.deepEqual((await exportState(stacks.prod)).deployment.resources, state);
});

test.serial("prod: with protection lifted, destroy leaves the retained StatefulSets, their PVCs and the Namespace in the API", async (t) => {
  await unprotectAll(stacks.prod);
  const result = await destroy(stacks.prod);
  t.true((result.summary.resourceChanges?.delete ?? 0) > 0);
  for (const sts of ["redis", "postgres"]) t.is(get("prod", `statefulset/${sts}`, "{.metadata.name}"), sts);
  t.is(
    cluster
      .kubectl(["get", "pvc", "-n", ns("prod"), "-o", "name"])
      .trim()
      .split("\n").length,
    2,
  );
  t.is(cluster.kubectl(["get", "namespace", ns("prod"), "-o", "jsonpath={.status.phase}"]), "Active");
  t.is(cluster.kubectl(["get", "deployment", "-n", ns("prod"), "-o", "name"]).trim(), "", "the unretained Deployment is gone");
});

/** GET /health on the cluster's etcd client port over TLS, with or without a client certificate; resolves with the body or the error's text. */
function etcdHealth(client?: { cert: string; key: string }): Promise<string> {
  const pki = path.join(cluster.options.dir, "pki");
  return new Promise((resolve) => {
    const req = https.get(
      {
        host: "127.0.0.1",
        port: cluster.options.ports.etcdClient,
        path: "/health",
        ca: fs.readFileSync(path.join(pki, "ca.crt")),
        ...(client ? { cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) } : {}),
        timeout: 5_000,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve(`${res.statusCode} ${body}`));
      },
    );
    req.on("error", (e) => resolve(`error: ${e.message}`));
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

test.serial("the local etcd answers only clients with a certificate of the cluster's CA: not plain HTTP, not TLS without one", async (t) => {
  const pki = path.join(cluster.options.dir, "pki");
  t.regex(await etcdHealth({ cert: path.join(pki, "apiserver-etcd-client.crt"), key: path.join(pki, "apiserver-etcd-client.key") }), /^200 \{"health":"true"/);
  t.regex(await etcdHealth(), /^error: .*(certificate required|handshake|socket hang up|ECONNRESET)/i);
  const plain = await fetch(`http://127.0.0.1:${cluster.options.ports.etcdClient}/v3/kv/range`, { method: "POST", body: JSON.stringify({ key: "L3JlZ2lzdHJ5", range_end: "AA==" }) }).then(
    (r) => `${r.status}`,
    (e: Error) => `error: ${e.message}`,
  );
  t.not(plain, "200", "no key read over plain HTTP");
});

/**
 * `pulumi up` for real: staging and prod applied to a real Kubernetes API server (the
 * project's local control plane, tools/cluster, with kwok as the node) through the
 * engine driver. What is checked is read back from the API, not from the program's
 * inputs. kwok runs no container: a Job is marked Succeeded without running psql, so
 * this proves the objects and the provider's awaiting; the reconcile SQL itself is
 * proven on real PostgreSQL (test/real/postgres.test.ts).
 */
import * as path from "path";
import test from "ava";
import { CommandError } from "@pulumi/pulumi/automation";
import { PROJECT_DIR, readStageConfig, readStageFile } from "../../config/stages";
import { LocalCluster } from "../../tools/cluster";
import { EngineOptions, destroy, preview, refresh, unprotectAll, up } from "../../tools/engine";
import { runStage } from "../../tools/mockRun";
import { changedSteps, freshState, observe, stageVariant } from "../fixtures/engine";
import { jsonpath, liveChanges, liveState, plannedState, startTestCluster } from "../fixtures/liveCluster";

let cluster: LocalCluster;
const stacks: Record<string, EngineOptions> = {};
const NAMESPACE: Record<string, string> = { staging: "hotel-staging", prod: "hotel-prod" };

test.before(async () => {
  cluster = await startTestCluster();
  for (const stage of ["staging", "prod"]) stacks[stage] = freshState(stage, { kubeconfig: cluster.kubeconfigPath });
});

test.after.always(async () => {
  if (cluster) await cluster.stop();
});

const expectedCount = async (stage: string) => (await runStage(stage)).resources.length + 1;
const ns = (stage: string) => NAMESPACE[stage];
const get = (stage: string, object: string, p: string) => jsonpath(cluster, ns(stage), object, p);

for (const stage of ["staging", "prod"]) {
  test.serial(`${stage}: up creates every resource and the provider's awaiting completes (StatefulSets ready, Job complete, Deployment available)`, async (t) => {
    const result = await up(stacks[stage]);
    t.deepEqual(result.summary.resourceChanges, { create: await expectedCount(stage) });
    for (const sts of ["redis", "postgres"]) t.is(get(stage, `statefulset/${sts}`, "{.status.readyReplicas}"), "1", sts);
    t.is(get(stage, "deployment/hotel-api", "{.status.conditions[?(@.type=='Available')].status}"), "True");
    const job = cluster.kubectl(["get", "jobs", "-n", ns(stage), "-o", "jsonpath={.items[0].status.succeeded}"]);
    t.is(job, "1");
    const pvcs = cluster.kubectl(["get", "pvc", "-n", ns(stage), "-o", "jsonpath={.items[*].status.phase}"]).split(" ");
    t.deepEqual(pvcs, ["Bound", "Bound"]);
  });

  test.serial(`${stage}: refresh, then preview --expect-no-changes is clean`, async (t) => {
    const refreshed = await refresh(stacks[stage]);
    t.deepEqual(refreshed.summary.resourceChanges, { same: await expectedCount(stage) });
    const plan = await preview(stacks[stage], { expectNoChanges: true });
    t.deepEqual(plan.changeSummary, { same: await expectedCount(stage) });
  });

  test.serial(`${stage}: every rendered manifest passes a server-side dry run with strict field validation`, (t) => {
    const dir = path.join(PROJECT_DIR, "rendered", stage, "manifests", "1-manifest");
    const out = cluster.kubectl(["apply", "--dry-run=server", "--validate=strict", "--server-side", "--force-conflicts", "-f", dir]);
    t.regex(out, /statefulset\.apps\/postgres serverside-applied \(server dry run\)/);
    t.notRegex(out, /unknown field|error/i);
  });
}

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
    await up({ ...stacks[stage], stageFile });
    const on = liveState(cluster, ns(stage));
    t.true(planned.length > 0);
    t.deepEqual(liveChanges(before, on), planned);
    await up(stacks[stage]);
    t.deepEqual(liveChanges(before, liveState(cluster, ns(stage))), []);
  });
}

test.serial("drift: redis.conf edited behind the stack's back is reported by refresh and undone by up", async (t) => {
  const patch = (policy: string) => {
    const conf = get("staging", "configmap/redis-conf", "{.data.redis\\.conf}").replace(/^maxmemory-policy .*$/m, `maxmemory-policy ${policy}`);
    cluster.kubectl(["patch", "configmap", "redis-conf", "-n", ns("staging"), "--type", "merge", "-p", JSON.stringify({ data: { "redis.conf": conf } })]);
  };
  patch("allkeys-lru");
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
  const name = cluster.kubectl(["get", "configmaps", "-n", ns("staging"), "-o", "name"]).split("\n").find((n) => n.includes("postgres-reconcile-"))!;
  const sql = get("staging", name, "{.data.reconcile\\.sql}");
  const without = sql.split("\n").filter((l) => !l.includes("idx_locks_room_id")).join("\n");
  cluster.kubectl(["patch", name, "-n", ns("staging"), "--type", "merge", "-p", JSON.stringify({ data: { "reconcile.sql": without } })]);
  await refresh({ ...stacks.staging, stageFile: on });
  await up({ ...stacks.staging, stageFile: on });
  t.is(get("staging", name, "{.data.reconcile\\.sql}"), sql);
  await up(stacks.staging);
});

test.serial("prod: destroy is refused while the StatefulSets and Namespace are protected", async (t) => {
  const err = await t.throwsAsync(destroy(stacks.prod), { instanceOf: CommandError });
  t.regex(err!.message, /protected/);
  t.is(get("prod", "statefulset/postgres", "{.metadata.name}"), "postgres");
});

test.serial("prod: with protection lifted, destroy leaves the retained StatefulSets, their PVCs and the Namespace in the API", async (t) => {
  await unprotectAll(stacks.prod);
  const result = await destroy(stacks.prod);
  t.true((result.summary.resourceChanges?.delete ?? 0) > 0);
  for (const sts of ["redis", "postgres"]) t.is(get("prod", `statefulset/${sts}`, "{.metadata.name}"), sts);
  t.is(cluster.kubectl(["get", "pvc", "-n", ns("prod"), "-o", "name"]).trim().split("\n").length, 2);
  t.is(cluster.kubectl(["get", "namespace", ns("prod"), "-o", "jsonpath={.status.phase}"]), "Active");
  t.is(cluster.kubectl(["get", "deployment", "-n", ns("prod"), "-o", "name"]).trim(), "", "the unretained Deployment is gone");
});

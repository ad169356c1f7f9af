/**
 * For each quick win: copy its block from the dev stage file (where all five are on)
 * into prod (where none is), run the program, and check that exactly the expected
 * resources and properties change, and nothing else.
 */
import * as fs from "fs";
import test from "ava";
import { diffResources } from "../../ops/summary/resourceDiff";
import { PROJECT_DIR, RawConfig, readStageConfig } from "../../config/stages";
import { runStage } from "../../harness/mockRun";

const dev = readStageConfig("dev");

async function enable(key: string) {
  const before = await runStage("prod");
  const after = await runStage("prod", { patch: (c) => (c[key] = { ...(c[key] ?? {}), ...dev[key] }) });
  return diffResources(before.resources, after.resources).map((c) => `${c.kind} ${c.resource}${c.paths.length ? ` ${c.paths.join(",")}` : ""}`);
}

/** "changed <resource> <paths>" with the paths sorted, as diffResources prints them. */
const changed = (resource: string, ...paths: string[]) => `changed ${resource} ${paths.sort().join(",")}`;
const byResource = (lines: string[]) => lines.sort((a, b) => a.split(" ")[1].localeCompare(b.split(" ")[1]));
const settingsCM = "kubernetes:core/v1:ConfigMap::hotel-api-settings";
const apiRollout = "changed kubernetes:apps/v1:Deployment::hotel-api spec.template.metadata.annotations.hotel-reservation/settings-checksum";

test.serial("quick win 1 (alerts) changes the PrometheusRule's expressions and summaries, and the dashboard's threshold lines", async (t) => {
  t.deepEqual(await enable("hotel:alerts"), [
    'changed kubernetes:core/v1:ConfigMap::quick-wins-dashboard data["hotel-quick-wins.json"]',
    changed(
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule::alert-rules",
      // The three threshold alerts follow the six recordings, which no threshold changes.
      ...[6, 7, 8].flatMap((i) => [`spec.groups[name=hotel-reservation.quick-wins].rules[${i}].expr`, `spec.groups[name=hotel-reservation.quick-wins].rules[${i}].annotations.summary`]),
    ),
  ]);
});

test.serial("quick win 2 (pool) changes the app's pool settings and rolls its pods, and moves the dashboard's pool budget line", async (t) => {
  t.deepEqual(await enable("hotel:dbPool"), [
    apiRollout,
    changed(settingsCM, "data.DB_POOL_SIZE", "data.DB_MAX_OVERFLOW", "data.DB_POOL_RECYCLE_SECONDS", "data.DB_POOL_PRE_PING"),
    'changed kubernetes:core/v1:ConfigMap::quick-wins-dashboard data["hotel-quick-wins.json"]',
  ]);
});

test.serial("quick win 3 (Redis) changes redis.conf, restarts Redis, and the reservations TTL", async (t) => {
  t.deepEqual(await enable("hotel:redis"), [
    apiRollout,
    "changed kubernetes:apps/v1:StatefulSet::redis spec.template.metadata.annotations.hotel-reservation/config-checksum",
    `changed ${settingsCM} data.CACHE_TTL_RESERVATIONS_SECONDS`,
    'changed kubernetes:core/v1:ConfigMap::redis-conf data["redis.conf"]',
  ]);
});

test.serial("quick win 4 (PostgreSQL) changes the server flags and the reconcile script, reruns the Job, and lets the exporter read the slowest statements", async (t) => {
  const changes = await enable("hotel:postgres");
  t.is(changes.length, 4, changes.join("\n"));
  // The flags are one value (a set), named by container: positions never show.
  t.is(
    changes[0],
    "changed kubernetes:apps/v1:StatefulSet::postgres spec.template.metadata.annotations.hotel-reservation/config-checksum,spec.template.spec.containers[name=exporter].args,spec.template.spec.containers[name=exporter].volumeMounts[name=exporter-queries],spec.template.spec.containers[name=postgres].args,spec.template.spec.volumes[name=exporter-queries]",
  );
  // A new script gets a new name: the ConfigMap and the Job are replaced, so the Job runs it.
  t.is(changes[1], "changed kubernetes:batch/v1:Job::postgres-reconcile metadata.name,spec.template.spec.volumes[name=migrations].configMap.name");
  // The exporter's query over pg_stat_statements exists only where the extension does.
  t.is(changes[2], "added kubernetes:core/v1:ConfigMap::postgres-exporter-queries");
  t.is(changes[3], 'changed kubernetes:core/v1:ConfigMap::postgres-reconcile data["reconcile.sql"],metadata.name');

  // The args, read as settings: which server settings the quick win changes.
  const settings = async (patch?: (c: RawConfig) => void) => {
    const r = (await runStage("prod", { patch })).resources;
    const args: string[] = r.find((x) => x.name === "postgres" && x.type.endsWith("StatefulSet"))!.inputs.spec.template.spec.containers[0].args;
    return Object.fromEntries(args.filter((a) => a.includes("=")).map((a) => a.split("=") as [string, string]));
  };
  const before = await settings();
  const after = await settings((c) => (c["hotel:postgres"] = { ...c["hotel:postgres"], ...dev["hotel:postgres"] }));
  const differing = Object.keys({ ...before, ...after })
    .filter((k) => before[k] !== after[k])
    .sort();
  t.deepEqual(differing, ["compute_query_id", "log_min_duration_statement", "pg_stat_statements.max", "pg_stat_statements.track", "shared_preload_libraries"]);
  t.like(after, { shared_preload_libraries: "pg_stat_statements", log_min_duration_statement: "100", max_connections: "200" });
});

test.serial("quick win 5 (warming) adds the CronJob and sets the start-up flag", async (t) => {
  t.deepEqual(
    await enable("hotel:cacheWarming"),
    byResource([
      apiRollout,
      changed(settingsCM, "data.CACHE_WARM_ON_STARTUP", "data.CACHE_TTL_JITTER"),
      "added hotel:index:CacheWarming::cache-warmer",
      "added kubernetes:batch/v1:CronJob::cache-warmer",
    ]),
  );
});

test("each quick-win block in a stage file is at most 5 lines", (t) => {
  const text = fs.readFileSync(`${PROJECT_DIR}/Pulumi.dev.yaml`, "utf8").split("\n");
  for (const key of ["alerts", "dbPool", "redis", "postgres", "cacheWarming"]) {
    const start = text.findIndex((l) => l.startsWith(`  hotel:${key}:`));
    t.true(start >= 0, key);
    let end = start + 1;
    while (end < text.length && text[end].startsWith("    ")) end++;
    t.true(end - start <= 5, `${key}: ${end - start} lines`);
  }
});

/** The pull-request summary of a stage-file change (npm run summary). */
import { execFileSync } from "child_process";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { summarize } from "../../ops/summary/command";

/** The stage file as committed at HEAD (the test does not depend on the working tree). */
const committed = (file: string) => execFileSync("git", ["show", `HEAD:${file}`], { cwd: PROJECT_DIR }).toString();

test.serial("no change, no summary", async (t) => {
  t.regex(await summarize("HEAD", committed), /^No stage file differs from `HEAD`\.$/);
});

test.serial("turning quick win 4 on in staging names it, its resources and properties, and the policy result", async (t) => {
  const edited = (file: string) =>
    file === "Pulumi.staging.yaml" ? committed(file) + "  hotel:postgres:\n    pgStatStatements: true\n    logMinDurationStatement: 100ms\n    indexes: [idx_locks_room_id]\n" : committed(file);
  const md = await summarize("HEAD", edited);
  t.regex(md, /### Stage `staging`/);
  t.notRegex(md, /### Stage `(dev|prod)`/);
  t.regex(md, /Quick wins changed: 4\. pg_stat_statements, slow-query log, indexes/);
  // Server flags as a set (array positions shift with every flag), the script as a unified diff.
  t.regex(md, /`kubernetes:apps\/v1:StatefulSet` `postgres` \| changed \|.*containers\[name=postgres\]\.args`: .*\+ `-c compute_query_id=on`.*- `-c shared_preload_libraries=`/);
  t.notRegex(md, /args\[\d+\]/);
  t.regex(md, /```diff\n[\s\S]*^\+ CREATE EXTENSION pg_stat_statements;$/m);
  t.regex(md, /`kubernetes:batch\/v1:Job` `postgres-reconcile` \| changed/);
  t.regex(md, /Policy pack: \*\*pass\*\*/);
  t.regex(md, /`kubernetes:core\/v1:ConfigMap` `postgres-exporter-queries` \| added/);
  t.is((md.match(/^\| `/gm) ?? []).length, 4);
});

test.serial("an unsafe change shows the mandatory violation", async (t) => {
  const edited = (file: string) => (file === "Pulumi.prod.yaml" ? committed(file).replace("protectStateful: true", "protectStateful: false") : committed(file));
  const md = await summarize("HEAD", edited);
  t.regex(md, /Quick wins changed: `hotel:kubernetes`/);
  t.regex(md, /\*\*3 mandatory violation\(s\)\*\*/);
  t.regex(md, /\[mandatory\] `stateful-protected`: redis is not protected in prod/);
});

test.serial("a config the validator rejects is reported, not diffed", async (t) => {
  const edited = (file: string) => (file === "Pulumi.dev.yaml" ? committed(file).replace("p95Latency: 50ms", 'p95Latency: "50"') : committed(file));
  const md = await summarize("HEAD", edited);
  t.regex(md, /The new config is rejected before any resource is registered/);
  t.regex(md, /hotel:alerts\.p95Latency: "50" is not allowed/);
});

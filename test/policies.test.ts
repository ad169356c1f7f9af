/**
 * The policy pack on real program runs (mocks, preview mode): every shipped stage
 * passes, and a table of known-bad settings is each rejected by the policy meant for
 * it and by no other mandatory policy. Bad settings are config patches where config
 * can express them; the rest edit the rendered resources, as a hand-edited manifest
 * or a future code change would.
 */
import test from "ava";
import { policies } from "../policies/all";
import { pinned } from "../policies/rules/kubernetes";
import { RawConfig, STAGES } from "../config/stages";
import { Registered, runStage } from "../tools/mockRun";
import { Violation, formatViolations, mandatory, runPolicies } from "../tools/policyRunner";
import { DOCKER, K8S } from "./helpers";

interface Case {
  stage: string;
  patch?: (c: RawConfig) => void;
  mutate?: (rs: Registered[]) => void;
}

async function violations({ stage, patch, mutate }: Case): Promise<Violation[]> {
  const run = await runStage(stage, { patch, preview: true });
  if (run.error) throw run.error;
  mutate?.(run.resources);
  return runPolicies(run.resources, policies);
}

const mandatoryNames = (vs: Violation[]) => [...new Set(mandatory(vs).map((v) => v.policy))].sort();
/** The one resource of a type whose name is `name` (or starts with it, when it ends with "-"). */
const one = (rs: Registered[], type: string, name?: string) => {
  const hit = rs.filter((r) => r.type === type && (name === undefined || (name.endsWith("-") ? r.name.startsWith(name) : r.name === name)));
  if (hit.length !== 1) throw new Error(`expected one ${type} ${name ?? ""}, found ${hit.length}`);
  return hit[0];
};
const rules = (rs: Registered[]) => one(rs, K8S.prometheusRule).inputs.spec.groups[0].rules;
const merge = (key: string, value: Record<string, unknown>) => (c: RawConfig) => (c[key] = { ...(c[key] ?? {}), ...value });

for (const stage of STAGES) {
  test.serial(`shipped stage ${stage} passes with no mandatory violation`, async (t) => {
    const vs = await violations({ stage });
    t.deepEqual(mandatory(vs), [], formatViolations(stage, vs, policies.length, 0));
  });
}

const table: [string, string, Case, RegExp][] = [
  ["allkeys-lfu on the instance that also holds locks and sessions", "redis-allkeys-only-on-cache-only-instance",
    { stage: "staging", patch: merge("hotel:redis", { keyspace: "shared" }) },
    /maxmemory-policy allkeys-lfu on a Redis the app also uses for keys without a TTL \(REDIS_KEYSPACE=shared\).*Use volatile-lfu/],
  ["pool 25+5 x 4 replicas x 4 workers against max_connections 100", "db-connection-budget",
    { stage: "staging", patch: merge("hotel:app", { replicas: 4, workers: 4 }) },
    /16 app processes \+ 0 warmer x \(pool_size 25 \+ max_overflow 5\) \+ 1 exporter \+ 5 admin = 486 connections, but PostgreSQL accepts max_connections 100 - superuser_reserved_connections 3 = 97/],
  ["P95 threshold 5 ms (the baseline, not 10x it)", "alert-thresholds-sane",
    { stage: "staging", patch: merge("hotel:alerts", { p95Latency: "5ms" }) },
    /P95 threshold 5 ms is below 10 x the 4\.85 ms baseline \(48\.5 ms\)/],
  ["error-ratio threshold 10 %", "alert-thresholds-sane",
    { stage: "staging", patch: merge("hotel:alerts", { errorRatio: 0.1 }) },
    /error-ratio threshold 0\.1 is outside \(0, 0\.05\]/],
  ["error alert as an absolute rate (the roadmap's query)", "alert-error-is-ratio",
    { stage: "staging", mutate: (rs) => (rules(rs)[1].expr = 'rate(http_requests_total{status=~"5.."}[5m]) > 0.005') },
    /is an absolute 5xx rate.*Divide by all requests/],
  ["latency quantile without sum by (le) (the roadmap's query)", "alert-latency-aggregates-by-le",
    { stage: "staging", mutate: (rs) => (rules(rs)[0].expr = "histogram_quantile(0.95,rate(http_request_duration_seconds_bucket[5m])) > 0.05") },
    /one quantile per series.*sum by \(le\)/],
  ["alert without for and runbook_url", "alert-rules-complete",
    { stage: "prod", mutate: (rs) => { delete rules(rs)[2].for; delete rules(rs)[2].annotations.runbook_url; } },
    /alert HotelCacheMissRatioHigh lacks for \(a single bad scrape would page\), annotations\.runbook_url/],
  ["availability cached for 1 h", "cache-ttls",
    { stage: "staging", patch: (c) => (c["hotel:redis"].ttl = { availability: "1h" }) },
    /CACHE_TTL_AVAILABILITY_SECONDS=3600: availability cached longer than 300 s.*double bookings/],
  ["a plain CREATE INDEX (the roadmap's DDL)", "pg-indexes-concurrently",
    { stage: "prod", patch: merge("hotel:postgres", { indexes: ["idx_locks_room_id"] }),
      mutate: (rs) => { const cm = one(rs, K8S.configMap, "postgres-reconcile"); cm.inputs.data["reconcile.sql"] += "CREATE INDEX idx_locks_room_id ON locks(room_id);\n"; } },
    /"CREATE INDEX idx_locks_room_id ON locks\(room_id\)" is not CONCURRENTLY: a plain CREATE INDEX holds a SHARE lock/],
  ["the index script wrapped in a transaction", "pg-indexes-concurrently",
    { stage: "dev", mutate: (rs) => { const c = one(rs, DOCKER.container, "postgres-reconcile-"); c.inputs.uploads[0].content = `BEGIN;\n${c.inputs.uploads[0].content}COMMIT;\n`; } },
    /opens a transaction block: CREATE INDEX CONCURRENTLY cannot run inside one/],
  ["slow-query log at 0 ms (every statement)", "pg-slow-query-log-floor",
    { stage: "staging", patch: merge("hotel:postgres", { logMinDurationStatement: "0ms" }) },
    /log_min_duration_statement=0 logs every statement faster than 50 ms too/],
  ["pg_stat_statements extension on a server that does not preload it", "pg-stat-statements-preloaded",
    { stage: "dev", mutate: (rs) => { const pg = one(rs, DOCKER.container, "postgres"); pg.inputs.command = pg.inputs.command.map((a: string) => (a.startsWith("shared_preload_libraries=") ? "shared_preload_libraries=" : a)); } },
    /creates the pg_stat_statements extension, but no PostgreSQL server has it in shared_preload_libraries/],
  ["lfu-log-factor 0", "redis-lfu-knobs-in-range",
    { stage: "staging", patch: merge("hotel:redis", { lfuLogFactor: 0 }) },
    /redis\.conf lfu-log-factor 0 is outside \[1, 100\]/],
  ["Redis without maxmemory", "redis-maxmemory-set",
    { stage: "staging", mutate: (rs) => { const cm = one(rs, K8S.configMap, "redis-conf"); cm.inputs.data["redis.conf"] = cm.inputs.data["redis.conf"].replace(/^maxmemory .*$/m, "maxmemory 0"); } },
    /redis\.conf has maxmemory 0: set hotel:redis\.maxmemory/],
  ["an app image tagged latest", "images-pinned",
    { stage: "staging", patch: merge("hotel:app", { image: "ghcr.io/hotel-reservation/api:latest" }) },
    /image "ghcr\.io\/hotel-reservation\/api:latest" is not pinned/],
  ["a Redis image without a tag", "images-pinned",
    { stage: "dev", patch: (c) => (c["hotel:images"] = { redis: "redis" }) },
    /image "redis" is not pinned/],
  ["a container without limits", "k8s-requests-and-limits",
    { stage: "staging", mutate: (rs) => delete one(rs, K8S.deployment).inputs.spec.template.spec.containers[0].resources.limits },
    /container api has no limits\.cpu, limits\.memory/],
  ["a container that may run as root", "k8s-non-root",
    { stage: "staging", mutate: (rs) => { const s = one(rs, K8S.statefulSet, "redis").inputs.spec.template.spec; s.securityContext.runAsNonRoot = false; } },
    /container redis may run as root/],
  ["Redis without its NetworkPolicy", "datastores-reachable-only-from-app",
    { stage: "staging", mutate: (rs) => rs.splice(rs.findIndex((r) => r.name === "redis-ingress"), 1) },
    /redis: no NetworkPolicy selects its pods/],
  ["PostgreSQL opened to every namespace", "datastores-reachable-only-from-app",
    { stage: "staging", mutate: (rs) => { one(rs, K8S.networkPolicy, "postgres-ingress").inputs.spec.ingress[0].from = [{ namespaceSelector: {} }]; } },
    /postgres-ingress: an ingress rule opens postgres's data port to more than the app's pods/],
  ["prod StatefulSets not protected", "stateful-protected",
    { stage: "prod", patch: merge("hotel:kubernetes", { protectStateful: false }) },
    /redis is not protected in prod/],
];

for (const [title, policy, c, message] of table) {
  test.serial(`rejects ${title}: ${policy}, and no other mandatory policy`, async (t) => {
    const vs = await violations(c);
    t.deepEqual(mandatoryNames(vs), [policy], formatViolations(c.stage, vs, policies.length, 0));
    t.true(mandatory(vs).some((v) => message.test(v.message)), mandatory(vs).map((v) => v.message).join("\n"));
  });
}

test("the mutation table covers at least 12 bad configs and every mandatory policy", (t) => {
  t.true(table.length >= 12);
  const covered = new Set(table.map(([, p]) => p));
  const mandatoryPolicies = policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name);
  t.deepEqual(mandatoryPolicies.filter((p) => !covered.has(p)), []);
});

test.serial("advisory: a cache refresh at 14:00 UTC is outside the off-peak window", async (t) => {
  const vs = await violations({ stage: "dev", patch: merge("hotel:cacheWarming", { schedule: "0 14 * * *" }) });
  t.deepEqual(mandatory(vs), []);
  const advisory = vs.filter((v) => v.policy === "cache-warming-off-peak");
  t.is(advisory.length, 1);
  t.regex(advisory[0].message, /"0 14 \* \* \*" runs outside the off-peak window 2:00-5:00 UTC/);
  t.is(advisory[0].level, "advisory");
});

test.serial("advisory: an LFU policy warns that counters restart", async (t) => {
  const staging = await violations({ stage: "staging" });
  t.true(staging.some((v) => v.policy === "redis-eviction-policy-switch" && v.level === "advisory"));
  const prod = await violations({ stage: "prod" });
  t.false(prod.some((v) => v.policy === "redis-eviction-policy-switch"));
});

test.serial("policy config tightens a threshold (the engine's --policy-pack-config shape)", async (t) => {
  const run = await runStage("staging", { preview: true });
  const vs = runPolicies(run.resources, policies, { "alert-thresholds-sane": { minMultipleOfBaseline: 20 } });
  t.deepEqual(mandatoryNames(vs), ["alert-thresholds-sane"]);
  t.regex(mandatory(vs)[0].message, /below 20 x the 4\.85 ms baseline \(97 ms\)/);
  const off = runPolicies(run.resources, policies, { "alert-thresholds-sane": { minMultipleOfBaseline: 20, enforcementLevel: "disabled" } });
  t.deepEqual(mandatoryNames(off), []);
});

test.serial("an unknown value (preview) is reported as advisory, like the engine does", async (t) => {
  const run = await runStage("staging", { preview: true });
  one(run.resources, K8S.configMap, "redis-conf").inputs.data["redis.conf"] = { __pulumiUnknown: true };
  const vs = runPolicies(run.resources, policies);
  t.deepEqual(mandatory(vs), []);
  t.true(vs.some((v) => v.level === "advisory" && /can't run policy 'redis-maxmemory-set' during preview/.test(v.message)));
});

test("image pinning: tags and digests", (t) => {
  t.true(pinned("redis:7.2.5"));
  t.true(pinned("quay.io/prometheuscommunity/postgres-exporter:v0.15.0"));
  t.true(pinned(`ghcr.io/x/api@sha256:${"a".repeat(64)}`));
  t.false(pinned("redis"));
  t.false(pinned("redis:latest"));
  t.false(pinned("localhost:5000/api"));
});

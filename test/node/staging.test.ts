/**
 * staging for real on Kubernetes: `pulumi up` through the stack's own driver onto a
 * control plane with a real node (kubelet, containerd, kube-proxy, CoreDNS), the stand-in
 * images imported into containerd (no registry), and the monitoring half of a
 * kube-prometheus-stack install (the real prometheus-operator running Prometheus and
 * Alertmanager as pods). Everything is read back from inside: container logs, execs, and
 * port-forwards to 127.0.0.1. The stage file is staging's with quick wins 4 and 5 promoted
 * (as `npm run promote` would) and alert timings short enough for a test.
 */
import { spawnSync } from "child_process";
import { promises as dns } from "dns";
import test from "ava";
import { Client } from "pg";
import { PROJECT_DIR, checkStageFile } from "../../config/stages";
import { LocalCluster } from "../../lab/cluster";
import type { RealNode } from "../../lab/cluster/node";
import { MONITORING_NAME, MONITORING_NAMESPACE, OPERATED_SERVICES, WEBHOOK_SINK_PORT, stageMonitoring } from "../../lab/cluster/monitoring";
import { NODE_NETWORK, egressDrops } from "../../lab/cluster/network";
import { DockerCli, LocalImages, ensureLocalImages } from "../../lab/docker/images";
import { ImagesUnavailable, prepareNodeImages } from "../../lab/docker/stage";
import { DOCKER_EGRESS_CHAIN, dockerEgressDrops } from "../../lab/docker/egress";
import { firstRule, run } from "../../lab/netfilter";
import { EngineOptions, destroy, rotatePassword, statePassword, up } from "../../ops/engine";
import { seedRowsSql, writerDuring } from "../../lab/pgWorkload";
import { freshState, stageVariant } from "../fixtures/engine";
import { eventually, getJson, testDocker } from "../fixtures/liveDocker";
import { Pod, podsIn, startNodeCluster, throughForward } from "../fixtures/liveNode";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const PASSWORD = "staging-node-test-password";
const NS = "hotel-staging";
const NODE = "hotel-node-0";
const INDEXES = ["idx_locks_room_id", "idx_reservations_guest_id", "idx_sessions_created_at", "idx_sessions_guest_id"];
/** The first up builds three; the fourth (on the largest table) is built later, beside a writer. */
const FIRST_INDEXES = INDEXES.filter((i) => i !== "idx_reservations_guest_id");
const SINK = `http://127.0.0.1:${WEBHOOK_SINK_PORT}`;

let cluster: LocalCluster;
let d: DockerCli;
let images: LocalImages;
let stageFile: string;
let stack: EngineOptions;

test.before(async () => {
  d = await testDocker();
  images = ensureLocalImages(d);
  cluster = await startNodeCluster();
  cluster.node!.importFromDocker(d.host, [...Object.values(images.images), images.app]);
  stageFile = stageVariant("staging", (c) => {
    // Quick wins 4 and 5, as `npm run promote` copies them from dev.
    c["hotel:postgres"] = { pgStatStatements: true, logMinDurationStatement: "100ms", indexes: FIRST_INDEXES };
    c["hotel:cacheWarming"] = { enabled: true };
    c["hotel:alerts"] = {
      ...c["hotel:alerts"],
      evaluationInterval: "2s",
      rateWindow: "8s",
      for: "4s",
      cacheMissFor: "4s",
      targetDownFor: "4s",
      routing: { groupWait: "0s", criticalGroupWait: "0s", groupInterval: "1s" },
      receivers: { critical: `${SINK}/pager`, warning: `${SINK}/tickets` },
    };
  });
  const config = checkStageFile("staging", stageFile).config;
  cluster.startMonitoring(stageMonitoring(config, { alertmanager: images.images.alertmanager, app: images.app }));
  stack = freshState("staging", { kubeconfig: cluster.kubeconfigPath, localImages: images, stageFile, password: PASSWORD });
  await up(stack);
  // The password is the stack's now: a later run that gave one would be refused.
  stack = { ...stack, password: undefined };
});

test.after.always(async () => {
  // Stopped and its folder removed: the folder holds containerd's images (3.3 GB), and
  // runs that only stopped the node filled the disk until kubelet's image GC removed the
  // pause image mid-run (found on 2026-12-03).
  await cluster?.reset();
});

const config = () => checkStageFile("staging", stageFile).config;
const logsOf = (pod: string, container?: string, namespace = NS) => cluster.kubectl(["logs", "-n", namespace, pod, ...(container ? ["-c", container] : [])]);
const execIn = (pod: string, container: string, cmd: string[]) => cluster.kubectl(["exec", "-n", NS, pod, "-c", container, "--", ...cmd]);
const podNamed = (prefix: string): Pod => {
  const found = podsIn(cluster, NS).filter((p) => p.metadata.name.startsWith(prefix) && p.status.phase === "Running");
  if (!found.length) throw new Error(`no running pod ${prefix}*: ${podsIn(cluster, NS).map((p) => `${p.metadata.name} ${p.status.phase}`)}`);
  return found[0];
};

async function withPostgres<T>(f: (c: Client) => Promise<T>, password = PASSWORD): Promise<T> {
  return throughForward(cluster, NS, "svc/postgres", 5432, async (port) => {
    const c = new Client({ host: "127.0.0.1", port, user: config().postgres.user, database: config().postgres.database, password });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  });
}

test.serial("staging on the real node: up completes, and every pod of the stack runs on hotel-node-0 with its containers ready and logging", (t) => {
  const pods = podsIn(cluster, NS);
  const running = pods.filter((p) => p.status.phase === "Running");
  t.deepEqual([...new Set(pods.map((p) => p.spec.nodeName))], [NODE]);
  // The app (2 replicas), Redis and PostgreSQL (each with its exporter sidecar).
  t.deepEqual(running.map((p) => p.metadata.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$|-\d+$/, "")).sort(), ["hotel-api", "hotel-api", "postgres", "redis"]);
  for (const p of running)
    t.true(
      p.status.containerStatuses!.every((c) => c.ready),
      `${p.metadata.name} ready`,
    );
  t.regex(logsOf(podNamed("redis-").metadata.name, "redis"), /Ready to accept connections/);
  t.regex(logsOf(podNamed("postgres-").metadata.name, "postgres"), /database system is ready to accept connections/);
});

test.serial("staging on the real node: Redis runs on the mounted redis.conf (allkeys-lfu, its maxmemory)", (t) => {
  const redis = podNamed("redis-").metadata.name;
  const get = (key: string) => execIn(redis, "redis", ["redis-cli", "CONFIG", "GET", key]).trim().split("\n")[1];
  t.is(get("maxmemory-policy"), "allkeys-lfu");
  t.is(get("maxmemory"), "1073741824");
  t.regex(execIn(redis, "redis", ["redis-cli", "INFO", "server"]), /config_file:\/\S+redis\.conf/);
});

test.serial("staging on the real node: the app is connected as hotel_app (no superuser), which the app role Job really made; Redis refuses a client without its password", async (t) => {
  const sessions = await withPostgres(
    async (c) => (await c.query("SELECT DISTINCT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename WHERE a.application_name = 'stand-in-api'")).rows,
  );
  t.deepEqual(sessions, [{ usename: "hotel_app", rolsuper: false }]);
  const job = JSON.parse(cluster.kubectl(["get", "job", "postgres-app-role", "-n", NS, "-o", "json"]));
  t.is(job.status.succeeded, 1);
  t.regex(cluster.kubectl(["logs", "-n", NS, "job/postgres-app-role"]), /^ALTER ROLE$/m);
  const redis = podNamed("redis-").metadata.name;
  t.regex(execIn(redis, "redis", ["sh", "-c", "env -u REDISCLI_AUTH redis-cli PING"]), /^NOAUTH Authentication required/);
  t.is(execIn(redis, "redis", ["redis-cli", "PING"]).trim(), "PONG", "redis-cli in the pod has the password (REDISCLI_AUTH)");
});

const reconcileJobs = () => JSON.parse(cluster.kubectl(["get", "jobs", "-n", NS, "-o", "json"])).items.filter((j: any) => j.metadata.name.startsWith("postgres-reconcile-"));
const validIndexes = () =>
  withPostgres(async (c) => (await c.query("SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indisvalid AND indexrelid::regclass::text LIKE 'idx_%' ORDER BY 1")).rows.map((r) => r.name));

test.serial("staging on the real node: PostgreSQL preloads pg_stat_statements, and the reconcile Job that really ran built the indexes, valid", async (t) => {
  const { preload, extension } = await withPostgres(async (c) => ({
    preload: (await c.query("SHOW shared_preload_libraries")).rows[0].shared_preload_libraries,
    extension: (await c.query("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_stat_statements'")).rows[0].n,
  }));
  t.regex(preload, /pg_stat_statements/);
  t.is(extension, 1);
  t.deepEqual(await validIndexes(), ["idx_locks_room_id", "idx_sessions_created_at", "idx_sessions_guest_id"]);
  const jobs = reconcileJobs();
  t.is(jobs.length, 1);
  t.is(jobs[0].status.succeeded, 1);
  const log = cluster.kubectl(["logs", "-n", NS, `job/${jobs[0].metadata.name}`]);
  t.is(log.match(/^CREATE INDEX$/gm)?.length, 3, log);
  t.notRegex(log, /already exists/);
});

test.serial("staging on the real node: the app's environment holds the rendered settings, and its /health, through the Service, shows it read every one", async (t) => {
  const api = podNamed("hotel-api-").metadata.name;
  const env = Object.fromEntries(
    execIn(api, "api", ["env"])
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  t.like(env, {
    DB_POOL_SIZE: "25",
    DB_MAX_OVERFLOW: "5",
    DB_POOL_PRE_PING: "true",
    DB_POOL_RECYCLE_SECONDS: "3600",
    CACHE_TTL_RESERVATIONS_SECONDS: "900",
    CACHE_WARM_ON_STARTUP: "true",
    REDIS_KEYSPACE: "cache-only",
  });
  const health = await throughForward(cluster, NS, "svc/hotel-api", 80, (port) => getJson(`http://127.0.0.1:${port}/health`));
  t.like(health, { status: "ok", pool_size: 25 });
  // The app read every setting the stack placed in its settings ConfigMap, and nothing else.
  const placed = JSON.parse(cluster.kubectl(["get", "configmap", "hotel-api-settings", "-n", NS, "-o", "jsonpath={.data}"]));
  t.deepEqual(health.settings, placed);
  t.is(Object.keys(placed).length, 18);
});

test.serial("staging on the real node: the warmer's CronJob, run now, warms Redis from PostgreSQL", async (t) => {
  await withPostgres((c) =>
    c.query("INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at) SELECT g, 7, date '2026-12-24', 2, 'confirmed', now() FROM generate_series(1, 30) g"),
  );
  const cronJob = JSON.parse(cluster.kubectl(["get", "cronjobs", "-n", NS, "-o", "json"])).items[0].metadata.name;
  cluster.kubectl(["create", "job", "-n", NS, "warm-now", `--from=cronjob/${cronJob}`]);
  cluster.kubectl(["wait", "-n", NS, "--for=condition=complete", "--timeout=120s", "job/warm-now"]);
  t.regex(cluster.kubectl(["logs", "-n", NS, "job/warm-now"]), /stand-in warmer: 30 reservations warmed/);
  const keys = execIn(podNamed("redis-").metadata.name, "redis", ["redis-cli", "--scan", "--pattern", "reservation:*"]).trim().split("\n");
  t.is(keys.length, 30);
});

test.serial("staging on the real node: a fourth index, on a table of 200k rows, is built CONCURRENTLY by a new Job while a writer inserts; the writer never waits on a lock", async (t) => {
  await withPostgres((c) => c.query(seedRowsSql({ reservations: 200_000, sessions: 1_000, locks: 1_000 })));
  const withFour = stageVariant("staging", (c) => (c["hotel:postgres"].indexes = INDEXES), stageFile);
  const result = await throughForward(cluster, NS, "svc/postgres", 5432, async (port) => {
    const connect = async () => {
      const c = new Client({ host: "127.0.0.1", port, user: config().postgres.user, database: config().postgres.database, password: PASSWORD });
      await c.connect();
      return c;
    };
    return writerDuring(connect, () => up({ ...stack, stageFile: withFour }));
  });
  stageFile = withFour;
  t.log(`up with the new index: ${result.durationMs} ms; ${result.insertsDuring} inserts meanwhile; ${result.lockWaitSamples} samples waiting on a lock`);
  t.deepEqual(await validIndexes(), INDEXES);
  const job = reconcileJobs()[0];
  const log = cluster.kubectl(["logs", "-n", NS, `job/${job.metadata.name}`]);
  // The script is declarative: it names every index, and builds only the one whose name is free.
  t.is(log.match(/^CREATE INDEX$/gm)?.length, 1, log);
  t.notRegex(log, /was not created by the stack/);
  t.true(result.insertsDuring >= 20, `${result.insertsDuring} inserts`);
  t.is(result.lockWaitSamples, 0);
});

/** Logs in as the app's role through a port-forward: "accepted", or the server's refusal. */
const loginWith = (password: string) =>
  throughForward(cluster, NS, "svc/postgres", 5432, async (port) => {
    const c = new Client({ host: "127.0.0.1", port, user: config().postgres.user, database: config().postgres.database, password });
    try {
      await c.connect();
      return "accepted";
    } catch (e) {
      return (e as Error).message;
    } finally {
      await c.end().catch(() => undefined);
    }
  });

/** Sets the role's password by hand (a DBA, or the fault a test injects), logged in with the one it has. */
const setRolePassword = (has: string, to: string) => withPostgres((c) => c.query(`ALTER ROLE ${config().postgres.user} PASSWORD '${to}'`), has);

const secretPassword = () => Buffer.from(cluster.kubectl(["get", "secret", "postgres-credentials", "-n", NS, "-o", "jsonpath={.data.password}"]), "base64").toString();
const apiPods = () =>
  podsIn(cluster, NS)
    .filter((p) => p.metadata.name.startsWith("hotel-api-") && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort();
const rotationObjects = () =>
  cluster
    .kubectl(["get", "jobs,secrets,configmaps", "-n", NS, "-o", "name"])
    .split("\n")
    .filter((n) => n.includes("postgres-rotate-"));
const noPassword = () => ({ ...stack, stageFile, password: undefined });

test.serial("staging on the real node: rotate-password changes the owner's password by a Job in the cluster, then the Secret; the app (hotel_app) keeps running untouched", async (t) => {
  const before = apiPods();
  await rotatePassword(noPassword());
  const next = await statePassword(noPassword());
  t.truthy(next);
  t.not(next, PASSWORD);
  t.is(await loginWith(next!), "accepted");
  t.regex(await loginWith(PASSWORD), /password authentication failed/);
  t.is(secretPassword(), next!);
  t.deepEqual(apiPods(), before, "the app's pods did not roll: the owner's password is not theirs");
  const health = await throughForward(cluster, NS, "svc/hotel-api", 80, (port) => getJson(`http://127.0.0.1:${port}/health`));
  t.is(health.status, "ok");
  t.deepEqual(rotationObjects(), [], "the commit step removed the Job, its Secret and its scripts");
});

test.serial("rotation fault: a rotation Job that fails leaves the role, the Secret and the pods as they were; once the cause is fixed, the same command finishes that rotation", async (t) => {
  const current = (await statePassword(noPassword()))!;
  // The fault: someone changed the role's password by hand, so neither the current nor the next one logs in.
  await setRolePassword(current, "set-by-hand-0a1b2c");
  const pods = apiPods();
  await t.throwsAsync(rotatePassword(noPassword()));
  t.is(secretPassword(), current, "the Secret kept the current password");
  t.deepEqual(apiPods(), pods, "no pod rolled");
  t.is(await loginWith("set-by-hand-0a1b2c"), "accepted", "the role kept what it had");
  t.is(await statePassword(noPassword()), current, "the stack's password is still the current one");
  const failed = JSON.parse(cluster.kubectl(["get", "jobs", "-n", NS, "-o", "json"])).items.filter((j: any) => j.metadata.name.startsWith("postgres-rotate-"));
  t.is(failed.length, 1);
  // Failed by its backoff limit (its pod is gone with it: the reason is in the Job's condition).
  t.is(failed[0].status.conditions.find((c: { type: string }) => c.type === "Failed")?.status, "True");

  // The cause fixed, the same command replaces the failed Job (not awaited again) and finishes the rotation.
  await setRolePassword("set-by-hand-0a1b2c", current);
  await rotatePassword(noPassword());
  const next = (await statePassword(noPassword()))!;
  t.not(next, current);
  t.is(await loginWith(next), "accepted");
  t.regex(await loginWith(current), /password authentication failed/);
  t.is(secretPassword(), next);
  t.deepEqual(apiPods(), pods, "the app (hotel_app) never rolled");
  t.deepEqual(rotationObjects(), []);
});

/** Denies updates of the credentials Secret at the API server: a run stopped right after the rotation Job, before the Secret. */
async function blockSecretUpdates(): Promise<() => void> {
  const objects = [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: "test-freeze-credentials" },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["secrets"] }] },
        validations: [{ expression: "object.metadata.name != 'postgres-credentials'", message: "the test froze the credentials Secret" }],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: "test-freeze-credentials" },
      spec: { policyName: "test-freeze-credentials", validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS } } } },
    },
  ];
  cluster.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  // The API server compiles a new policy in the background: wait until it denies.
  await eventually(
    "the policy in force",
    async () => {
      const res = spawnSync(cluster.kubectlPath, ["--kubeconfig", cluster.kubeconfigPath, "annotate", "secret", "postgres-credentials", "-n", NS, "probe=1", "--dry-run=server"], { encoding: "utf8" });
      return res.status !== 0 && /the test froze the credentials Secret/.test(res.stderr) ? true : undefined;
    },
    30_000,
  );
  return () => void cluster.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", "test-freeze-credentials"]);
}

test.serial(
  "rotation fault: stopped between the Job and the Secret, the role has the next password and the app still the current one; a plain up finishes it, and a second rotate-password completes that rotation rather than starting another",
  async (t) => {
    const current = (await statePassword(noPassword()))!;
    const pods = apiPods();
    const unblock = await blockSecretUpdates();
    try {
      // The rotation's first run, as a kill after the Job would leave it (the Secret's update denied).
      await t.throwsAsync(up({ ...noPassword(), rotation: "begin" }), { message: /the test froze the credentials Secret/ });
    } finally {
      unblock();
    }
    t.is(secretPassword(), current, "the Secret still has the current password");
    t.regex(await loginWith(current), /password authentication failed/, "the Job moved the role");
    // Any later run finishes it: a plain up gives the Secret the role's password.
    await up(noPassword());
    const next = secretPassword();
    t.not(next, current);
    t.is(await loginWith(next), "accepted");
    t.deepEqual(apiPods(), pods, "the app (hotel_app) never rolled");
    const health = await throughForward(cluster, NS, "svc/hotel-api", 80, (port) => getJson(`http://127.0.0.1:${port}/health`));
    t.is(health.status, "ok");
    // The same command again: it completes the interrupted rotation (same password), it does not draw a third.
    await rotatePassword(noPassword());
    t.is(await statePassword(noPassword()), next);
    t.is(secretPassword(), next);
    t.is(await loginWith(next), "accepted");
    t.deepEqual(rotationObjects(), []);
  },
);

const prometheus = <T>(f: (url: string) => Promise<T>) => throughForward(cluster, MONITORING_NAMESPACE, `svc/${OPERATED_SERVICES.prometheus}`, 9090, (port) => f(`http://127.0.0.1:${port}`));

test.serial("staging on the real node: the operator's Prometheus scrapes the app and both exporters through the ServiceMonitors and loads the stack's rules", async (t) => {
  const jobs = await prometheus((url) =>
    eventually(
      "every target up",
      async () => {
        const active: any[] = (await getJson(`${url}/api/v1/targets?state=active`)).data.activeTargets;
        const up = [...new Set(active.filter((a) => a.health === "up").map((a) => a.labels.job))].sort();
        return up.length === 3 && active.every((a) => a.health === "up") ? up : undefined;
      },
      120_000,
    ),
  );
  t.deepEqual(jobs, ["hotel-api", "postgres", "redis"]);
  // After the rotations above, the exporter still reaches the database: it logs in as the monitoring role over the socket.
  const pgUp = await prometheus((url) => getJson(`${url}/api/v1/query?query=pg_up`));
  t.deepEqual(
    pgUp.data.result.map((r: any) => r.value[1]),
    ["1"],
  );
  // The Redis exporter authenticates with the password from the auth Secret.
  const redisUp = await prometheus((url) => getJson(`${url}/api/v1/query?query=redis_up`));
  t.deepEqual(
    redisUp.data.result.map((r: any) => r.value[1]),
    ["1"],
  );
  const rules: any[] = await prometheus(async (url) => (await getJson(`${url}/api/v1/rules?type=alert`)).data.groups.flatMap((g: any) => g.rules));
  t.deepEqual(rules.map((r) => r.name).sort(), [
    "HotelApiErrorRatioHigh",
    "HotelApiP95LatencyHigh",
    "HotelApiTargetDown",
    "HotelCacheMissRatioHigh",
    "HotelPostgresExporterDown",
    "HotelRedisExporterDown",
  ]);
});

/** Lookups of reservations that do not exist (cache misses) through the app's Service: 20 a second, at most `seconds`. */
async function missLoad(port: number, seconds: number, until: () => boolean): Promise<number> {
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && !until()) {
    await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`http://127.0.0.1:${port}/reservations/${9_000_000 + sent + i}`).then((r) => r.arrayBuffer())));
    sent += 20;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return sent;
}

test.serial(
  "staging on the real node: a cache miss ratio pushed over its threshold fires HotelCacheMissRatioHigh, delivered by the operator's Alertmanager to the receiver in the cluster",
  async (t) => {
    const alertmanagerPod = `alertmanager-${MONITORING_NAME}-0`;
    const delivered = () => /delivery \/tickets .*HotelCacheMissRatioHigh=firing/.test(logsOf(alertmanagerPod, "webhook-sink", MONITORING_NAMESPACE));
    const sent = await throughForward(cluster, NS, "svc/hotel-api", 80, (port) => missLoad(port, 90, delivered));
    t.log(`${sent} lookups of missing reservations`);
    t.true(sent <= 1_800);
    await eventually("the delivery", async () => (delivered() ? true : undefined), 30_000);
    t.regex(logsOf(alertmanagerPod, "webhook-sink", MONITORING_NAMESPACE), /delivery \/tickets .*HotelCacheMissRatioHigh=firing/);
    // Targets went down while the stack started and while the rotation rolled the app (4 s
    // `for` here): those alerts resolved, and none of them fires now.
    const firing: string[] = await prometheus(async (url) => (await getJson(`${url}/api/v1/alerts`)).data.alerts.filter((a: any) => a.state === "firing").map((a: any) => a.labels.alertname));
    t.true(firing.includes("HotelCacheMissRatioHigh"), firing.join(", "));
    t.false(
      firing.some((a) => /TargetDown|ExporterDown/.test(a)),
      firing.join(", "),
    );
  },
);

test.serial("staging on the real node: npm run daily-check reads the stage's numbers from the operator's Prometheus through a port-forward", async (t) => {
  const res = await prometheus(async (url) =>
    spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/dailyCheck/command.ts", "--prometheus", url, "--stack", "staging"], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      env: { ...process.env, HOTEL_STAGE_FILE: stageFile },
    }),
  );
  const out = res.stdout + res.stderr;
  // The miss load just ran: the cache check is over its threshold, so the check exits 1.
  t.is(res.status, 1, out);
  t.regex(out, /cache hit ratio/i);
});

/** The PID of a running container of `pod` (its task in containerd), for a look into its network namespace. */
function taskPid(pod: Pod): number {
  const id = pod.status.containerStatuses![0].containerID!.replace(/^containerd:\/\//, "");
  const pid = cluster
    .node!.ctr(["tasks", "ls"])
    .split("\n")
    .find((l) => l.startsWith(id))
    ?.trim()
    .split(/\s+/)[1];
  if (!pid) throw new Error(`no task for container ${id}`);
  return Number(pid);
}

test.serial("no packet leaves: up refuses, before the engine starts, a stage whose images the node lacks, naming each and the switch", async (t) => {
  const err = await t.throwsAsync(prepareNodeImages(cluster.node!, checkStageFile("staging").config, { localImages: false, checkImages: true, say: () => undefined }), {
    instanceOf: ImagesUnavailable,
  });
  t.regex(err!.message, /hotel:app\.image = ghcr\.io\/hotel-reservation\/api:1\.8\.2: not in the node's containerd/);
  t.regex(err!.message, /hotel:images\.redis = redis:7\.2\.5-bookworm: not in the node's containerd/);
  t.is(err!.message.match(/not in the node's containerd/g)?.length, 7);
  t.regex(err!.message, /Run with --local-images/);
});

test.serial("a preview with --local-images plans with the names up imports, without asking the node", async (t) => {
  // A node that fails on any use: a preview, refresh or destroy runs no image, so it needs none imported.
  const untouchable = new Proxy(
    {},
    {
      get: (_, key) => {
        throw new Error(`the node was asked for ${String(key)}`);
      },
    },
  ) as RealNode;
  const planned = await prepareNodeImages(untouchable, checkStageFile("staging").config, { localImages: true, checkImages: false, say: () => undefined });
  t.deepEqual(planned, images);
  t.regex(planned!.app, /^hotel-local\/stand-in-api-test-fixture:[0-9a-f]{12}$/);
});

test.serial("no packet leaves: a pod whose image the node lacks fails its pull against a closed port on loopback, not a registry", async (t) => {
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "pull-probe", namespace: "default" }, spec: { containers: [{ name: "c", image: "ghcr.io/hotel-reservation/api:1.8.2" }] } };
  cluster.kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  try {
    const message = await eventually(
      "a failed pull",
      async () => {
        const waiting = JSON.parse(cluster.kubectl(["get", "pod", "pull-probe", "-n", "default", "-o", "json"])).status.containerStatuses?.[0]?.state?.waiting;
        return waiting && /ErrImagePull|ImagePullBackOff/.test(waiting.reason) ? String(waiting.message) : undefined;
      },
      60_000,
    );
    t.regex(message, /127\.0\.0\.1:1/);
    t.notRegex(message, /ghcr\.io\/v2|no such host|lookup /);
  } finally {
    cluster.kubectl(["delete", "pod", "pull-probe", "-n", "default", "--wait=false"]);
  }
});

test.serial("no packet leaves: a pod's routing table reaches the pod and service ranges and the node, and nothing else", (t) => {
  const pid = taskPid(podNamed("hotel-api-"));
  const route = (to: string) => run("nsenter", ["--net=/proc/" + pid + "/ns/net", "ip", "route", "get", to]);
  t.regex(route("10.96.0.1").stdout, /dev eth0/);
  t.regex(route("10.249.0.1").stdout, /dev eth0/);
  for (const outside of ["1.1.1.1", "192.0.2.1", "172.17.0.1"]) {
    const r = route(outside);
    t.not(r.status, 0, `${outside}: ${r.stdout}`);
    t.regex(r.stderr, /Network is unreachable/);
  }
  t.notRegex(run("nsenter", ["--net=/proc/" + pid + "/ns/net", "ip", "route", "show"]).stdout, /^default/m);
});

test.serial("no packet leaves: the node's counting drop is the first rule of FORWARD and has dropped nothing; no masquerade for the pod range", (t) => {
  // First even after kube-proxy prepended its own jumps (KUBE-FORWARD accepts established traffic).
  t.is(firstRule("FORWARD"), `-A FORWARD -j ${NODE_NETWORK.egressChain}`);
  t.regex(run("iptables", ["-w", "-S", "FORWARD"]).stdout, /-j KUBE-FORWARD/);
  t.is(egressDrops(), 0);
  const nat = run("iptables", ["-w", "-t", "nat", "-S", "POSTROUTING"]).stdout;
  t.notRegex(nat, /10\.244\.0\.0\/24.*MASQUERADE/);
  t.notRegex(nat, /-s 10\.244/);
});

test.serial("no packet leaves: cluster DNS answers the cluster's names and has no upstream for any other", async (t) => {
  const resolver = new dns.Resolver({ timeout: 3_000, tries: 1 });
  resolver.setServers([NODE_NETWORK.nodeIp]);
  const svcIp = cluster.kubectl(["get", "svc", "hotel-api", "-n", NS, "-o", "jsonpath={.spec.clusterIP}"]);
  t.deepEqual(await resolver.resolve4(`hotel-api.${NS}.svc.cluster.local`), [svcIp]);
  const err = await t.throwsAsync(resolver.resolve4("alerts.hotel.internal"));
  t.regex(String(err?.message), /REFUSED|SERVFAIL|ENOTFOUND/);
});

test.serial("the project's dockerd and the real node together: Docker's containers are kept on the machine too (no masquerade, a counting drop first in DOCKER-USER)", (t) => {
  // The test command runs the project's dockerd for the whole suite; this node ran beside it.
  t.is(firstRule("DOCKER-USER"), `-A DOCKER-USER -j ${DOCKER_EGRESS_CHAIN}`);
  t.notRegex(run("iptables", ["-w", "-t", "nat", "-S", "POSTROUTING"]).stdout, /MASQUERADE/);
  // Both chains are consulted before any rule of FORWARD that accepts a new packet. Ours is
  // first; kube-proxy prepends its jumps before Docker's when Docker started first, and its
  // KUBE-FORWARD accepts only packets of established flows or marked by kube-proxy's own NAT
  // (never a container's new packet to an outside address), so DOCKER-USER still sees those.
  const forward = run("iptables", ["-w", "-S", "FORWARD"])
    .stdout.split("\n")
    .filter((l) => l.startsWith("-A "));
  t.is(forward[0], `-A FORWARD -j ${NODE_NETWORK.egressChain}`);
  const dockerUser = forward.indexOf("-A FORWARD -j DOCKER-USER");
  t.true(dockerUser > 0, forward.join("\n"));
  const before = forward.slice(1, dockerUser).map((l) => /-j (\S+)$/.exec(l)?.[1]);
  t.true(
    before.every((target) => ["KUBE-PROXY-FIREWALL", "KUBE-FORWARD", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES"].includes(target!)),
    forward.join("\n"),
  );
  const kubeAccepts = run("iptables", ["-w", "-S", "KUBE-FORWARD"])
    .stdout.split("\n")
    .filter((l) => / -j ACCEPT$/.test(l));
  t.true(kubeAccepts.length > 0);
  t.true(
    kubeAccepts.every((l) => /--mark 0x4000\/0x4000|--ctstate RELATED,ESTABLISHED/.test(l)),
    kubeAccepts.join("\n"),
  );
  // Not 0 in a full run: the dev stage's containers try to reach outside names (Docker's
  // embedded resolver forwards their lookups from their own namespace); each was dropped here.
  t.log(`packets from Docker's containers dropped before leaving the machine: ${dockerEgressDrops()}`);
});

test.serial("prod on the real node, after staging's destroy: the roadmap's before state runs (LRU Redis, no pg_stat_statements, no index, the default pool of 20)", async (t) => {
  // One node has 2 CPUs: staging's requests (1.35 CPU) and prod's (1.7) do not fit together.
  // Staging goes first, by the stack's own destroy: its pods really stop and its namespace goes.
  await destroy({ ...stack, stageFile, password: undefined });
  t.is(
    cluster
      .kubectl(["get", "namespaces", "-o", "name"])
      .split("\n")
      .filter((n) => n === `namespace/${NS}`).length,
    0,
  );
  const prod = freshState("prod", { kubeconfig: cluster.kubeconfigPath, localImages: images, password: "prod-node-test-password" });
  await up(prod);
  const pods = podsIn(cluster, "hotel-prod").filter((p) => p.status.phase === "Running");
  t.deepEqual([...new Set(pods.map((p) => p.spec.nodeName))], [NODE]);
  t.is(pods.filter((p) => p.metadata.name.startsWith("hotel-api-")).length, 3);
  const redis = pods.find((p) => p.metadata.name === "redis-0")!.metadata.name;
  t.is(cluster.kubectl(["exec", "-n", "hotel-prod", redis, "-c", "redis", "--", "redis-cli", "CONFIG", "GET", "maxmemory-policy"]).trim().split("\n")[1], "allkeys-lru");
  const psql = (sql: string) => cluster.kubectl(["exec", "-n", "hotel-prod", "postgres-0", "-c", "postgres", "--", "psql", "-U", "hotel", "-d", "hotel", "-tAc", sql]).trim();
  t.is(psql("SHOW shared_preload_libraries"), "");
  t.is(psql("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_%'"), "0");
  const api = pods.find((p) => p.metadata.name.startsWith("hotel-api-"))!.metadata.name;
  t.regex(cluster.kubectl(["exec", "-n", "hotel-prod", api, "-c", "api", "--", "env"]), /^DB_POOL_SIZE=20$/m);
});

test.serial("stop ends the node's processes and removes what it added to the host: the address, the bridge, the routes, the netfilter chains, the mounts", async (t) => {
  const dir = cluster.options.dir;
  // Every daemon of the node ran through the whole file (kube-proxy exits if its config file is rewritten).
  const node = cluster.node!.status();
  t.deepEqual(Object.keys(node), ["containerd", "kubelet", "kube-proxy", "coredns", "volume-provisioner"]);
  for (const [name, pid] of Object.entries(node)) t.truthy(pid, `${name} runs`);
  await cluster.stop();
  t.false(cluster.running());
  t.notRegex(run("ip", ["-o", "addr", "show", "dev", "lo"]).stdout, /10\.249\.0\.1/);
  t.is(run("ip", ["link", "show", NODE_NETWORK.bridge]).status, 1);
  t.is(run("ip", ["route", "show", NODE_NETWORK.serviceCidr]).stdout.trim(), "");
  t.is(run("iptables", ["-w", "-S", NODE_NETWORK.egressChain]).status, 1);
  for (const table of ["filter", "nat", "mangle"]) t.notRegex(run("iptables", ["-w", "-t", table, "-S"]).stdout, /KUBE-/, table);
  t.notRegex(run("cat", ["/proc/mounts"]).stdout, new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  t.is(run("pgrep", ["-f", dir]).stdout.trim(), "");
});

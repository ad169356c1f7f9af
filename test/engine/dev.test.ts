/**
 * `pulumi up` of the dev stage for real: a real Docker daemon, the docker and postgresql
 * providers built from source, and the local stand-in images (Debian's servers; the app
 * is the stand-in test fixture). What is checked is read back from the running
 * containers (docker exec, or ports published on 127.0.0.1), not from the program.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import test from "ava";
import { Client } from "pg";
import { parse } from "yaml";
import { PROJECT_DIR, checkStageFile } from "../../config/stages";
import { DockerCli, LocalImages, ensureLocalImages } from "../../lab/docker/images";
import { EngineOptions, destroy, exportState, preview, recover, refresh, stackOutputs, up } from "../../ops/engine";
import { changedSteps, editCheckpoint, freshState, observe, pendingCreate, stageVariant } from "../fixtures/engine";
import { StackObjects, containerOf, eventually, exec, getJson, stackObjects, testDocker } from "../fixtures/liveDocker";
import { checksum } from "../../render/checksum";
import { renderReconcileSql } from "../../render/indexDdl";
import { seedRowsSql } from "../../lab/pgWorkload";
import { tempDir } from "../fixtures/files";
import { freePort } from "../../lab/servers";
import { STAGE_LABEL } from "../../contract/labels";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const PASSWORD = "dev-live-test-password";
const RECONCILE = /^postgres-reconcile-/;
let d: DockerCli;
let images: LocalImages;
let ports: { postgres: number; app: number; prometheus: number };
let stageFile: string;
let stack: EngineOptions;
/** Objects with the dev stage label before this file's stack existed (a killed earlier run's, on the lab daemon's kept data root). */
let foreign: string[];

const listed = (args: string[]) => d.must(args).trim().split("\n").filter(Boolean);
const labelled = () => ["ps -a", "network ls", "volume ls"].flatMap((what) => listed([...what.split(" "), "-q", "--filter", `label=${STAGE_LABEL}=dev`]));

test.before(async () => {
  d = await testDocker();
  foreign = labelled();
  images = ensureLocalImages(d);
  ports = { postgres: await freePort(), app: await freePort(), prometheus: await freePort() };
  stageFile = stageVariant("dev", (c) => {
    c["hotel:docker"] = { postgresHostPort: ports.postgres, appHostPort: ports.app, prometheusHostPort: ports.prometheus };
  });
  stack = freshState("dev", { dockerHost: d.host, localImages: images, stageFile, password: PASSWORD });
});

test.after.always(async () => {
  // A test that failed half-way leaves containers: remove them (a no-op after the destroy test).
  if (stack) await destroy(stack).catch(() => undefined);
});

const objects = async (): Promise<StackObjects> => stackObjects(await exportState(stack));
const config = () => checkStageFile("dev", stageFile).config;

/** A client of the stack's PostgreSQL, through its port published on 127.0.0.1. */
const client = () => new Client({ host: "127.0.0.1", port: ports.postgres, user: config().postgres.user, database: config().postgres.database, password: PASSWORD });

async function db<T>(f: (c: Client) => Promise<T>): Promise<T> {
  const c = client();
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

const validIndexes = () =>
  db(async (c) => (await c.query("SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indisvalid AND indexrelid::regclass::text LIKE 'idx_%' ORDER BY 1")).rows.map((r) => r.name));
/**
 * What the running PostgreSQL found in its data folder at start, from its log: a server
 * that was killed leaves it "not properly shut down" and the next one runs crash recovery.
 */
async function startedAfter(): Promise<string> {
  const res = d.run(["logs", containerOf(await objects(), "postgres")]);
  const log = res.stdout + res.stderr; // PostgreSQL logs to stderr
  if (/database system was shut down at/.test(log)) return "a clean shutdown";
  if (/not properly shut down|database system was interrupted/.test(log)) return "a crash (recovery ran)";
  return `neither (log: ${log.slice(-400)})`;
}
const hasExtension = () => db(async (c) => (await c.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).rowCount === 1);

test.serial("dev: up with images that cannot be pulled and no --local-images: exit 3 naming the switch and each image's key, nothing created", (t) => {
  const state = tempDir("state");
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", "up", "--stack", "dev"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, DOCKER_HOST: d.host, HOTEL_STATE_DIR: state, HOTEL_STAGE_FILE: stageFile, HOTEL_LOCAL_IMAGES: "" },
  });
  t.is(res.status, 3, res.stderr);
  t.regex(res.stderr, /hotel:app\.image = ghcr\.io\/hotel-reservation\/api:1\.8\.2: not on the daemon and cannot be pulled/);
  t.regex(res.stderr, /run with --local-images \(or HOTEL_LOCAL_IMAGES=1\)/);
  t.false(fs.existsSync(path.join(state, ".pulumi", "stacks")), "no stack was created");
});

test.serial("dev: up creates every resource; Redis, PostgreSQL, Prometheus, Alertmanager and the app run the stage's settings", async (t) => {
  const result = await up(stack);
  // The password is the stack's now: a later run that gave one would be refused.
  stack = { ...stack, password: undefined };
  // The program's 34 resources (test/program/program.test.ts) and the stack itself.
  t.deepEqual(result.summary.resourceChanges, { create: 35 });
  const outputs = await stackOutputs(stack);
  const o = await objects();
  const c = config();

  const redis = containerOf(o, "redis");
  t.is(exec(d, redis, ["redis-cli", "CONFIG", "GET", "maxmemory-policy"]).trim().split("\n")[1], c.redis.maxmemoryPolicy);
  t.is(Number(exec(d, redis, ["redis-cli", "CONFIG", "GET", "maxmemory"]).trim().split("\n")[1]), c.redis.maxmemory.bytes);
  t.log(`redis: maxmemory-policy ${c.redis.maxmemoryPolicy}, maxmemory ${c.redis.maxmemory.bytes}`);

  t.true(await hasExtension(), "pg_stat_statements created through @pulumi/postgresql");
  t.deepEqual(await validIndexes(), c.postgres.indexes.map((i) => i.name).sort());
  t.is(await db(async (c2) => (await c2.query("SHOW shared_preload_libraries")).rows[0].shared_preload_libraries), "pg_stat_statements");

  const prom = `http://127.0.0.1:${ports.prometheus}`;
  const rendered = parse(String(outputs.alertRules.value)).groups.flatMap((g: any) => g.rules.map((r: any) => r.alert ?? r.record));
  const loaded = (await getJson(`${prom}/api/v1/rules`)).data.groups.flatMap((g: any) => g.rules.map((r: any) => r.name));
  t.deepEqual(loaded.sort(), rendered.sort());
  const jobs = await eventually("every scrape target up", async () => {
    const targets = (await getJson(`${prom}/api/v1/targets`)).data.activeTargets as any[];
    const health = Object.fromEntries(targets.map((x) => [x.labels.job, x.health]));
    return Object.values(health).every((h) => h === "up") && targets.length === 3 ? health : undefined;
  });
  t.deepEqual(jobs, { [c.alerts.metrics.appJob]: "up", [c.alerts.metrics.redisJob]: "up", [c.alerts.metrics.postgresJob]: "up" });

  const am = parse(exec(d, containerOf(o, "alert-rules-alertmanager"), ["amtool", "config", "show", "--alertmanager.url=http://127.0.0.1:9093"]));
  const want = parse(String(outputs.alertmanagerConfig.value));
  t.deepEqual(
    am.route.routes.map((r: any) => [r.receiver, r.matchers]),
    want.route.routes.map((r: any) => [r.receiver, r.matchers]),
  );
  // The output shows the routing with its URLs redacted; the live Alertmanager has the stage's URLs.
  t.deepEqual(
    want.receivers.map((r: any) => [r.name, r.webhook_configs[0].url]),
    [
      ["pager", "[secret]"],
      ["tickets", "[secret]"],
    ],
  );
  t.deepEqual(
    am.receivers.map((r: any) => [r.name, r.webhook_configs[0].url]),
    [
      ["pager", c.alerts.receivers.critical],
      ["tickets", c.alerts.receivers.warning],
    ],
  );

  const env = JSON.parse(d.must(["inspect", containerOf(o, "hotel-api"), "--format", "{{json .Config.Env}}"])) as string[];
  const settings = outputs.appSettings.value as Record<string, string>;
  t.deepEqual(Object.fromEntries(env.map((e) => e.split(/=(.*)/s, 2)).filter(([k]) => k in settings)), settings);
  t.like(await getJson(`http://127.0.0.1:${ports.app}/health`), { status: "ok", pool_size: c.dbPool.poolSize });

  // The app is connected as its own role, which is no superuser; Redis refuses a client without the password.
  const appSessions = await db(
    async (c2) => (await c2.query("SELECT DISTINCT a.usename, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename WHERE a.application_name = 'stand-in-api'")).rows,
  );
  t.deepEqual(appSessions, [{ usename: "hotel_app", rolsuper: false }]);
  t.regex(exec(d, redis, ["sh", "-c", "env -u REDISCLI_AUTH redis-cli PING"]), /^NOAUTH Authentication required/);
  t.is(exec(d, redis, ["redis-cli", "PING"]).trim(), "PONG", "redis-cli in the container has the password (REDISCLI_AUTH)");
});

test.serial("dev: refresh, then preview --expect-no-changes is clean", async (t) => {
  // The program's 34 resources and the stack itself.
  t.deepEqual((await refresh(stack)).summary.resourceChanges, { same: 35 });
  t.deepEqual((await preview(stack, { expectNoChanges: true })).changeSummary, { same: 35 });
});

/** Changed resources by step, by their Pulumi names. */
const byName = (steps: Parameters<typeof changedSteps>[0]) => Object.fromEntries(Object.entries(changedSteps(steps)).map(([op, urns]) => [op, urns.map((u) => u.split("::").pop()!).sort()]));

/** The reconcile container's name for quick win 4 on (the stage's SQL) or off (the before state's). */
function reconcileOf(qw4On: boolean): string {
  const c = qw4On
    ? config()
    : checkStageFile(
        "dev",
        stageVariant("dev", (raw) => delete raw["hotel:postgres"], stageFile),
      ).config;
  return `postgres-reconcile-${checksum(renderReconcileSql(c.postgres, { manageExtension: false }))}`;
}

const SEEDED_TABLES = ["reservations", "sessions", "locks"] as const;
type MaxIds = Record<(typeof SEEDED_TABLES)[number], number>;

/** The highest id of each seeded table: the rows that existed before a change. */
const maxIds = () =>
  db(async (c) => {
    // One query at a time: a client runs one (pg deprecates queueing on a busy client).
    const out: Partial<MaxIds> = {};
    for (const t of SEEDED_TABLES) out[t] = Number((await c.query(`SELECT max(id) AS m FROM ${t}`)).rows[0].m);
    return out as MaxIds;
  });

/** Per seeded table: row count and an order-independent checksum of the rows that existed before (id <= its max). */
const fingerprint = (max: MaxIds) =>
  db(async (c) => {
    const out: Record<string, { n: number; sum: string }> = {};
    for (const t of SEEDED_TABLES) out[t] = (await c.query(`SELECT count(*)::int AS n, sum(hashtext(r::text))::text AS sum FROM ${t} r WHERE id <= $1`, [max[t]])).rows[0];
    return out;
  });

interface Insert {
  at: number;
  ms: number;
  /** The insert waited longer than the writer's lock_timeout for a lock, and was cancelled. */
  blocked?: boolean;
}

/**
 * How long an insert may wait for a lock before PostgreSQL cancels it: a lock wait, not
 * elapsed time, so a busy machine cannot fail the check, and a plain CREATE INDEX (which
 * holds inserts off for its whole build, seconds here) always does.
 */
const WRITER_LOCK_TIMEOUT_MS = 200;

/**
 * A writer inserting one reservation at a time over its own connection (reconnecting
 * through a restart) until stopped: at most 60 s and 30 000 inserts, on loopback.
 */
function startWriter(): { stop: () => Promise<Insert[]> } {
  const inserts: Insert[] = [];
  let running = true;
  const deadline = Date.now() + 60_000;
  const loop = (async () => {
    let c: Client | undefined;
    while (running && Date.now() < deadline && inserts.length < 30_000) {
      try {
        if (!c) {
          const fresh = client();
          // A restart ends an idle connection with an error event: the next insert reconnects.
          fresh.on("error", () => (c = undefined));
          await fresh.connect();
          await fresh.query(`SET lock_timeout = ${WRITER_LOCK_TIMEOUT_MS}`);
          c = fresh;
        }
        const at = Date.now();
        const blocked = await c.query("INSERT INTO reservations (guest_id, room_id, check_in, nights, status, created_at) VALUES (1, 1, '2026-01-01', 1, 'writer', now())").then(
          () => false,
          (e: { code?: string }) => {
            if (e.code === "55P03") return true;
            throw e;
          },
        );
        inserts.push({ at, ms: Date.now() - at, blocked });
      } catch {
        await c?.end().catch(() => undefined);
        c = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await c?.end().catch(() => undefined);
  })();
  return { stop: async () => ((running = false), await loop, inserts) };
}

test.serial("dev: quick win 4 off and on changes only PostgreSQL's resources, keeps the data, and the index build never blocks a writer", async (t) => {
  await db((c) => c.query(seedRowsSql({ reservations: 1_000_000, sessions: 200_000, locks: 50_000 })));
  const maxId = await maxIds();
  const before = await fingerprint(maxId);
  t.deepEqual(Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.n])), { reservations: 1_000_000, sessions: 200_000, locks: 50_000 }, "every seeded table counts");

  const off = observe();
  await up({ ...stack, ...off.options, stageFile: stageVariant("dev", (c) => delete c["hotel:postgres"], stageFile) });
  // Per resource: PostgreSQL restarts with other flags (a new container on the same
  // volume), its exporter loses the slow-statements query (a new container), the reconcile
  // script of the new checksum runs (dropping the stack's indexes), and the extension
  // leaves the state but stays in the database (retainOnDelete).
  t.deepEqual(byName(off.observed.steps), {
    replace: ["postgres", "postgres-exporter"],
    create: [reconcileOf(false)],
    delete: ["postgres-pg-stat-statements", reconcileOf(true)],
  });
  t.deepEqual(await fingerprint(maxId), before, "the data survives a restart with other flags");
  t.deepEqual(await startedAfter(), "a clean shutdown", "the replaced PostgreSQL was let stop (fast shutdown), not killed");
  t.deepEqual(await validIndexes(), [], "the stack's indexes are dropped on rollback");
  t.true(await hasExtension(), "pg_stat_statements is never dropped on rollback (it is adopted when turned on again)");

  const on = observe();
  const writer = startWriter();
  await up({ ...stack, ...on.options });
  const inserts = await writer.stop();
  t.deepEqual(byName(on.observed.steps), {
    replace: ["postgres", "postgres-exporter"],
    create: ["postgres-pg-stat-statements", reconcileOf(true)],
    delete: [reconcileOf(false)],
  });
  t.deepEqual(await fingerprint(maxId), before);
  t.deepEqual(await startedAfter(), "a clean shutdown", "the replaced PostgreSQL was let stop (fast shutdown), not killed");
  t.deepEqual(
    await validIndexes(),
    config()
      .postgres.indexes.map((i) => i.name)
      .sort(),
  );

  const reconcile = containerOf(await objects(), RECONCILE);
  const [from, to] = d
    .must(["inspect", reconcile, "--format", "{{.State.StartedAt}} {{.State.FinishedAt}}"])
    .trim()
    .split(" ")
    .map((s) => Date.parse(s));
  const during = inserts.filter((i) => i.at >= from && i.at <= to);
  const longest = Math.max(...during.map((i) => i.ms));
  t.log(`index build: ${to - from} ms; ${during.length} inserts meanwhile, the longest ${longest} ms; ${inserts.length} inserts in all`);
  t.true(during.length >= 20, "the writer ran during the build");
  // A plain CREATE INDEX holds inserts off for the whole build of reservations' index:
  // every insert meanwhile would wait past the lock timeout and be cancelled.
  t.deepEqual(
    during.filter((i) => i.blocked),
    [],
    `no insert waited ${WRITER_LOCK_TIMEOUT_MS} ms for a lock during the ${to - from} ms index build`,
  );
});

test.serial(
  "dev: recover after a kill mid-create removes the container the killed run made, by the name the engine recorded, leaves a same-named one without the stage label, and the next up converges with nothing stray",
  async (t) => {
    const pending: Record<string, string> = {};
    editCheckpoint(stack, (d) => {
      for (const name of ["redis-exporter", "cache-warmer"]) pending[name] = pendingCreate(d, new RegExp(`docker:index/container:Container::${name}$`)).inputs.name;
    });
    t.deepEqual(
      (await exportState(stack)).deployment.pending_operations?.map((p: { type: string }) => p.type),
      ["creating", "creating"],
    );
    // The warmer's name now belongs to a container that is not the stack's (no stage label).
    d.must(["rm", "--force", pending["cache-warmer"]]);
    d.must(["create", "--name", pending["cache-warmer"], images.images.redis, "true"]);
    const named = (name: string) => listed(["ps", "-a", "--filter", `name=^${name}$`, "--format", `{{.Names}}={{.Label "${STAGE_LABEL}"}}`]);
    t.deepEqual(named(pending["redis-exporter"]), [`${pending["redis-exporter"]}=dev`], "the half-made container is on the daemon");

    const r = await recover({ ...stack, password: undefined });
    const names = (urns: string[]) => urns.map((u) => u.split("::").pop());
    t.deepEqual([names(r.removed), names(r.orphaned)], [["redis-exporter"], ["cache-warmer"]]);
    t.deepEqual(named(pending["redis-exporter"]), []);
    t.deepEqual(named(pending["cache-warmer"]), [`${pending["cache-warmer"]}=`], "the unlabelled one is left");
    d.must(["rm", pending["cache-warmer"]]);

    t.is((await up(stack)).summary.result, "succeeded");
    t.deepEqual((await preview(stack, { expectNoChanges: true })).changeSummary.create, undefined);
    // Every object with the stage label is one the state holds: nothing the killed run made is left.
    const o = await objects();
    const stateIds = [...o.containerIds, ...o.networkIds, ...o.volumeNames];
    const ours = labelled().filter((id) => !foreign.includes(id));
    t.deepEqual(
      ours.filter((id) => !stateIds.some((s) => s === id || s.startsWith(id))),
      [],
    );
    // 10 containers (Redis and its exporter, PostgreSQL, its exporter, role and reconcile jobs, Prometheus,
    // Alertmanager, the app, the warmer), the network, 2 volumes.
    t.is(ours.length, 13);
  },
);

test.serial("dev: an update that fails half-way (a container that cannot start) is repaired by the next up", async (t) => {
  // Something else holds the app's host port: the new app container cannot start.
  const busy = await freePort();
  const squatter = net.createServer().listen(busy, "127.0.0.1");
  const moved = stageVariant("dev", (c) => (c["hotel:docker"].appHostPort = busy), stageFile);
  const failed = await up({ ...stack, stageFile: moved }).then(
    () => undefined,
    (e: Error) => e,
  );
  t.truthy(failed, "the update fails");
  t.regex(String(failed?.message), /address already in use|port is already allocated/);
  await new Promise((r) => squatter.close(r));

  const repaired = await up({ ...stack, stageFile: moved });
  t.is(repaired.summary.result, "succeeded");
  // The container is up when the engine returns; the app inside answers a moment later (no health wait on dev).
  const health = await eventually("the repaired app answers on its new port", () => getJson(`http://127.0.0.1:${busy}/health`));
  t.like(health, { status: "ok" });
  const apps = d
    .must(["ps", "-a", "--filter", `name=${containerOf(await objects(), "hotel-api")}`, "--format", "{{.Names}} {{.State}}"])
    .trim()
    .split("\n");
  t.deepEqual(apps, [`${containerOf(await objects(), "hotel-api")} running`]);
  t.is((await preview({ ...stack, stageFile: moved }, { expectNoChanges: true })).changeSummary.create, undefined);
});

test.serial("dev: destroy removes every container, the network and the volumes (PostgreSQL's data, Prometheus' series)", async (t) => {
  const o = await objects();
  t.true(o.containerIds.length >= 8 && o.networkIds.length === 1 && o.volumeNames.length === 2);
  // By the stage label on the daemon, not only by what the state lists: nothing the stack made escapes the count.
  // What carried the label before this file's first up is not the stack's (the test daemon keeps its data root).
  const ours = () => labelled().filter((id) => !foreign.includes(id));
  t.true(ours().length >= o.containerIds.length + 1, "the label finds the stack's objects before the destroy");
  await destroy(stack);
  t.deepEqual(ours(), []);
  t.deepEqual(listed(["ps", "-a", "-q", "--no-trunc", ...o.containerIds.flatMap((id) => ["--filter", `id=${id}`])]), []);
  t.deepEqual(listed(["network", "ls", "-q", "--no-trunc", ...o.networkIds.flatMap((id) => ["--filter", `id=${id}`])]), []);
  t.deepEqual(listed(["volume", "ls", "-q", ...o.volumeNames.flatMap((n) => ["--filter", `name=${n}`])]), []);
});

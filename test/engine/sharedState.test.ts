/**
 * A team's shared state: Pulumi's PostgreSQL backend on a real local PostgreSQL, the
 * passphrase from the environment, the password kept in the state. Each "checkout" is a
 * driver run with its own work folder (no work config, no local password) on the same
 * backend, applying to the run's test cluster in a namespace of its own (render mode has
 * a state of its own, so it cannot show the shared one).
 */
import { spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { EngineOptions, exportState, openStage, preview, stackOutputs, statePassword, up } from "../../ops/engine";
import { tempDir } from "../fixtures/files";
import { stageVariant } from "../fixtures/engine";
import { releaseTestCluster, startTestCluster } from "../fixtures/liveCluster";
import { LocalCluster } from "../../lab/cluster";
import { PostgresServer, startPostgres } from "../../lab/servers";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

let pg: PostgresServer;
let backendUrl: string;
let cluster: LocalCluster;
let stageFile: string;

test.before(async () => {
  cluster = await startTestCluster();
  stageFile = stageVariant("staging", (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], namespace: "hotel-shared-state" }));
  pg = await startPostgres("");
  backendUrl = `postgres://postgres@127.0.0.1:${pg.port}/postgres?sslmode=disable`;
  // The team's passphrase, as CI would hand it over (this worker only).
  process.env.PULUMI_CONFIG_PASSPHRASE = `team-${randomBytes(8).toString("hex")}`;
});

test.after.always(async () => {
  await pg?.stop();
  await releaseTestCluster(cluster);
});

const checkout = (): EngineOptions => ({ stage: "staging", stateDir: tempDir("checkout"), backendUrl, stageFile, kubeconfig: cluster.kubeconfigPath });
/** The staging program's 39 resources (test/program/program.test.ts) and the stack itself. */
const STAGING_STATE_RESOURCES = 40;

test.serial("a shared backend without a passphrase: exit 2 naming the variables, and nothing is written to the backend", async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOTEL_BACKEND_URL: backendUrl, HOTEL_STATE_DIR: tempDir("state"), HOTEL_STAGE_FILE: stageFile, KUBECONFIG: cluster.kubeconfigPath };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/engineCommand.ts", "up", "--stack", "staging"], { cwd: PROJECT_DIR, encoding: "utf8", env });
  t.is(res.status, 2, res.stderr);
  t.regex(res.stderr, /state backend postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable is shared: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/);
  const c = await pg.connect();
  const tables = (await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'pulumi_state'")).rows[0].n;
  await c.end();
  t.is(tables, 0, "the backend was never opened");
});

test.serial("two ups of one stage at once on the PostgreSQL backend: the second fails on the lock with a clear message; nothing is created twice", async (t) => {
  const a = checkout();
  const b = checkout();
  await preview(a); // the stack exists before the race (stack creation is not what is tested)
  const opened = await openStage(b); // b is ready to start its update at once
  let second: Promise<unknown> | undefined;
  const first = up({
    ...a,
    onEvent: (e) => {
      // a holds the stack's lock from the start of its update: b starts while a is mid-way.
      if (e.resourcePreEvent && !second)
        second = opened.engine(["up", "--yes", "--skip-preview"]).then(
          () => "succeeded",
          (err: Error) => err,
        );
    },
  });
  const result = await first;
  const loser = await second;
  t.is(result.summary.result, "succeeded");
  t.true(loser instanceof Error, "the second up did not run alongside the first");
  t.regex(String((loser as Error).message), /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/);
  const urns = ((await exportState(a)).deployment.resources ?? []).map((r: any) => r.urn);
  t.is(urns.length, STAGING_STATE_RESOURCES);
  t.is(new Set(urns).size, urns.length, "each resource once");
  t.deepEqual((await preview(b, { expectNoChanges: true })).changeSummary, { same: STAGING_STATE_RESOURCES });
});

test.serial("a second checkout on the same backend sees the same stack and the same password", async (t) => {
  const first = checkout();
  const second = checkout();
  const password = await statePassword(first);
  t.regex(password ?? "", /^[0-9a-f]{48}$/);
  t.is(await statePassword(second), password);
  t.deepEqual((await preview(second, { expectNoChanges: true })).changeSummary, { same: STAGING_STATE_RESOURCES });
});

test.serial(
  "a webhook URL kept as a secure: value in the stage file (with the team's salt line) reaches the cluster's Secret, and nothing else: not the state, the outputs or the engine's display",
  async (t) => {
    const url = `https://hooks.example.com/pager?token=${randomBytes(12).toString("hex")}`;
    const secureFile = path.join(tempDir("secure-stage"), "Pulumi.staging.yaml");
    fs.copyFileSync(stageFile, secureFile);
    // As a team member sets it: the stock CLI encrypts with the stack's passphrase and writes the salt line.
    (await openStage({ ...checkout(), stageFile: secureFile })).cli(["config", "set", "--secret", "--path", "hotel:alerts.receivers.critical", url, "--config-file", secureFile, "--stack", "staging"]);
    const committed = fs.readFileSync(secureFile, "utf8");
    t.regex(committed, /^encryptionsalt: v1:/m);
    t.regex(committed, /critical:\n\s+secure: v1:/);
    t.false(committed.includes(url));

    const display: string[] = [];
    const o: EngineOptions = { ...checkout(), stageFile: secureFile, onOutput: (x) => display.push(x) };
    const result = await up(o);
    t.is(result.summary.result, "succeeded");
    const live = cluster.kubectl(["get", "secret", "alert-rules-webhooks", "-n", "hotel-shared-state", "-o", "jsonpath={.data.pager}"]);
    t.is(Buffer.from(live, "base64").toString(), url, "the Alertmanager's Secret has the decrypted URL");
    const outputs = await stackOutputs(o);
    t.is(outputs.alertmanagerConfig.secret, false);
    t.is(String(outputs.alertmanagerConfig.value).match(/url: "\[secret\]"/g)?.length, 2);
    t.false(JSON.stringify(await exportState(o)).includes(url), "the state holds it encrypted only");
    t.false(display.join("").includes(url), "the engine's display never shows it");
  },
);

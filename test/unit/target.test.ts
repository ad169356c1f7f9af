/**
 * A change under CI from a file backend on the runner reaches only this machine's own
 * cluster or daemon; set-but-empty backend variables are errors (ops/engine/target.ts,
 * stateBackend.ts), through the API and the command line, before anything is touched.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { kubeconfigServers, refuseRunnerStateUnderCi } from "../../ops/engine/target";
import { SecretsSetupError, backendFromEnv } from "../../ops/engine/stateBackend";
import { renderFoldersOf } from "../../ops/engine/renderFolder";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const kubeconfig = (...servers: string[]) => {
  const file = path.join(tempDir("kubeconfig"), "config");
  const clusters = servers.map((s, i) => `- name: c${i}\n  cluster:\n    server: ${s}\n`).join("");
  fs.writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n${clusters}`);
  return file;
};

const K8S = { "hotel:platform": "kubernetes" };
const DOCKER = { "hotel:platform": "docker" };
const FILE_BACKEND = { stage: "staging", stateDir: "/tmp/hotel-no-such-state" };

/** An address of one of this machine's own interfaces outside 127/8 (the local cluster's node address is one). */
const interfaceAddress =
  Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "127.0.0.2";

const CASES: { name: string; env: NodeJS.ProcessEnv; options?: object; raw?: Record<string, unknown>; refused: boolean }[] = [
  { name: "CI, file backend, a remote cluster", env: { CI: "true" }, options: { kubeconfig: kubeconfig("https://k8s.example.com:6443") }, refused: true },
  { name: "CI, file backend, one loopback and one remote cluster", env: { CI: "true" }, options: { kubeconfig: kubeconfig("https://127.0.0.1:6443", "https://10.0.0.5:6443") }, refused: true },
  { name: "CI, file backend, no kubeconfig at all", env: { CI: "true", KUBECONFIG: "/nonexistent/kubeconfig" }, refused: true },
  { name: "CI, file backend, the kubeconfig inside the stage file", env: { CI: "true" }, raw: { ...K8S, "kubernetes:kubeconfig": "apiVersion: v1" }, refused: true },
  { name: "CI, file backend, a Docker daemon elsewhere", env: { CI: "true", DOCKER_HOST: "tcp://build-host:2376" }, raw: DOCKER, refused: true },
  { name: "CI, file backend, this machine's cluster (loopback)", env: { CI: "true" }, options: { kubeconfig: kubeconfig("https://127.0.0.1:6443", "https://localhost:7443") }, refused: false },
  { name: "CI, file backend, a cluster on an address of this machine's interfaces", env: { CI: "true" }, options: { kubeconfig: kubeconfig(`https://${interfaceAddress}:6443`) }, refused: false },
  { name: "CI, file backend, this machine's Docker socket", env: { CI: "true" }, options: { dockerHost: "unix:///run/hotel-docker.sock" }, raw: DOCKER, refused: false },
  {
    name: "CI, shared backend, a remote cluster",
    env: { CI: "true" },
    options: { backendUrl: "postgres://state.example.com/pulumi", kubeconfig: kubeconfig("https://k8s.example.com:6443") },
    refused: false,
  },
  { name: "no CI, file backend, a remote cluster (a laptop)", env: {}, options: { kubeconfig: kubeconfig("https://k8s.example.com:6443") }, refused: false },
  {
    name: "CI, file backend, render (writes files, applies nothing)",
    env: { CI: "true" },
    options: { renderDir: "/tmp/render", kubeconfig: kubeconfig("https://k8s.example.com:6443") },
    refused: false,
  },
];

for (const c of CASES) {
  test(`CI guard: ${c.name} -> ${c.refused ? "refused" : "allowed"}`, (t) => {
    const run = () => refuseRunnerStateUnderCi({ ...FILE_BACKEND, ...c.options }, (c.raw ?? K8S) as never, c.env);
    if (!c.refused) {
      t.notThrows(run);
      return;
    }
    const err = t.throws(run, { instanceOf: SecretsSetupError });
    t.regex(err!.message, /^CI is set and the state of stage staging would be a file on this runner \(file:\/\/\/tmp\/hotel-no-such-state\), gone when the run ends/);
    t.regex(err!.message, /Set HOTEL_BACKEND_URL to the team's state backend/);
  });
}

test("the CI guard of a render creates nothing: neither the state folder nor render's private folders under ~/.cache", (t) => {
  const stateDir = path.join(tempDir("render-guard"), "state");
  refuseRunnerStateUnderCi({ stage: "staging", stateDir, renderDir: tempDir("render-out") }, K8S as never, { CI: "true" });
  t.false(fs.existsSync(renderFoldersOf(`file://${stateDir}`)), "no private render folder");
  t.false(fs.existsSync(stateDir), "no state folder");
});

test("kubeconfigServers lists every cluster's server", (t) => {
  t.deepEqual(kubeconfigServers(fs.readFileSync(kubeconfig("https://a:1", "https://b:2"), "utf8")), ["https://a:1", "https://b:2"]);
  t.deepEqual(kubeconfigServers(""), []);
});

test("a set-but-empty backend variable is an error naming it; unset falls back to the file backend", (t) => {
  for (const name of ["HOTEL_BACKEND_URL", "PULUMI_BACKEND_URL"]) {
    t.throws(() => backendFromEnv({ [name]: "" }), { instanceOf: SecretsSetupError, message: new RegExp(`^${name} is set but empty \\(a missing CI secret reads as ""\\)`) });
    t.throws(() => backendFromEnv({ [name]: "  " }), { instanceOf: SecretsSetupError });
  }
  t.is(backendFromEnv({}), undefined);
  t.is(backendFromEnv({ HOTEL_BACKEND_URL: "postgres://a/b", PULUMI_BACKEND_URL: "file:///x" }), "postgres://a/b");
});

const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [...TS_ENTRY_ARGS, path.join(PROJECT_DIR, "ops", "engineCommand.ts"), ...args], { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, ...env } });

test("the command line: an empty HOTEL_BACKEND_URL, and CI with a runner's file backend and a remote cluster, stop with exit 2 before any state exists", (t) => {
  const stateDir = path.join(tempDir("ci-guard"), "state");
  const base = { HOTEL_STATE_DIR: stateDir, PULUMI_BACKEND_URL: undefined, HOTEL_BACKEND_URL: undefined };
  const empty = cli(["up", "--stack", "staging"], { ...base, HOTEL_BACKEND_URL: "" });
  t.is(empty.status, 2, empty.stderr);
  t.regex(empty.stderr, /HOTEL_BACKEND_URL is set but empty/);
  const remote = cli(["up", "--stack", "staging"], { ...base, CI: "true", KUBECONFIG: kubeconfig("https://k8s.example.com:6443") });
  t.is(remote.status, 2, remote.stderr);
  t.regex(remote.stderr, /CI is set and the state of stage staging would be a file on this runner/);
  t.regex(remote.stderr, /https:\/\/k8s\.example\.com:6443/);
  t.false(fs.existsSync(stateDir), "no state folder was created");
});

/**
 * destroy (and adopt) are deliberate on the command line (ops/engineCommand.ts): they
 * name their stage (no default), and destroy goes ahead only with --yes or the stage's
 * name typed on a terminal; otherwise it stops with exit 2 before anything is opened.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const remoteKubeconfig = () => {
  const file = path.join(tempDir("kubeconfig"), "config");
  fs.writeFileSync(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: team\n  cluster:\n    server: https://k8s.example.com:6443\n");
  return file;
};

/** The command line with stdin from a pipe (not a terminal), as in CI or a script. */
function cli(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [...TS_ENTRY_ARGS, path.join(PROJECT_DIR, "ops", "engineCommand.ts"), ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    input: "staging\n",
    env: { ...process.env, CI: undefined, HOTEL_BACKEND_URL: undefined, PULUMI_BACKEND_URL: undefined, ...env },
  });
}

const CASES: { name: string; args: string[]; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
  { name: "no --stack", args: ["destroy"], message: /^destroy needs --stack <stage>: it has no default stage$/m },
  { name: "no --stack, PULUMI_STACK set", args: ["destroy"], env: { PULUMI_STACK: "staging" }, message: /^destroy needs --stack <stage>/m },
  {
    name: "--stack staging, no terminal, no --yes (the piped answer is not taken)",
    args: ["destroy", "--stack", "staging"],
    message:
      /^This destroys stage staging on the cluster\(s\) of .*\/config \(https:\/\/k8s\.example\.com:6443\): it needs a confirmation, so nothing was changed: run it on a terminal, or pass --yes$/m,
  },
  { name: "adopt with no --stack", args: ["adopt"], env: { PULUMI_STACK: "staging" }, message: /^adopt needs --stack <stage>: it has no default stage$/m },
  { name: "--yes on another command", args: ["up", "--stack", "staging", "--yes"], message: /^unknown flag --yes/m },
];

for (const c of CASES) {
  test(`destroy on the command line: ${c.name} -> exit 2, nothing opened`, (t) => {
    const stateDir = path.join(tempDir("destroy"), "state");
    const res = cli(c.args, { KUBECONFIG: remoteKubeconfig(), HOTEL_STATE_DIR: stateDir, ...c.env });
    t.is(res.status, 2, res.stderr);
    t.regex(res.stderr, c.message);
    t.false(fs.existsSync(stateDir), "no state folder was created");
  });
}

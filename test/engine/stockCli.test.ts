/**
 * The stock Pulumi CLI in the repository, as the README shows it (no driver, no work
 * config): `pulumi stack init` and `pulumi preview -s staging --policy-pack policies`
 * on a checkout of the committed tree. The program needs nothing but the stage file: its
 * password is a resource it owns. Run on a copy of the tracked files, because the stock
 * CLI writes its passphrase salt into Pulumi.<stage>.yaml (docs/ENGINE.md).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { preview, toolchainBin } from "../../ops/engine";
import { freshState } from "../fixtures/engine";
import { tempDir } from "../fixtures/files";

/** The committed tree (tracked files as they are in the working copy), with the installed node_modules linked in. */
function checkout(): string {
  const dir = path.join(tempDir("stock-cli"), "hotel");
  const files = execFileSync("git", ["ls-files"], { cwd: PROJECT_DIR, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(PROJECT_DIR, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

// The driver installs the offline build's plugins into .pulumi-home on its first run: make sure one ran.
test.before(async () => {
  await preview(freshState("staging"));
});

test("the README's stock commands: pulumi stack init, then pulumi preview -s staging --policy-pack policies plans every resource and passes the pack", (t) => {
  const dir = checkout();
  const bin = toolchainBin();
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    // The plugins the driver installed (the offline build's), and a state of the test's own.
    PULUMI_HOME: path.join(PROJECT_DIR, ".pulumi-home"),
    PULUMI_BACKEND_URL: `file://${tempDir("stock-state")}`,
    PULUMI_CONFIG_PASSPHRASE: "stock-cli-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    KUBECONFIG: "/nonexistent/kubeconfig",
  };
  const pulumi = (args: string[]) => spawnSync(path.join(bin, "pulumi"), args, { cwd: dir, env, encoding: "utf8" });
  const init = pulumi(["stack", "init", "staging"]);
  t.is(init.status, 0, init.stderr);
  const preview = pulumi(["preview", "-s", "staging", "--policy-pack", "policies", "--non-interactive", "--color", "never"]);
  t.is(preview.status, 0, `${preview.stdout}\n${preview.stderr}`);
  t.regex(preview.stdout, /\+ 40 to create/);
  t.regex(preview.stdout, /\+\s+pulumi-nodejs:dynamic:Resource\s+postgres-password\s+create/);
  t.regex(preview.stdout, /Policies:\n\s+\S+ hotel-quick-wins@v[\d.]+ \(local: policies\)/);
  t.notRegex(preview.stdout, /\[mandatory\]/);
  // What the stock CLI does to the stage file: it adds its salt (docs/ENGINE.md says what to do with it).
  t.regex(fs.readFileSync(path.join(dir, "Pulumi.staging.yaml"), "utf8"), /^encryptionsalt: v1:/m);
});

/**
 * What a command does before its work: the engine command loads none of the Node SDK (it
 * drives the CLI itself: ops/engine/engineRun.ts), a read started early keeps everything
 * the CLI prints, and a mistyped cluster command builds nothing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { cliAsync } from "../../ops/engine/toolchain";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

/** How many of the SDK's modules a fresh node process holds after running `code` (under the commands' own loader). */
function sdkModulesAfter(code: string): number {
  const probe = `${code}; console.log(Object.keys(require.cache).filter((k) => k.includes("/node_modules/@pulumi/pulumi/")).length)`;
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "-e", probe], { cwd: PROJECT_DIR, encoding: "utf8" });
  if (res.status !== 0) throw new Error(res.stderr);
  return Number(res.stdout.trim().split("\n").pop());
}

test("the engine command loads none of the Node SDK", (t) => {
  t.is(sdkModulesAfter(`require("./ops/engineCommand.ts")`), 0);
  // The probe sees the SDK when it is there.
  t.true(sdkModulesAfter(`require("@pulumi/pulumi/automation")`) > 50);
});

/** A stand-in `pulumi` in a folder of its own, running `script`. */
function fakeCli(script: string): string {
  const bin = tempDir("fake-pulumi");
  fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return bin;
}

test("a read started early keeps all the CLI prints (more than a pipe holds) and fails as a synchronous call does", async (t) => {
  // 300,000 bytes: nearly five times a Linux pipe's 64 KiB, so the child writes while this process reads.
  const big = fakeCli(`head -c 300000 /dev/zero | tr '\\0' x`);
  t.is((await cliAsync(big, {}, PROJECT_DIR, ["stack", "export"])).length, 300000);
  const failing = fakeCli(`echo "no stack named 'dev' found" >&2; exit 3`);
  await t.throwsAsync(cliAsync(failing, {}, PROJECT_DIR, ["stack", "export"]), { message: "pulumi stack export failed: no stack named 'dev' found\n" });
});

test("a mistyped cluster command says which commands exist and builds nothing", (t) => {
  const cache = tempDir("cluster-cache");
  // Without Go on PATH, a build that did start would fail at once instead of running for minutes.
  const res = spawnSync(process.execPath, [...TS_ENTRY_ARGS, "ops/clusterCommand.ts", "strat"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, PATH: "/usr/bin:/bin", HOTEL_CLUSTER_CACHE: cache },
    timeout: 60_000,
  });
  t.is(res.status, 1);
  t.is(res.stderr.trim(), 'unknown command "strat"; commands: start, stop, status, reset');
  t.deepEqual(fs.readdirSync(cache), []);
});

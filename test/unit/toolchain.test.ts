/**
 * Which Pulumi the driver runs (ops/engine/toolchain.ts): the offline build from source on
 * this machine, or, with HOTEL_TOOLCHAIN=installed (GitHub, after pulumi/actions), the
 * stock release on PATH with plugins by Pulumi's normal route.
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { engineEnv, installedBin, installedToolchain } from "../../ops/engine/toolchain";
import { tempDir } from "../fixtures/files";

test("installed: the folder of the first pulumi on PATH; none there is an error naming the fix", (t) => {
  const empty = tempDir("path-empty");
  const withCli = tempDir("path-cli");
  fs.writeFileSync(path.join(withCli, "pulumi"), "#!/bin/sh\n", { mode: 0o755 });
  t.is(installedBin({ PATH: [empty, withCli, "/usr/bin"].join(path.delimiter) }), withCli);
  t.throws(() => installedBin({ PATH: empty }), { message: /^HOTEL_TOOLCHAIN=installed, but no pulumi is on PATH: install the Pulumi CLI \(on GitHub: pulumi\/actions\)/ });
});

test("plugin downloads stay off offline and are on for the installed release", (t) => {
  const backend = { url: "file:///tmp/x", shared: false };
  const saved = process.env.HOTEL_TOOLCHAIN;
  try {
    delete process.env.HOTEL_TOOLCHAIN;
    t.false(installedToolchain());
    t.is(engineEnv(backend, {}, "/bin").PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
    process.env.HOTEL_TOOLCHAIN = "installed";
    t.true(installedToolchain());
    t.is(engineEnv(backend, {}, "/bin").PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "false");
  } finally {
    if (saved === undefined) delete process.env.HOTEL_TOOLCHAIN;
    else process.env.HOTEL_TOOLCHAIN = saved;
  }
});

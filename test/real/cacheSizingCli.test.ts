/** `npm run bench -- cache-size` end to end: a user's key log replayed on real redis-server, and its refusals. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { tempDir } from "../fixtures/files";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

const sizeCli = (args: string[]) => spawnSync(process.execPath, [...TS_ENTRY_ARGS, "bench/run.ts", "cache-size", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });

test("npm run bench -- cache-size on a user's log: a b a b can hit at most half (two first reads), so 60 % is unreachable and 40 % needs little memory", (t) => {
  const log = path.join(tempDir("trace"), "keys.log");
  fs.writeFileSync(log, "a\nb\na\nb\n");
  const high = sizeCli(["--target", "0.6", "--trace", log]);
  t.is(high.status, 0, high.stderr);
  for (const p of ["allkeys-lru", "allkeys-lfu", "perfect-lfu", "opt"]) t.regex(high.stdout, new RegExp(`${p} +unreachable at any size \\(ceiling 50\\.0 %`));
  const low = sizeCli(["--target", "0.4", "--trace", log]);
  t.regex(low.stdout, /opt +[\d.]+ MiB \([\d.]+ % of the working set\) for 40\.0 %; ceiling 50\.0 %/);
});

test("npm run bench -- cache-size refuses bad input with exit 2 and the reason", (t) => {
  const empty = path.join(tempDir("trace"), "empty.log");
  fs.writeFileSync(empty, "# nothing\n");
  const cases: [string[], RegExp][] = [
    [["--target", "0.5", "--trace", empty], /the trace is empty/],
    [["--target", "1.5"], /--target must be a hit ratio between 0 and 1/],
    [["--trace", empty], /--target <hit ratio> is required/],
    [["--target", "0.5", "--trace", "/nonexistent.log"], /no such file/],
  ];
  for (const [args, message] of cases) {
    const res = sizeCli(args);
    t.is(res.status, 2, args.join(" "));
    t.regex(res.stderr, message);
  }
});

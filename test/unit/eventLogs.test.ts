/**
 * Each engine command's event log lives in a temp folder named after its driver
 * (ops/engine/engineRun.ts). A driver killed with SIGKILL cannot remove its folder, so
 * every run sweeps up the folders of drivers that are gone, and only those.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { sweepEventLogs } from "../../ops/engine/engineRun";
import { tempDir } from "../fixtures/files";

/** The PID of a process that has already exited. */
const deadPid = (): number => spawnSync("true").pid!;

test("the sweep removes the event logs of drivers that are gone, and leaves a live driver's and every other folder", (t) => {
  const tmp = tempDir("sweep");
  const dead = deadPid();
  const folders = {
    deadDriver: `hotel-events-${dead}-Ab12Cd`,
    liveDriver: `hotel-events-${process.pid}-Ef34Gh`,
    noPid: "hotel-events-Ij56Kl",
    otherTool: `other-events-${dead}-Mn78Op`,
  };
  for (const name of Object.values(folders)) {
    fs.mkdirSync(path.join(tmp, name));
    fs.writeFileSync(path.join(tmp, name, "events.jsonl"), '{"sequence":1}\n');
  }
  t.deepEqual(sweepEventLogs(tmp), [folders.deadDriver]);
  t.deepEqual(fs.readdirSync(tmp).sort(), [folders.liveDriver, folders.noPid, folders.otherTool].sort());
  t.deepEqual(sweepEventLogs(tmp), [], "a second sweep finds nothing more");
});

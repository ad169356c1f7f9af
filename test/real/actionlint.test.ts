/** actionlint (built by scripts/actionlint.sh) passes on the CI workflows users get. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

test("the workflows exist and actionlint passes on them", (t) => {
  t.deepEqual(files.sort(), ["deploy.yml", "pull-request.yml"]);
  const bin = spawnSync("bash", [path.join(PROJECT_DIR, "scripts", "actionlint.sh")], { encoding: "utf8" }).stdout.trim();
  const res = spawnSync(bin, ["-no-color", "-oneline", ...files.map((f) => path.join(WORKFLOWS, f))], { encoding: "utf8" });
  t.is(res.status, 0, res.stdout + res.stderr);
});

/**
 * npm run changed -- --stack <stage> --base <git ref>: whether a change since `base`
 * concerns a stage: its own stage file, or shared code (anything but the other stages'
 * files and the docs), which counts as a change to every stage. Prints true/false, and
 * in GitHub Actions also writes `changed=<true|false>` to $GITHUB_OUTPUT for later steps.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { PROJECT_DIR } from "../config/stages";
import { STAGES } from "../contract/project";
import { flagValue } from "../lib/flags";

/** Paths that never change what a stage deploys. */
const NOT_DEPLOYED = [/^docs\//, /\.md$/, /^rendered\//, /^bench\//, /^\.github\//];

export function stageChanged(stage: string, files: string[]): boolean {
  const otherStages = STAGES.filter((s) => s !== stage).map((s) => `Pulumi.${s}.yaml`);
  return files.some((f) => f === `Pulumi.${stage}.yaml` || (!otherStages.includes(f) && !NOT_DEPLOYED.some((re) => re.test(f))));
}

function changedFiles(base: string): string[] {
  return execFileSync("git", ["diff", "--name-only", base, "HEAD"], { cwd: PROJECT_DIR, encoding: "utf8" }).split("\n").filter(Boolean);
}

if (require.main === module) {
  const arg = (flag: string) => flagValue(process.argv, flag);
  const stage = arg("--stack");
  const base = arg("--base");
  if (!stage || !(STAGES as readonly string[]).includes(stage) || !base) {
    console.error(`usage: npm run changed -- --stack <${STAGES.join("|")}> --base <git ref>`);
    process.exit(2);
  }
  const changed = stageChanged(stage, changedFiles(base));
  console.log(String(changed));
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `changed=${changed}\n`);
}

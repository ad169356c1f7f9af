/**
 * npm run changed -- --stack <stage> (--base <git ref> | --since-deployed): whether a
 * change concerns a stage: its own stage file, or shared code (anything but the other
 * stages' files and the docs), which counts as a change to every stage. Prints
 * true/false, and in GitHub Actions also writes `changed=<true|false>` to $GITHUB_OUTPUT.
 *
 * --since-deployed compares with the commit the stage last deployed, as its stack
 * records it (ops/engine/operations.ts DEPLOYED_TAG), not with the push's `before`: a
 * merge whose deploy was cancelled or failed is still ahead of that commit, so the next
 * run deploys it.
 */
import { execFileSync, spawnSync } from "child_process";
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

function changedFiles(base: string, cwd: string): string[] {
  return execFileSync("git", ["diff", "--name-only", base, "HEAD"], { cwd, encoding: "utf8" }).split("\n").filter(Boolean);
}

/** Whether HEAD holds a change for the stage since the commit it last deployed, and why. */
export function changedSinceDeployed(stage: string, deployed: string | undefined, cwd = PROJECT_DIR): { changed: boolean; why: string } {
  if (!deployed) return { changed: true, why: `stage ${stage} records no deployed commit (never deployed by CI, or changed by hand since)` };
  if (spawnSync("git", ["merge-base", "--is-ancestor", deployed, "HEAD"], { cwd }).status !== 0) {
    return { changed: true, why: `stage ${stage} last deployed ${deployed}, which is not in this branch's history` };
  }
  const changed = stageChanged(stage, changedFiles(deployed, cwd));
  return { changed, why: `stage ${stage} last deployed ${deployed}; ${changed ? "a change since concerns it" : "nothing since concerns it"}` };
}

async function sinceDeployed(stage: string): Promise<boolean> {
  // Loaded only here: --base needs no engine, no state and no credentials (the pull-request checks).
  const { deployedCommit } = await import("./engine");
  const { backendFromEnv } = await import("./engine/stateBackend");
  const deployed = await deployedCommit({ stage, backendUrl: backendFromEnv(process.env), stateDir: process.env.HOTEL_STATE_DIR });
  const { changed, why } = changedSinceDeployed(stage, deployed);
  console.error(why);
  return changed;
}

async function main(argv: string[]): Promise<void> {
  const stage = flagValue(argv, "--stack");
  const base = flagValue(argv, "--base");
  const deployed = argv.includes("--since-deployed");
  if (!stage || !(STAGES as readonly string[]).includes(stage) || Boolean(base) === deployed) {
    console.error(`usage: npm run changed -- --stack <${STAGES.join("|")}> (--base <git ref> | --since-deployed)`);
    process.exit(2);
  }
  const changed = deployed ? await sinceDeployed(stage) : stageChanged(stage, changedFiles(base!, PROJECT_DIR));
  console.log(String(changed));
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, `changed=${changed}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}

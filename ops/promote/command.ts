/**
 * npm run promote -- --quick-win <1-5> --from <stage> --to <stage> --prometheus <url of the source's Prometheus>
 *                    [--since <ISO time>] [--dry-run]
 * Exit 0 promoted (or, with --dry-run, would be), 1 refused (the numbers say why), 2 bad usage or config.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { quickWin } from "../../config/quickWins";
import { checkStageFile, stageFilePath } from "../../config/stages";
import { STAGES } from "../../contract/project";
import { ConfigError } from "../../config/validate";
import { backendFromEnv } from "../engine/stateBackend";
import { updateHistory } from "../engine";
import { runStage } from "../../harness/mockRun";
import { mandatory, runPack } from "../../harness/policyRunner";
import { PromotionRefused, changeTime, mergeQuickWin, readSoakValues, soakProblems } from "./soakGate";
import { unifiedDiff } from "../summary/textDiff";
import { flagValue } from "../../lib/flags";
import { UsageError } from "../../lib/usage";

interface Args {
  n: number;
  from: string;
  to: string;
  prometheus?: string;
  since?: Date;
  /** The time the soak is judged at (default: now). */
  at?: Date;
  dryRun: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string) => flagValue(argv, flag);
  const n = Number(get("--quick-win"));
  const [from, to] = [get("--from"), get("--to")];
  const since = get("--since");
  if (!quickWin(n)) throw new UsageError(`--quick-win must be 1 to 5, got ${JSON.stringify(get("--quick-win") ?? null)}`);
  for (const [flag, s] of [
    ["--from", from],
    ["--to", to],
  ]) {
    if (!s || !(STAGES as readonly string[]).includes(s)) throw new UsageError(`${flag} must be one of ${STAGES.join(", ")}, got ${JSON.stringify(s ?? null)}`);
  }
  if (from === to) throw new UsageError("--from and --to are the same stage");
  const at = get("--at");
  for (const [flag, t] of [
    ["--since", since],
    ["--at", at],
  ]) {
    if (t !== undefined && Number.isNaN(Date.parse(t))) throw new UsageError(`${flag} must be an ISO time such as 2026-11-28T09:00:00Z, got ${JSON.stringify(t)}`);
  }
  const when = (t: string | undefined) => (t === undefined ? undefined : new Date(t));
  return { n, from: from!, to: to!, prometheus: get("--prometheus"), since: when(since), at: when(at), dryRun: argv.includes("--dry-run") };
}

/** The merged target must be a valid stage file that passes the policy pack. */
async function checkMerged(stage: string, text: string): Promise<void> {
  // The stage-file check reads a file: a scratch folder of its own, removed at once (every promotion made one and left it).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-promote-"));
  try {
    const file = path.join(dir, `Pulumi.${stage}.yaml`);
    fs.writeFileSync(file, text);
    checkStageFile(stage, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const run = await runStage(stage, { config: parse(text).config });
  const m = mandatory(runPack(run.resources));
  if (m.length) throw new PromotionRefused(`the policy pack refuses the result for ${stage}:\n${m.map((v) => `  - ${v.policy}: ${v.message}`).join("\n")}`);
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const q = quickWin(a.n)!;
  const targetFile = stageFilePath(a.to);
  const target = fs.readFileSync(targetFile, "utf8");
  const sourceText = fs.readFileSync(stageFilePath(a.from), "utf8");
  const merged = mergeQuickWin(sourceText, target, q.key);
  console.log(`quick win ${q.n} (${q.title}) from ${a.from} to ${a.to}:\n${merged === target ? "(no change: the target has it already)" : unifiedDiff(target, merged, 1)}\n`);
  await checkMerged(a.to, merged);
  const source = checkStageFile(a.from).config;
  const history = a.since ? [] : await updateHistory({ stage: a.from, stateDir: process.env.HOTEL_STATE_DIR, backendUrl: backendFromEnv(process.env) });
  const since = a.since ?? changeTime(history, q.key, parse(sourceText).config[q.key]);
  if (!since) throw new PromotionRefused(`${a.from}'s update history has no update running this ${q.key} block: it has not been applied there (give --since if the history was lost)`);
  if (!a.prometheus) throw new UsageError(`--prometheus <url> is needed: the ${a.from} stage's Prometheus, where the soak is judged`);
  const values = await readSoakValues(a.prometheus, source.alerts, since, source.rollout.soakTime);
  // The soak is judged as of --at (default now): a decision can be replayed, and a test controls the clock.
  const problems = soakProblems(values, source.rollout, (a.at ?? new Date()).getTime() - since.getTime());
  console.log(`soak on ${a.from} since ${since.toISOString()} (soak time ${source.rollout.soakTime / 3_600_000} h):`);
  console.log(JSON.stringify({ before: values.before, during: values.after, firing: values.firing }));
  if (problems.length) {
    console.log(`refused:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    return 1;
  }
  if (a.dryRun) console.log(`would promote (dry run): ${targetFile} unchanged`);
  else {
    fs.writeFileSync(targetFile, merged);
    console.log(`promoted: ${path.basename(targetFile)} updated; review and commit it, then npm run preview -- --stack ${a.to}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(e instanceof PromotionRefused ? 1 : e instanceof UsageError || e instanceof ConfigError ? 2 : 1);
  },
);

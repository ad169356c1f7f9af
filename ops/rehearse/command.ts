/**
 * npm run rehearse -- --stack dev [--quick] [--keep-going] [--plant pool-of-1,index-removed|none]
 *                     [--load-seconds N] [--rate N] [--out <dir>] [--keep]
 *
 * The roadmap rehearsed under load (docs/REHEARSAL.md): from its before config, each
 * quick win applied in its order through the stack's own path on a stack of its own,
 * a bounded load at the roadmap's rate around each, each step judged by promotion's soak
 * rules; stops at the first regression (--keep-going measures every step). A full run
 * then plants regressions to show the verdict refuses them.
 * Exit 0 every quick win passed and every plant was refused, 1 otherwise, 2 bad usage or
 * config, 3 another rehearsal runs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR, checkStageFile, stageFilePath } from "../../config/stages";
import { ConfigError } from "../../config/validate";
import { buildScriptOutput } from "../../lib/buildScript";
import { UsageError } from "../../lib/usage";
import { freePort } from "../../lab/servers";
import { RehearsalSettings, Step, rehearsalSteps } from "./plan";
import { RehearseArgs, parseRehearseArgs } from "./args";
import { closeRehearsalStage, openRehearsalStage } from "./stage";
import { Rehearsal, StepResult, verdictLine } from "./report";
import { Interrupted, runSteps } from "./run";
import { writeReport } from "./output";
import { RehearsalBusy, recordStack, releaseWorkFolder, takeWorkFolder } from "./workFolder";

/** Every step's stage file, each checked as the program will check it, before anything runs. */
async function plannedSteps(a: RehearseArgs): Promise<{ steps: Step[]; settings: RehearsalSettings }> {
  const userFile = stageFilePath("dev");
  checkStageFile("dev", userFile);
  const settings: RehearsalSettings = { ports: { postgresHostPort: await freePort(), appHostPort: await freePort(), prometheusHostPort: await freePort() }, soakSeconds: a.loadSeconds };
  const steps = rehearsalSteps(fs.readFileSync(userFile, "utf8"), settings, a.plants);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-rehearsal-check-"));
  try {
    for (const s of steps) {
      const file = path.join(dir, "Pulumi.dev.yaml");
      fs.writeFileSync(file, s.text);
      checkStageFile("dev", file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { steps, settings };
}

async function main(): Promise<number> {
  const a = parseRehearseArgs(process.argv.slice(2));
  const { steps, settings } = await plannedSteps(a);
  const vegeta = buildScriptOutput(path.join(PROJECT_DIR, "scripts", "vegeta.sh"));
  const say = (s: string) => console.error(`rehearse: ${s}`);
  const work = await takeWorkFolder(say);
  const started = new Date();
  const stage = await openRehearsalStage(work, say);
  recordStack(work, stage.options);
  const signal = onInterrupt(say);
  const results: StepResult[] = [];
  let rehearsal: Rehearsal | undefined;
  let failure: unknown;
  try {
    const context = { stage, steps, settings, args: a, vegeta, work, say, signal, userText: fs.readFileSync(stageFilePath("dev"), "utf8") };
    const run: { stoppedAt?: number } = await runSteps(context, results).catch((e: unknown) => ((failure = e), {}));
    // A run that failed half-way still reports the steps it measured, and what stopped it.
    const error = failure === undefined ? undefined : failure instanceof Error ? failure.message : String(failure);
    rehearsal = await writeReport({ args: a, started, results, stoppedAt: run.stoppedAt, error, promUrl: `http://127.0.0.1:${settings.ports.prometheusHostPort}`, stage });
  } finally {
    if (!a.keep) {
      if (await closeRehearsalStage(stage, say)) releaseWorkFolder(work);
    } else say(`kept: the rehearsal's stack (state ${stage.options.stateDir}, stage file ${stage.stageFile}); the next rehearsal destroys it first`);
  }
  if (failure !== undefined) throw failure;
  for (const r of results) console.log(verdictLine(r));
  console.log(`report: ${path.join(a.out, a.quick ? "rehearsal-quick.json" : "rehearsal.json")}`);
  return outcome(results, rehearsal);
}

/**
 * Ctrl-C or a TERM stops the run at its next phase (a load at once; an up in flight is
 * let finish, as a killed up would leave a locked state), then the stack is destroyed.
 * A second one exits at once: the next rehearsal cleans up instead.
 */
function onInterrupt(say: (s: string) => void): AbortSignal {
  const controller = new AbortController();
  const handler = () => {
    say("interrupted: stopping at the next phase, then destroying the rehearsal's stack (again to exit now: the next rehearsal destroys it first)");
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
    process.once("SIGTERM", () => process.exit(130));
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  return controller.signal;
}

/** 0 when every quick win passed and every planted regression was refused. */
function outcome(results: StepResult[], r: Rehearsal | undefined): number {
  if (!r || r.stoppedAt !== undefined) return 1;
  const bad = results.filter((s) => s.verdict.judged && (s.planted ? s.verdict.problems.length === 0 : s.verdict.problems.length > 0));
  for (const s of bad) console.log(`${s.planted ? "a planted regression was NOT refused" : "a quick win regressed"}: ${s.title}`);
  return bad.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(e instanceof UsageError || e instanceof ConfigError ? 2 : e instanceof RehearsalBusy ? 3 : e instanceof Interrupted ? 130 : 1);
  },
);

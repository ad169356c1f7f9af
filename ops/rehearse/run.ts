/** The rehearsal's steps, one after another: apply, start cold, load, read, judge. */
import { checkStageFile } from "../../config/stages";
import { SeedCounts } from "../../lab/pgWorkload";
import { unifiedDiff } from "../summary/textDiff";
import { RehearseArgs } from "./args";
import { ClientReport, SETTLE_SEED, runLoad } from "./load";
import { RehearsalSettings, Step } from "./plan";
import { readWindow } from "./readings";
import { StepResult, verdictLine } from "./report";
import { RehearsalStage, appHealthy, applyStep, coldCache, countersDelta, objectsOf, readCounters, seed } from "./stage";
import { judgeStep } from "./verdict";

/**
 * The tables' rows: enough that a sequential scan costs what an index saves (milliseconds
 * per scan), few enough that the before config is not saturated at 291 req/s on a 2-core
 * machine that also runs the load, the app and every server (300 000 reservations were:
 * P95 over 250 ms before any change).
 */
const SEED: Record<"full" | "quick", SeedCounts> = {
  full: { reservations: 60_000, sessions: 30_000, locks: 10_000 },
  quick: { reservations: 30_000, sessions: 10_000, locks: 2_000 },
};

export interface RunContext {
  stage: RehearsalStage;
  steps: Step[];
  settings: RehearsalSettings;
  args: RehearseArgs;
  vegeta: string;
  work: string;
  say: (s: string) => void;
  /** The user's stage file: step 0's diff is what the rehearsal took out of it. */
  userText: string;
  /** Aborted on Ctrl-C or TERM: the run stops at the next phase (a load at once), then cleans up. */
  signal: AbortSignal;
}

export class Interrupted extends Error {}

const checkpoint = (c: RunContext) => {
  if (c.signal.aborted) throw new Interrupted("interrupted");
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const load = (c: RunContext, app: string, seconds: number, name: string, seed?: number) =>
  runLoad({ vegeta: c.vegeta, baseUrl: app, rate: c.args.rate, seconds, dir: c.work, signal: c.signal, seed }, name).catch((e: unknown) => {
    checkpoint(c);
    throw e;
  });

/**
 * Right after a change the stack is not in its steady state (a restarted PostgreSQL has
 * cold buffers and every pooled connection to re-open): a load of another day's requests,
 * its client-side numbers kept apart, shows what the change costs while it settles and
 * keeps that cost out of the measured load.
 */
async function settleLoad(c: RunContext, app: string, step: Step): Promise<ClientReport | undefined> {
  if (c.args.settleSeconds === 0) return undefined;
  c.say(`step ${step.n}: settle ${c.args.rate} req/s for ${c.args.settleSeconds} s (not judged)`);
  return load(c, app, c.args.settleSeconds, `step-${step.n}-settle`, SETTLE_SEED);
}

async function runStep(c: RunContext, step: Step, diffBase: string, last: StepResult | undefined): Promise<StepResult> {
  checkpoint(c);
  c.say(`step ${step.n} (${step.title}): up`);
  const applied = await applyStep(c.stage, step.text);
  checkpoint(c);
  const objects = await objectsOf(c.stage);
  const config = checkStageFile("dev", c.stage.stageFile).config;
  const app = `http://127.0.0.1:${c.settings.ports.appHostPort}`;
  await appHealthy(app);
  if (step.n === 0) seed(c.stage, objects, config, SEED[c.args.quick ? "quick" : "full"]);
  const settle = await settleLoad(c, app, step);
  const warmer = await coldCache(c.stage, objects);
  const before = await readCounters(c.stage, objects, config, app);
  c.say(`step ${step.n}: load ${c.args.rate} req/s for ${c.args.loadSeconds} s`);
  const window = { startMs: Date.now(), endMs: 0 };
  const client = await load(c, app, c.args.loadSeconds, `step-${step.n}`);
  window.endMs = Date.now();
  // The last scrape and rule evaluation of the window land before it is read (a quick run's loads are too short for rates: it reads counts).
  if (!c.args.quick) await sleep(2 * config.alerts.evaluationInterval + 1_000);
  const counts = countersDelta(before, await readCounters(c.stage, objects, config, app));
  const server = await readWindow(`http://127.0.0.1:${c.settings.ports.prometheusHostPort}`, config.alerts, window);
  const verdict = judgeStep({ server, loadMs: window.endMs - window.startMs }, last, config.rollout, c.args.quick);
  return {
    n: step.n,
    title: step.title,
    planted: step.planted,
    diff: unifiedDiff(diffBase, step.text, 1),
    applySeconds: applied.seconds,
    changes: applied.changes,
    advisories: applied.advisories,
    settle,
    warmer,
    window,
    client,
    server,
    counts,
    verdict,
  };
}

/**
 * Runs the steps in order. A quick win is judged against the last step that passed; a
 * planted regression against the last quick win (it is applied on top of it, alone).
 * Stops after the first quick win whose verdict refuses it, unless --keep-going.
 * Each result is pushed as it comes, so a run that fails half-way still reports its steps.
 */
export async function runSteps(c: RunContext, results: StepResult[]): Promise<{ stoppedAt?: number }> {
  let lastGood: StepResult | undefined;
  let lastQuickWinText = c.userText;
  for (const step of c.steps) {
    const r = await runStep(c, step, step.planted ? lastQuickWinText : results.length ? c.steps[results.length - 1].text : c.userText, lastGood);
    results.push(r);
    c.say(verdictLine(r));
    if (step.planted) continue;
    lastQuickWinText = step.text;
    if (r.verdict.problems.length === 0) lastGood = r;
    else if (!c.args.keepGoing) return { stoppedAt: step.n };
  }
  return {};
}

/**
 * npm run bench -- cache [--quick]: the miss-ratio curves, allkeys-lfu's knob sweep and
 * LFU decay in real time, into bench/results.json ("sizing") and docs/BENCHMARKS.md.
 * npm run bench -- cache-size --target 0.935 [--trace <key log>] [--quick]: the maxmemory
 * each policy needs for a target hit ratio, from curves measured on the trace.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, stageConfig } from "../config/stages";
import { CURVE_POLICIES, missRatioCurves } from "./curves";
import { KNOB_GRID, decayInRealTime, knobSweep } from "./knobs";
import { markdown } from "./report";
import { SizingError, parseAccessLog } from "./sizing";
import { CacheSizing, answersFor, curvesSvg, describeAnswer, sizingMarkdown } from "./sizingReport";
import { makeTrace } from "../lab/trace";
import { Results } from "./types";

/** The roadmap's promised hit ratio after quick win 3. */
const ROADMAP_TARGET = 0.935;
/** The memory ratio the eviction comparison runs at (bench/run.ts). */
const MEMORY_FRACTION = 0.25;
const log = (s: string) => console.error(`bench: ${s}`);
const stages = () => ({ before: stageConfig("prod").redis, after: stageConfig("dev").redis });

export async function cacheBench(quick: boolean): Promise<CacheSizing> {
  const s = stages();
  // The full run replays the hour the eviction comparison uses (1,047,600 requests at 291 req/s).
  const curves = await missRatioCurves(makeTrace(quick ? 100_000 : 1_047_600, 1.0, 42), s, CURVE_POLICIES, log);
  const grid = quick ? { samples: [5, 10], logFactor: [10], decayTime: [1] } : KNOB_GRID;
  const knobs = await knobSweep(s.after, quick ? 50_000 : 300_000, MEMORY_FRACTION, grid, log);
  const decay = quick ? undefined : await decayInRealTime(s.after, 600, MEMORY_FRACTION);
  const sizing: CacheSizing = {
    quick,
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    curves,
    knobs,
    decay,
    target: ROADMAP_TARGET,
    answers: answersFor(curves, ROADMAP_TARGET),
  };
  const file = path.join(PROJECT_DIR, "bench", "results.json");
  const results: Results = { ...JSON.parse(fs.readFileSync(file, "utf8")), sizing };
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  fs.writeFileSync(path.join(PROJECT_DIR, "docs", "bench-curves.svg"), curvesSvg(curves, ROADMAP_TARGET));
  fs.writeFileSync(path.join(PROJECT_DIR, "docs", "BENCHMARKS.md"), markdown(results));
  console.log(sizingMarkdown(sizing));
  return sizing;
}

export interface SizeArgs {
  target: number;
  trace?: string;
  quick: boolean;
}

export function parseSizeArgs(argv: string[]): SizeArgs {
  let target: number | undefined;
  let trace: string | undefined;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--target") target = Number(argv[++i]);
    else if (argv[i] === "--trace") trace = argv[++i];
    else if (argv[i] === "--quick") quick = true;
    else throw new SizingError(`unknown argument ${argv[i]}; usage: npm run bench -- cache-size --target <hit ratio, e.g. 0.935> [--trace <key log>] [--quick]`);
  }
  if (target === undefined || Number.isNaN(target)) throw new SizingError("--target <hit ratio> is required, e.g. --target 0.935");
  if (!(target > 0 && target < 1)) throw new SizingError(`--target must be a hit ratio between 0 and 1 (exclusive), got ${target}`);
  if (trace !== undefined && !fs.existsSync(trace)) throw new SizingError(`--trace ${trace}: no such file`);
  return { target, trace, quick };
}

/** The sizing answer for a trace (the hotel trace, or a user's key log), printed per policy. */
export async function cacheSize(a: SizeArgs): Promise<string> {
  const trace = a.trace ? parseAccessLog(fs.readFileSync(a.trace, "utf8")) : makeTrace(a.quick ? 100_000 : 1_047_600, 1.0, 42);
  const curves = await missRatioCurves(trace, stages(), CURVE_POLICIES, log);
  const lines = [
    `${a.trace ? `trace ${a.trace}` : "the hotel trace"}: ${curves.requests.toLocaleString("en")} reads, working set ${(curves.workingSetBytes / 2 ** 20).toFixed(1)} MiB (keys without a known "<class>:" prefix count as reservations: 1.5 KiB, ${stages().after.ttl.reservations / 60_000} min TTL)`,
    `maxmemory for a ${(a.target * 100).toFixed(1)} % hit ratio:`,
    ...Object.entries(answersFor(curves, a.target)).map(([p, ans]) => `  ${p.padEnd(13)} ${describeAnswer(ans!, a.target)}`),
  ];
  return lines.join("\n");
}

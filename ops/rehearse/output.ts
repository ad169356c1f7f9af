/**
 * Where the rehearsal's results go: a full run updates docs/REHEARSAL.md's measured part,
 * docs/rehearsal.json and the plots in docs/rehearsal/; a quick run writes its JSON only
 * (to a folder of its own unless --out says otherwise).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkStageFile } from "../../config/stages";
import { RehearseArgs } from "./args";
import { Marker, plotSvg } from "./plot";
import { readSeries } from "./readings";
import { Rehearsal, StepResult, measuredSection, withMeasured } from "./report";
import { RehearsalStage } from "./stage";

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");
const machine = () => `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;

export async function writeReport(o: { args: RehearseArgs; started: Date; results: StepResult[]; stoppedAt?: number; error?: string; promUrl: string; stage: RehearsalStage }): Promise<Rehearsal> {
  const { args, results } = o;
  const r: Rehearsal = {
    startedAt: o.started.toISOString(),
    minutes: (Date.now() - o.started.getTime()) / 60_000,
    quick: args.quick,
    rate: args.rate,
    loadSeconds: args.loadSeconds,
    machine: machine(),
    steps: results,
    stoppedAt: o.stoppedAt,
    error: o.error,
    plots: [],
  };
  fs.mkdirSync(args.out, { recursive: true });
  if (!args.quick && results.length && !o.error) r.plots = await writePlots(o, results);
  fs.writeFileSync(path.join(args.out, args.quick ? "rehearsal-quick.json" : "rehearsal.json"), JSON.stringify(r, null, 2) + "\n");
  if (!args.quick) {
    const file = path.join(args.out, "REHEARSAL.md");
    const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# The roadmap, rehearsed\n";
    fs.writeFileSync(file, withMeasured(existing, measuredSection(r)));
  }
  return r;
}

/** One SVG per recorded series, over the whole rehearsal, each step's load start marked. */
async function writePlots(o: { args: RehearseArgs; promUrl: string; stage: RehearsalStage }, results: StepResult[]): Promise<{ file: string; name: string }[]> {
  const alerts = checkStageFile("dev", o.stage.stageFile).config.alerts;
  const start = results[0].window.startMs - 30_000;
  const end = results[results.length - 1].window.endMs + 15_000;
  const markers: Marker[] = results.map((s) => ({ atMs: s.window.startMs, label: s.n === 0 ? "before" : s.planted ? `P${s.n - 5}` : `QW${s.n}`, planted: s.planted }));
  const dir = path.join(o.args.out, "rehearsal");
  fs.mkdirSync(dir, { recursive: true });
  const plots: { file: string; name: string }[] = [];
  for (const series of await readSeries(o.promUrl, alerts, start, end)) {
    const file = `${slug(series.name)}.svg`;
    fs.writeFileSync(path.join(dir, file), plotSvg(series, start, end, markers));
    plots.push({ file: `rehearsal/${file}`, name: series.name });
  }
  return plots;
}

/**
 * The rehearsal's report: the roadmap's "Expected Results" table with a measured column
 * per step, each step's verdict and diff, and the plots. The JSON beside it holds every
 * number the table shows (and the client's own view from vegeta).
 */
import { millis, percent } from "../../lib/format";
import { ClientReport } from "./load";
import { ServerReadings } from "./readings";
import { Verdict } from "./verdict";
import { Counters } from "./stage";

export interface StepResult {
  n: number;
  title: string;
  planted: boolean;
  diff: string;
  applySeconds: number;
  changes: Record<string, number>;
  advisories: string[];
  /** The client's view of the settle load right after the change (none in a --quick run). */
  settle?: ClientReport;
  warmer?: string;
  window: { startMs: number; endMs: number };
  client: ClientReport;
  server: ServerReadings;
  /** Exact counts over the load, read at the source (Redis, PostgreSQL, the app). */
  counts: Counters;
  verdict: Verdict;
}

export interface Rehearsal {
  startedAt: string;
  minutes: number;
  quick: boolean;
  rate: number;
  loadSeconds: number;
  machine: string;
  steps: StepResult[];
  stoppedAt?: number;
  /** What stopped a run that failed half-way (its steps so far are reported). */
  error?: string;
  plots: { file: string; name: string }[];
}

const label = (s: StepResult) => (s.n === 0 ? "before" : s.planted ? `planted ${s.n - 5}` : `QW${s.n}`);
const opt = (v: number | undefined, f: (n: number) => string) => (v === undefined ? "no data" : f(v));

/** The roadmap's rows (its Expected Results table, before and target), then what it did not measure. */
const ROWS: { metric: string; roadmap: [string, string]; cell: (s: StepResult) => string }[] = [
  { metric: "P95 latency (server)", roadmap: ["4.85ms", "3.6-4.4ms"], cell: (s) => opt(s.server.p95, (v) => millis(v, 2)) },
  { metric: "P99 latency (server)", roadmap: ["15.05ms", "11-13ms"], cell: (s) => opt(s.server.p99, (v) => millis(v, 2)) },
  { metric: "Error rate (5xx)", roadmap: ["0.0%", "0.0%"], cell: (s) => opt(s.server.errorRatio, (v) => percent(v, 3)) },
  { metric: "Cache hit", roadmap: ["88.5%", "93.5%"], cell: (s) => opt(s.server.cacheHitRatio, (v) => percent(v, 1)) },
  { metric: "Throughput (req/s answered)", roadmap: ["291/sec", "305/sec"], cell: (s) => opt(s.server.requestRate, (v) => v.toFixed(1)) },
  { metric: "Alerts crossing threshold (pending or firing)", roadmap: ["~5% false", "<1% false"], cell: (s) => String(new Set([...s.server.pending, ...s.server.firing]).size) },
  { metric: "Cache hit (Redis's counters over the load)", roadmap: ["", ""], cell: (s) => percent(s.counts.cacheHits / Math.max(1, s.counts.cacheHits + s.counts.cacheMisses), 1) },
  { metric: "Pool waits (checkouts finding the pool full)", roadmap: ["", ""], cell: (s) => `${s.counts.poolWaits} of ${s.counts.poolCheckouts}` },
  { metric: "Pool timeouts (503)", roadmap: ["", ""], cell: (s) => String(s.counts.poolTimeouts) },
  { metric: "Sequential / index scans of the app's tables", roadmap: ["", ""], cell: (s) => `${s.counts.seqScans} / ${s.counts.idxScans}` },
  { metric: "P95 / P99 (client, vegeta)", roadmap: ["", ""], cell: (s) => `${s.client.p95Ms.toFixed(1)} / ${s.client.p99Ms.toFixed(1)} ms` },
  {
    metric: "P95 / P99 while settling, right after the change (client, not judged)",
    roadmap: ["", ""],
    cell: (s) => (s.settle ? `${s.settle.p95Ms.toFixed(1)} / ${s.settle.p99Ms.toFixed(1)} ms` : ""),
  },
];

export function resultsTable(steps: StepResult[]): string {
  const head = `| Metric | roadmap before | roadmap target | ${steps.map(label).join(" | ")} |`;
  const rule = `|---|---|---|${steps.map(() => "---").join("|")}|`;
  return [head, rule, ...ROWS.map((r) => `| ${r.metric} | ${r.roadmap[0]} | ${r.roadmap[1]} | ${steps.map(r.cell).join(" | ")} |`)].join("\n");
}

export function verdictLine(s: StepResult): string {
  if (!s.verdict.judged) return `${label(s)}: not judged (--quick: loads too short for a latency verdict)`;
  if (s.verdict.against === undefined) return `${label(s)}: the baseline`;
  const outcome = s.verdict.problems.length
    ? `REFUSED against ${s.verdict.against === 0 ? "before" : `QW${s.verdict.against}`}`
    : `passed against ${s.verdict.against === 0 ? "before" : `QW${s.verdict.against}`}`;
  return `${label(s)} (${s.title}): ${outcome}${s.verdict.problems.map((p) => `\n  - ${p}`).join("")}`;
}

/** The measured part of docs/REHEARSAL.md, between its markers (the prose around it is written by hand). */
export function measuredSection(r: Rehearsal): string {
  const steps = r.steps.map((s) => [`### ${label(s)}: ${s.title}`, "", "```", verdictLine(s), "```", "", "```diff", s.diff.trimEnd() || "(no change)", "```"].join("\n")).join("\n\n");
  return [
    `Run ${r.startedAt}, ${r.minutes.toFixed(1)} min on ${r.machine}; load ${r.rate} req/s for ${r.loadSeconds} s per step${r.quick ? " (--quick)" : ""}.` +
      (r.stoppedAt === undefined ? "" : ` Stopped after step ${r.stoppedAt}: its verdict refused it.`) +
      (r.error === undefined ? "" : ` Failed after ${r.steps.length} step(s): ${r.error}`),
    "",
    resultsTable(r.steps),
    "",
    ...r.plots.map((p) => `![${p.name}](${p.file})`),
    "",
    "## Each step: its verdict and its diff",
    "",
    steps,
  ].join("\n");
}

export const BEGIN = "<!-- rehearsal:begin (npm run rehearse writes this part) -->";
export const END = "<!-- rehearsal:end -->";

/** The report file with its measured part replaced (or appended, the first time). */
export function withMeasured(existing: string, measured: string): string {
  const block = `${BEGIN}\n${measured}\n${END}`;
  const [a, b] = [existing.indexOf(BEGIN), existing.indexOf(END)];
  return a >= 0 && b > a ? existing.slice(0, a) + block + existing.slice(b + END.length) : `${existing.trimEnd()}\n\n${block}\n`;
}

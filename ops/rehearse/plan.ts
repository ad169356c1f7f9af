/**
 * The rehearsal's stage files, each one the previous with one change: the roadmap's
 * *before* config (the user's stage file without the five quick-win blocks, so every
 * knob is at its schema default, which is the roadmap's before value), then each quick
 * win merged in from the user's file exactly as `npm run promote` merges it, then any
 * planted regression. Pure text in, text out: the report shows each step's diff.
 */
import { parse, parseDocument } from "yaml";
import { QUICK_WINS } from "../../config/quickWins";
import { NAMESPACE } from "../../contract/project";
import { mergeQuickWin } from "../promote/soakGate";

/**
 * What the rehearsal sets on its copy whatever the step: where its containers publish,
 * and Prometheus' clock compressed so a load of minutes yields rates (a rate needs four
 * samples in its window: 20 s at a 5 s scrape) and a soak of the load's length.
 */
export interface RehearsalSettings {
  ports: { postgresHostPort: number; appHostPort: number; prometheusHostPort: number };
  /** The compressed soak: each step's load, in seconds (at least 60, the knob's minimum). */
  soakSeconds: number;
}

const EVALUATION_INTERVAL = "5s";
const RATE_WINDOW = "20s";

/** Regressions a full run plants after the quick wins, to show the soak verdict refuse them. */
export const PLANTS = {
  "pool-of-1": { title: "a pool of 1 (planted regression)", key: `${NAMESPACE}:dbPool` },
  "index-removed": { title: "idx_reservations_guest_id removed (planted regression)", key: `${NAMESPACE}:postgres` },
} as const;
export type Plant = keyof typeof PLANTS;

export interface Step {
  /** 0 is the before config; 1-5 the quick wins; planted steps follow. */
  n: number;
  title: string;
  /** The stage-file key this step changes (none for the before config). */
  key?: string;
  planted: boolean;
  text: string;
}

const toText = (doc: ReturnType<typeof parseDocument>) => doc.toString({ lineWidth: 0, flowCollectionPadding: false });

/** The rehearsal's own settings on a stage file's text (kept after each merge: a user's rateWindow of 5m would blur steps of minutes). */
function withRehearsalSettings(text: string, s: RehearsalSettings): string {
  const doc = parseDocument(text);
  doc.setIn(["config", `${NAMESPACE}:docker`], doc.createNode(s.ports));
  doc.setIn(["config", `${NAMESPACE}:alerts`, "evaluationInterval"], EVALUATION_INTERVAL);
  doc.setIn(["config", `${NAMESPACE}:alerts`, "rateWindow"], RATE_WINDOW);
  doc.setIn(["config", `${NAMESPACE}:rollout`, "soakTime"], `${Math.max(60, s.soakSeconds)}s`);
  return toText(doc);
}

/** The user's stage file with the five quick-win blocks taken out: the roadmap's before config. */
function beforeText(userText: string, s: RehearsalSettings): string {
  const doc = parseDocument(userText);
  for (const q of QUICK_WINS) doc.deleteIn(["config", q.key]);
  return withRehearsalSettings(toText(doc), s);
}

/** A planted regression on a step's text. */
function plantedText(text: string, plant: Plant): string {
  const doc = parseDocument(text);
  if (plant === "pool-of-1") {
    doc.setIn(["config", PLANTS[plant].key, "poolSize"], 1);
    doc.setIn(["config", PLANTS[plant].key, "maxOverflow"], 0);
    doc.setIn(["config", PLANTS[plant].key, "poolTimeout"], "2s");
  } else {
    const indexes = (parse(text).config?.[PLANTS[plant].key]?.indexes ?? []) as string[];
    doc.setIn(
      ["config", PLANTS[plant].key, "indexes"],
      doc.createNode(
        indexes.filter((i) => i !== "idx_reservations_guest_id"),
        { flow: true },
      ),
    );
  }
  return toText(doc);
}

/** Every step's stage file, in the roadmap's order, then the plants (each on the last quick-win step, one at a time). */
export function rehearsalSteps(userText: string, s: RehearsalSettings, plants: Plant[] = []): Step[] {
  const steps: Step[] = [{ n: 0, title: "before (the roadmap's day 5)", planted: false, text: beforeText(userText, s) }];
  for (const q of QUICK_WINS) {
    if (parse(userText).config?.[q.key] === undefined) continue;
    const text = withRehearsalSettings(mergeQuickWin(userText, steps[steps.length - 1].text, q.key), s);
    steps.push({ n: q.n, title: `quick win ${q.n}: ${q.title}`, key: q.key, planted: false, text });
  }
  const last = steps[steps.length - 1];
  plants.forEach((p, i) => steps.push({ n: 6 + i, title: PLANTS[p].title, key: PLANTS[p].key, planted: true, text: plantedText(last.text, p) }));
  return steps;
}

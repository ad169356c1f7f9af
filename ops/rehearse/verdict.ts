/**
 * Each step is judged as `npm run promote` judges a soak (ops/promote/soakGate.ts, the
 * same function and the stage's own tolerances): this step's load against the last step
 * that passed. A rehearsal soak is its load window (minutes, not the stage's hours).
 */
import { RolloutConfig } from "../../config/types";
import { soakProblems } from "../promote/soakGate";
import { ServerReadings } from "./readings";

export interface Verdict {
  /** False in a --quick run: its loads are too short to judge latency. */
  judged: boolean;
  /** The step it was compared with. */
  against?: number;
  problems: string[];
}

export function judgeStep(r: { server: ServerReadings; loadMs: number }, last: { n: number; server: ServerReadings } | undefined, rollout: RolloutConfig, quick: boolean): Verdict {
  if (quick) return { judged: false, problems: [] };
  if (!last) return { judged: true, problems: [] };
  const problems = soakProblems({ before: last.server, after: r.server, firing: r.server.firing }, rollout, r.loadMs);
  return { judged: true, against: last.n, problems };
}

/** The rehearsal's command line, checked before anything runs. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stages";
import { flagValue } from "../../lib/flags";
import { UsageError } from "../../lib/usage";
import { ROADMAP_RATE } from "./load";
import { PLANTS, Plant } from "./plan";

export interface RehearseArgs {
  quick: boolean;
  keepGoing: boolean;
  keep: boolean;
  plants: Plant[];
  loadSeconds: number;
  /** An unmeasured load right after each change (PostgreSQL restarted, pools reconnecting, pages cold), before the measured one. */
  settleSeconds: number;
  rate: number;
  out: string;
}

export function parseRehearseArgs(argv: string[]): RehearseArgs {
  const get = (flag: string) => flagValue(argv, flag);
  const stack = get("--stack");
  if (stack !== "dev") throw new UsageError(`--stack must be dev (the rehearsal runs the dev stage on Docker, on a stack of its own), got ${JSON.stringify(stack ?? null)}`);
  const quick = argv.includes("--quick");
  const number = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = get(flag);
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return v;
  };
  // A full run's soak is its load: at least the soak time's minimum (60 s) for a verdict.
  const loadSeconds = number("--load-seconds", quick ? 5 : 120, quick ? 2 : 60, 1800);
  const plantFlag = get("--plant") ?? (quick ? "none" : Object.keys(PLANTS).join(","));
  const plants = plantFlag === "none" ? [] : plantFlag.split(",");
  for (const p of plants) if (!(p in PLANTS)) throw new UsageError(`--plant must be none or a comma-separated list of ${Object.keys(PLANTS).join(", ")}, got ${JSON.stringify(p)}`);
  const out = get("--out") ?? (quick ? fs.mkdtempSync(path.join(os.tmpdir(), "hotel-rehearsal-quick-")) : path.join(PROJECT_DIR, "docs"));
  // A quick run settles too, if briefly: its judged load must not meet a pool that is still
  // opening its connections, which is slow on a machine whose 2 cores are busy.
  const settleSeconds = number("--settle-seconds", quick ? 2 : 30, 0, 600);
  return { quick, keepGoing: argv.includes("--keep-going"), keep: argv.includes("--keep"), plants: plants as Plant[], loadSeconds, settleSeconds, rate: number("--rate", ROADMAP_RATE, 1, 2000), out };
}

/**
 * npm run daily-check -- --prometheus <url> [--stack <stage>]: the daily checks of a stage
 * (ops/dailyCheck/readings.ts) against its Prometheus. Exit 0 all within thresholds, 1 a threshold
 * crossed (or a series missing, or an alert firing), 2 bad usage or stage file.
 * HOTEL_STAGE_FILE checks a stage file other than Pulumi.<stage>.yaml.
 */
import { checkStageFile, stageFilePath } from "../../config/stages";
import { ConfigError } from "../../config/validate";
import { evaluateCheck, formatCheck, readCheckValues } from "./readings";
import { UsageError } from "../../lib/usage";

function parse(argv: string[]): { prometheus: string; stage: string } {
  let prometheus: string | undefined;
  let stage = process.env.PULUMI_STACK ?? "staging";
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--prometheus") prometheus = argv[++i];
    else if (argv[i] === "--stack" || argv[i] === "-s") stage = argv[++i];
    else throw new UsageError(`unknown argument ${argv[i]}; usage: npm run daily-check -- --prometheus <url> [--stack <stage>]`);
  }
  if (!prometheus || !/^https?:\/\//.test(prometheus)) throw new UsageError(`--prometheus needs the Prometheus URL (http[s]://host:port), got ${JSON.stringify(prometheus ?? null)}`);
  return { prometheus, stage };
}

async function main(): Promise<number> {
  const { prometheus, stage } = parse(process.argv.slice(2));
  const { config } = checkStageFile(stage, process.env.HOTEL_STAGE_FILE ?? stageFilePath(stage));
  const rows = evaluateCheck(config, await readCheckValues(prometheus, config));
  console.log(formatCheck(stage, rows));
  return rows.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(e instanceof UsageError || e instanceof ConfigError ? 2 : 1);
  },
);

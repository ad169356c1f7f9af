/**
 * npm run policy -- --stack <stage> [--policy-config file.json] [--set key=json ...]
 * Runs the program for a stage under mocks and feeds every registered resource, and
 * the whole stack, to the policy pack. Exits 1 on a mandatory violation.
 * --set applies a config override for a what-if (e.g. --set 'hotel:redis={"maxmemoryPolicy":"allkeys-lfu","keyspace":"shared"}').
 */
import * as fs from "fs";
import { mandatory, formatViolations, runPack, PACK_POLICY_COUNT } from "../harness/policyRunner";
import { runStage } from "../harness/mockRun";

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const stage = opt("--stack") ?? process.env.PULUMI_STACK;
  if (!stage) throw new Error("usage: npm run policy -- --stack <dev|staging|prod> [--policy-config file.json] [--set key=json]");
  const configFile = opt("--policy-config");
  const policyConfig = configFile ? JSON.parse(fs.readFileSync(configFile, "utf8")) : {};
  const sets = argv.flatMap((a, i) => (a === "--set" ? [argv[i + 1]] : []));

  const run = await runStage(stage, {
    preview: true,
    patch: (c) => {
      for (const s of sets) {
        const [key, ...rest] = s.split("=");
        const value = JSON.parse(rest.join("="));
        c[key] = value && typeof value === "object" && !Array.isArray(value) ? { ...(c[key] ?? {}), ...value } : value;
      }
    },
  });
  if (run.error) {
    console.error(run.error.message);
    process.exit(2);
  }
  const violations = runPack(run.resources, policyConfig);
  console.log(formatViolations(stage, violations, PACK_POLICY_COUNT, run.resources.filter((r) => r.custom).length));
  process.exit(mandatory(violations).length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});

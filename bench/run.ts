/**
 * npm run bench [-- --quick]
 * Measures the quick wins on real servers, side by side in one run, and writes
 * bench/results.json and docs/BENCHMARKS.md (with docs/bench-cache.svg).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../config/stages";
import { PG_BIN } from "../lab/servers";
import { stageConfig } from "../config/stages";
import { maxmemoryFor, measureCosts, replay } from "./cache";
import { indexBench } from "./indexes";
import { MissBreakdown, belady } from "./opt";
import { CacheResult, Results } from "./types";
import { chartSvg, markdown } from "./report";
import { previewBench, previewReport } from "./preview";
import { makeTrace } from "../lab/trace";
import { warmingBench } from "./warming";
import { cacheBench, cacheSize, parseSizeArgs } from "./cacheBench";
import { SizingError } from "./sizing";

function machine(): Record<string, string | number> {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args).toString().trim().split("\n")[0];
    } catch {
      return "unknown";
    }
  };
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    redis: version("redis-server", ["--version"]).replace(/^Redis server v=(\S+).*/, "Redis $1"),
    postgres: version(`${PG_BIN}/postgres`, ["--version"]),
  };
}

async function main() {
  const quick = process.argv.includes("--quick");
  const params = { quick, requests: quick ? 150_000 : 1_047_600, skews: [0.8, 1.0, 1.2], memoryFraction: 0.25, seed: 42 };
  const before = stageConfig("prod");
  const after = stageConfig("dev");
  const log = (s: string) => console.error(`bench: ${s}`);

  const cache: CacheResult[] = [];
  for (const skew of params.skews) {
    const trace = makeTrace(params.requests, skew, params.seed);
    const { cost, baseline } = await measureCosts(trace, after.redis);
    let workingSet = 0;
    for (const k of new Set(trace.requests)) workingSet += cost[trace.keyClass[k]];
    const capacity = Math.round(workingSet * params.memoryFraction);
    const maxmemory = maxmemoryFor(baseline, capacity);
    const run = async (redis: typeof after.redis, ttl = after.redis.ttl) => replay(trace, { ...redis, maxmemory }, ttl);
    const raw: Record<string, MissBreakdown> = {
      before: await run(before.redis, before.redis.ttl),
      "allkeys-lru": await run({ ...after.redis, maxmemoryPolicy: "allkeys-lru" }),
      "allkeys-lfu": await run(after.redis),
      "volatile-lfu": await run({ ...after.redis, maxmemoryPolicy: "volatile-lfu" }),
      opt: belady(trace, after.redis.ttl, capacity, cost),
    };
    const optHits = raw.opt.hits;
    const policies = Object.fromEntries(
      Object.entries(raw).map(([k, v]) => [k, { hits: v.hits, compulsory: v.compulsory, expiry: v.expiry, eviction: v.eviction, hitRatio: v.hits / params.requests, ofOpt: v.hits / optHits }]),
    ) as CacheResult["policies"];
    cache.push({ skew, requests: params.requests, workingSetBytes: workingSet, maxmemoryBytes: baseline + capacity, policies });
    log(
      `skew ${skew}: ${Object.entries(policies)
        .map(([k, v]) => `${k} ${(v.hitRatio * 100).toFixed(1)}%`)
        .join(", ")}`,
    );
  }

  const warmTrace = makeTrace(params.requests, 1.0, params.seed);
  const warming = await warmingBench(warmTrace, after.redis, after.cacheWarming, quick ? 10_000 : 20_000, quick ? 500 : 1000);
  log(`warming: cold ${warming.cold.toFixed(3)}, stack ${warming.stack.toFixed(3)}, oracle ${warming.oracle.toFixed(3)}`);

  const indexes = await indexBench(after.postgres, before.postgres, quick ? 100_000 : 1_000_000, quick ? 100 : 500);
  log(`indexes: ${indexes.queries.map((q) => `${q.label} x${q.speedup.toFixed(1)}`).join(", ")}`);

  // The cache-sizing part comes from `npm run bench -- cache`: kept as it is.
  const file = path.join(PROJECT_DIR, "bench", "results.json");
  const sizing = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Results).sizing : undefined;
  const results: Results = { params, machine: machine(), cache, indexes, warming, sizing };
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  fs.writeFileSync(path.join(PROJECT_DIR, "docs", "bench-cache.svg"), chartSvg(cache));
  fs.writeFileSync(path.join(PROJECT_DIR, "docs", "BENCHMARKS.md"), markdown(results));
  console.log(markdown(results));
}

/** `npm run bench -- preview`: the engine preview timings only (no servers). */
async function previewMain(): Promise<void> {
  const report = previewReport(await previewBench(process.argv[4] ?? "staging"));
  console.log(report);
}

/** `npm run bench -- cache-size ...`: exit 2 on bad input, with the reason. */
async function cacheSizeMain(): Promise<void> {
  try {
    console.log(await cacheSize(parseSizeArgs(process.argv.slice(3))));
  } catch (e) {
    if (!(e instanceof SizingError)) throw e;
    console.error(e.message);
    process.exit(2);
  }
}

const SUBCOMMANDS: Record<string, () => Promise<unknown>> = {
  preview: async () => previewMain(),
  cache: () => cacheBench(process.argv.includes("--quick")),
  "cache-size": cacheSizeMain,
};

if (require.main === module) {
  const run = SUBCOMMANDS[process.argv[2]] ?? main;
  run().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

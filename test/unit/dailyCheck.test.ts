/** The daily checks' verdicts (ops/dailyCheck/readings.ts), as data: values read -> which rows fail. */
import test from "ava";
import { CheckValues, evaluateCheck } from "../../ops/dailyCheck/readings";
import { stageConfig } from "../helpers";

const dev = stageConfig("dev"); // P95 <= 50 ms, 5xx <= 0.5 % above 0.5 req/s, misses <= 20 %
const healthy: CheckValues = { p95: 0.0049, p99: 0.02, errorRatio: 0.004, requestRate: 290, cacheMissRatio: 0.05, firing: [] };

const CASES: [string, Partial<CheckValues>, string[]][] = [
  ["healthy", {}, []],
  ["P95 exactly at the threshold passes", { p95: 0.05 }, []],
  ["P95 above the threshold", { p95: 0.0875 }, ["P95 latency"]],
  ["0.6 % 5xx at 290 req/s", { errorRatio: 0.006 }, ["5xx ratio"]],
  ["100 % 5xx at 0.1 req/s: under the minimum traffic, not a failure", { errorRatio: 1, requestRate: 0.1 }, []],
  ["a hit ratio under 80 %", { cacheMissRatio: 0.3 }, ["cache hit ratio"]],
  ["a missing series cannot be confirmed", { p95: undefined }, ["P95 latency"]],
  ["a firing alert", { firing: ["HotelRedisExporterDown"] }, ["firing alerts"]],
];

for (const [name, change, failing] of CASES) {
  test(`daily check: ${name}`, (t) => {
    const rows = evaluateCheck(dev, { ...healthy, ...change });
    t.deepEqual(
      rows.filter((r) => !r.ok).map((r) => r.name),
      failing,
    );
    t.is(rows.length, 5);
  });
}

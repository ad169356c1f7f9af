/** Promotion's pure parts (ops/promote/soakGate.ts): the merge, the time of the change, the verdict. */
import * as fs from "fs";
import test from "ava";
import { UpdateSummary } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { stageFilePath } from "../../config/stages";
import { PromotionRefused, changeTime, mergeQuickWin, soakProblems } from "../../ops/promote/soakGate";
import { stageConfig } from "../helpers";

const text = (stage: string) => fs.readFileSync(stageFilePath(stage), "utf8");
const changedLines = (a: string, b: string) => {
  const x = a.split("\n");
  const y = b.split("\n");
  return y.filter((l) => !x.includes(l)).length + x.filter((l) => !y.includes(l)).length;
};

test("each quick win merges from dev into prod as its own block only, in at most 5 lines; prod's own keys stay", (t) => {
  for (const key of ["hotel:alerts", "hotel:dbPool", "hotel:redis", "hotel:postgres", "hotel:cacheWarming"]) {
    const merged = mergeQuickWin(text("dev"), text("prod"), key);
    const after = parse(merged).config;
    const before = parse(text("prod")).config;
    t.true(changedLines(text("prod"), merged) <= 5, key);
    for (const k of Object.keys(before)) if (k !== key) t.deepEqual(after[k], before[k], `${key} leaves ${k} alone`);
    t.like(after[key], parse(text("dev")).config[key]);
  }
  // prod's maxConnections is not in dev's postgres block: it stays.
  t.is(parse(mergeQuickWin(text("dev"), text("prod"), "hotel:postgres")).config["hotel:postgres"].maxConnections, 200);
  t.throws(() => mergeQuickWin("config: {}\n", text("prod"), "hotel:redis"), { instanceOf: PromotionRefused, message: /no hotel:redis block/ });
});

const update = (hoursAgo: number, value: unknown, result = "succeeded"): UpdateSummary =>
  ({
    kind: "update",
    result,
    startTime: new Date(Date.UTC(2026, 10, 28, 12) - hoursAgo * 3_600_000),
    config: { "hotel:redis": { value: JSON.stringify(value), secret: false } },
  }) as unknown as UpdateSummary;

test("the time of the change is the oldest update of the newest run with the current block (failed updates do not count)", (t) => {
  const now = { maxmemoryPolicy: "allkeys-lfu" };
  const old = { maxmemoryPolicy: "allkeys-lru" };
  const history = [update(1, now), update(3, now, "failed"), update(5, now), update(9, old), update(12, now)];
  t.deepEqual(changeTime(history, "hotel:redis", now), new Date(Date.UTC(2026, 10, 28, 7)));
  t.is(changeTime([update(2, old)], "hotel:redis", now), undefined, "never applied");
});

test("the verdict: within tolerance passes; each regression names the metric, both values and the tolerance", (t) => {
  const r = stageConfig("dev").rollout;
  const base = { p95: 0.005, p99: 0.02, errorRatio: 0.004, cacheHitRatio: 0.9 };
  const soaked = 5 * 3_600_000;
  t.deepEqual(soakProblems({ before: base, after: { ...base, p95: 0.0054 }, firing: [] }, r, soaked), []);
  t.deepEqual(soakProblems({ before: base, after: { ...base, errorRatio: 0.006 }, firing: [] }, r, soaked), ["5xx ratio rose from 0.40 % to 0.60 %: more than the tolerance of +0.10 %"]);
  t.deepEqual(soakProblems({ before: base, after: base, firing: ["HotelRedisExporterDown"] }, r, soaked), ["alerts firing: HotelRedisExporterDown"]);
  t.deepEqual(soakProblems({ before: base, after: base, firing: [] }, r, 3_600_000), ["soak too short: 1.00 h since the change, the soak time is 4.00 h"]);
  t.deepEqual(soakProblems({ before: {}, after: base, firing: [] }, r, soaked).length, 4);
});

/** Redis policies on real program runs (mocks, preview mode). */
import test from "ava";
import { violations } from "./policyCases";
import { runMutationTable } from "./policyTable";
import { redisRows } from "./redis.cases";
import { mandatory } from "../../harness/policyRunner";

runMutationTable(redisRows);

test.serial("advisory: an LFU policy warns that counters restart", async (t) => {
  const staging = await violations({ stage: "staging" });
  t.deepEqual(mandatory(staging), []);
  t.true(staging.some((v) => v.policy === "redis-eviction-policy-switch" && v.level === "advisory"));
  const prod = await violations({ stage: "prod" });
  t.false(prod.some((v) => v.policy === "redis-eviction-policy-switch"));
});

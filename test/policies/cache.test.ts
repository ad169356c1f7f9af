/** Cache policies (TTLs, warming off-peak) on real program runs. */
import test from "ava";
import { merge, violations } from "./policyCases";
import { runMutationTable } from "./policyTable";
import { cacheRows } from "./cache.cases";
import { mandatory } from "../../harness/policyRunner";

runMutationTable(cacheRows);

test.serial("advisory: a cache refresh at 14:00 UTC is outside the stage's off-peak window", async (t) => {
  const vs = await violations({ stage: "dev", patch: merge("hotel:cacheWarming", { schedule: "0 14 * * *" }) });
  t.deepEqual(mandatory(vs), []);
  const advisory = vs.filter((v) => v.policy === "cache-warming-off-peak");
  t.is(advisory.length, 1);
  t.regex(advisory[0].message, /"0 14 \* \* \*" runs outside the off-peak window 02:00-05:00 UTC/);
  t.is(advisory[0].level, "advisory");
});

test.serial("the off-peak check reads the stage's own window (one source): 14:00 is fine in a 13:00-16:00 window", async (t) => {
  const vs = await violations({ stage: "dev", patch: merge("hotel:cacheWarming", { schedule: "0 14 * * *", offPeakWindow: "13:00-16:00" }) });
  t.deepEqual(
    vs.filter((v) => v.policy === "cache-warming-off-peak"),
    [],
  );
  const outside = await violations({ stage: "dev", patch: merge("hotel:cacheWarming", { offPeakWindow: "13:00-16:00" }) });
  t.regex(outside.find((v) => v.policy === "cache-warming-off-peak")!.message, /"30 3 \* \* \*" runs outside the off-peak window 13:00-16:00 UTC/);
});

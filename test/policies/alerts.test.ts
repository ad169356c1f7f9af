/** Alert-rule policies on real program runs. */
import test from "ava";
import { mandatoryNames, violations } from "./policyCases";
import { runMutationTable } from "./policyTable";
import { alertRows } from "./alerts.cases";
import { mandatory } from "../../harness/policyRunner";

runMutationTable(alertRows);

test.serial("policy config tightens a threshold (the engine's --policy-pack-config shape); disabled turns it off", async (t) => {
  const vs = await violations({ stage: "staging" }, { "alert-thresholds-sane": { minMultipleOfBaseline: 20 } });
  t.deepEqual(mandatoryNames(vs), ["alert-thresholds-sane"]);
  t.regex(mandatory(vs)[0].message, /below 20 x the 4\.85 ms baseline \(97 ms\)/);
  const off = await violations({ stage: "staging" }, { "alert-thresholds-sane": { minMultipleOfBaseline: 20, enforcementLevel: "disabled" } });
  t.deepEqual(mandatoryNames(off), []);
});

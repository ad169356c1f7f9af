/**
 * The policy pack as a whole, on real program runs (mocks, preview mode): every
 * shipped stage passes, the topics' mutation tables (policies/<topic>/cases.ts) cover
 * every mandatory policy, and unknown values are handled as the engine does.
 */
import test from "ava";
import { STAGES } from "../../contract/project";
import { alertRows } from "./alerts.cases";
import { cacheRows } from "./cache.cases";
import { kubernetesRows } from "./kubernetes.cases";
import { policies } from "../../policies/pack";
import { postgresRows } from "./postgres.cases";
import { redisRows } from "./redis.cases";
import { runStage } from "../../harness/mockRun";
import { formatViolations, mandatory, runPolicies } from "../../harness/policyRunner";
import { one, violations } from "./policyCases";
import { K8S } from "../helpers";

for (const stage of STAGES) {
  test.serial(`shipped stage ${stage} passes with no mandatory violation`, async (t) => {
    const vs = await violations({ stage });
    t.deepEqual(mandatory(vs), [], formatViolations(stage, vs, policies.length, 0));
  });
}

test("the topics' mutation tables cover at least 12 bad configs and every mandatory policy", (t) => {
  const table = [...redisRows, ...postgresRows, ...alertRows, ...cacheRows, ...kubernetesRows];
  t.true(table.length >= 12);
  const covered = new Set(table.map(([, p]) => p));
  const mandatoryPolicies = policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name);
  t.deepEqual(
    mandatoryPolicies.filter((p) => !covered.has(p)),
    [],
  );
});

test.serial("an unknown value (preview) is reported as advisory, like the engine does", async (t) => {
  const run = await runStage("staging", { preview: true });
  one(run.resources, K8S.configMap, "redis-conf").inputs.data["redis.conf"] = { __pulumiUnknown: true };
  const vs = runPolicies(run.resources, policies);
  t.deepEqual(mandatory(vs), []);
  t.true(vs.some((v) => v.level === "advisory" && /can't run policy 'redis-maxmemory-set' during preview/.test(v.message)));
});

test("every policy with settings has a default for each setting the code reads without a fallback", (t) => {
  for (const p of policies) {
    const props = (p.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>;
    const withoutDefault = Object.entries(props)
      .filter(([, v]) => v.default === undefined)
      .map(([k]) => k);
    // alert-thresholds-sane's baselineP95 is optional on purpose: the rule's annotation is the default.
    t.deepEqual(withoutDefault, p.name === "alert-thresholds-sane" ? ["baselineP95"] : [], p.name);
  }
});

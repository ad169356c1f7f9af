/** Runs a topic's mutation table: each row rejected by exactly its own mandatory policy, with its message. */
import test from "ava";
import { policies } from "../../policies/pack";
import { formatViolations, mandatory } from "../../harness/policyRunner";
import { MutationRow, mandatoryNames, violations } from "./policyCases";

export function runMutationTable(rows: MutationRow[]): void {
  for (const [title, policy, c, message] of rows) {
    test.serial(`rejects ${title}: ${policy}, and no other mandatory policy`, async (t) => {
      const vs = await violations(c);
      t.deepEqual(mandatoryNames(vs), [policy], formatViolations(c.stage, vs, policies.length, 0));
      t.true(
        mandatory(vs).some((v) => message.test(v.message)),
        mandatory(vs)
          .map((v) => v.message)
          .join("\n"),
      );
    });
  }
}

/**
 * The policy pack's tests as data: a case is a stage, a config patch or an edit of the
 * registered resources (as a hand-edited manifest or a future code change would make),
 * the one mandatory policy that must reject it, and the message it must give.
 */
import { RawConfig } from "../../config/stages";
import { policies } from "../../policies/pack";
import { Registered, runStage } from "../../harness/mockRun";
import { Violation, mandatory, runPolicies } from "../../harness/policyRunner";

export interface Case {
  stage: string;
  patch?: (c: RawConfig) => void;
  mutate?: (rs: Registered[]) => void;
}

/** [title, the policy that must reject it, the case, its message]. */
export type MutationRow = [string, string, Case, RegExp];

export async function violations({ stage, patch, mutate }: Case, config = {}): Promise<Violation[]> {
  const run = await runStage(stage, { patch, preview: true });
  if (run.error) throw run.error;
  mutate?.(run.resources);
  return runPolicies(run.resources, policies, config);
}

export const mandatoryNames = (vs: Violation[]) => [...new Set(mandatory(vs).map((v) => v.policy))].sort();

/** The one resource of a type whose name is `name` (or starts with it, when it ends with "-"). */
export function one(rs: Registered[], type: string, name?: string): Registered {
  const hit = rs.filter((r) => r.type === type && (name === undefined || (name.endsWith("-") ? r.name.startsWith(name) : r.name === name)));
  if (hit.length !== 1) throw new Error(`expected one ${type} ${name ?? ""}, found ${hit.length}`);
  return hit[0];
}

export const merge = (key: string, value: Record<string, unknown>) => (c: RawConfig) => (c[key] = { ...(c[key] ?? {}), ...value });

/**
 * Runs the policy pack's own policies over resources registered by a mock run, with
 * the argument shapes the engine's analyzer passes: props behind @pulumi/policy's
 * unknown-checking proxy, isType/asType by Pulumi type token, getConfig from the
 * policy config, notApplicable, resource options, and a whole-stack pass.
 */
import { EnforcementLevel, Policies, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Registered, isUnknownInput } from "./mockRun";
import { policies as pack } from "../policies/pack";
import { POLICY_PACK_NAME } from "../contract/project";

// The analyzer's own proxy (internal to @pulumi/policy: its .d.ts exports nothing).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { UnknownValueError, unknownCheckingProxy, unknownStringValue } = require("@pulumi/policy/proxy") as {
  UnknownValueError: new (...args: any[]) => Error;
  unknownCheckingProxy: <T>(x: T) => T;
  unknownStringValue: object;
};

/** Inputs as the analyzer deserializes them: unknowns become the proxy's sentinels. */
function deserialize(v: any): any {
  if (isUnknownInput(v)) return unknownStringValue;
  if (Array.isArray(v)) return v.map(deserialize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deserialize(x)]));
  return v;
}

export interface Violation {
  policy: string;
  level: EnforcementLevel;
  message: string;
  resource?: string;
}

export type PolicyConfig = Record<string, Record<string, unknown>>;

class NotApplicable extends Error {}

type Policy = Policies[number];

/** The `default` of each property of a policy's configSchema. */
function schemaDefaults(p: Policy): Record<string, unknown> {
  const props = (p.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>;
  return Object.fromEntries(
    Object.entries(props)
      .filter(([, v]) => v.default !== undefined)
      .map(([k, v]) => [k, structuredClone(v.default)]),
  );
}

const isTypeOf = (type: string, cls: any) => cls?.__pulumiType === type;

function options(r: Registered) {
  return {
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parent || undefined,
  };
}

/** A resource as the analyzer hands it to a policy: props behind the unknown-checking proxy. */
function policyResource(r: Registered): PolicyResource {
  const props = unknownCheckingProxy(deserialize(r.inputs));
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    dependencies: [],
    propertyDependencies: {},
    isType: (cls: any) => isTypeOf(r.type, cls),
    asType: (cls: any) => (isTypeOf(r.type, cls) ? props : undefined),
  } as unknown as PolicyResource;
}

export function runPolicies(resources: Registered[], policies: Policies, config: PolicyConfig = {}): Violation[] {
  const out: Violation[] = [];
  const levelOf = (p: { name: string; enforcementLevel?: EnforcementLevel }): EnforcementLevel => (config[p.name]?.enforcementLevel as EnforcementLevel) ?? p.enforcementLevel ?? "advisory";
  // As the engine does: the schema's defaults, then the given config.
  const getConfigFor = (p: Policy) => () => {
    const { enforcementLevel: _ignored, ...given } = config[p.name] ?? {};
    return { ...schemaDefaults(p), ...given } as any;
  };
  const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
  };
  const guard = (p: { name: string }, urn: string | undefined, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (e instanceof NotApplicable) return;
      if (e instanceof UnknownValueError) {
        out.push({ policy: p.name, level: "advisory", message: `can't run policy '${p.name}' during preview: ${(e as Error).message}`, resource: urn });
        return;
      }
      throw e;
    }
  };

  const custom = resources.filter((r) => r.custom);
  for (const p of policies) {
    const level = levelOf(p);
    if (level === "disabled") continue;
    const report = (urn?: string) => (message: string, reportUrn?: string) => out.push({ policy: p.name, level, message, resource: reportUrn ?? urn });

    if ("validateResource" in p && p.validateResource) {
      const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      for (const r of custom) {
        const args: any = { ...policyResource(r), stackTags: new Map(), getConfig: getConfigFor(p), notApplicable };
        for (const v of validations) guard(p, r.urn, () => void v(args, report(r.urn)));
      }
    }
    if ("validateStack" in p) {
      const args: any = { resources: custom.map(policyResource), getConfig: getConfigFor(p), notApplicable, stackTags: new Map() };
      guard(p, undefined, () => void (p as StackValidationPolicy).validateStack!(args, report()));
    }
  }
  return out;
}

/** The deployable pack, offline: what `npm run policy`, summary and promote report. */
export const runPack = (resources: Registered[], config: PolicyConfig = {}): Violation[] => runPolicies(resources, pack, config);
export const PACK_POLICY_COUNT = pack.length;

export function mandatory(violations: Violation[]): Violation[] {
  return violations.filter((v) => v.level === "mandatory");
}

/** Violations grouped by policy, as a reviewer reads them. */
export function formatViolations(stage: string, violations: Violation[], policyCount: number, resourceCount: number): string {
  const lines = [`Policy pack ${POLICY_PACK_NAME} on stack ${stage}: ${policyCount} policies, ${resourceCount} resources`];
  if (violations.length === 0) return [...lines, "  no violations"].join("\n");
  const groups = new Map<string, Violation[]>();
  for (const v of violations) groups.set(v.policy, [...(groups.get(v.policy) ?? []), v]);
  for (const [policy, vs] of groups) {
    lines.push(`  [${vs[0].level}] ${policy}`);
    for (const v of vs) lines.push(`    - ${v.resource ? `${v.resource.split("::").pop()}: ` : ""}${v.message}`);
  }
  const m = mandatory(violations).length;
  lines.push(`${m} mandatory violation${m === 1 ? "" : "s"}, ${violations.length - m} advisory`);
  return lines.join("\n");
}

export type { ResourceValidationPolicy };

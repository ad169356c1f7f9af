import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { podOf } from "../readers/pods";

type Rule = { from?: { ipBlock?: unknown; namespaceSelector?: unknown; podSelector?: unknown }[]; ports?: { port?: number | string }[] };
const subset = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

/** The NetworkPolicies whose pod selector picks these labels, for ingress. */
function guarding(policies: PolicyResource[], labels: Record<string, string>): PolicyResource[] {
  return policies.filter((p) => {
    const spec = p.asType(k8s.networking.v1.NetworkPolicy)?.spec;
    return subset(spec?.podSelector?.matchLabels ?? {}, labels) && (spec?.policyTypes ?? ["Ingress"]).includes("Ingress");
  });
}

function checkRules(store: PolicyResource, policy: PolicyResource, dataPorts: number[], report: ReportViolation): void {
  for (const rule of (policy.asType(k8s.networking.v1.NetworkPolicy)?.spec?.ingress ?? []) as Rule[]) {
    const coversData = !rule.ports || rule.ports.some((x) => dataPorts.includes(Number(x.port)));
    const open = !rule.from || rule.from.length === 0 || rule.from.some((f) => f.ipBlock || (f.namespaceSelector && !f.podSelector));
    if (coversData && open) report(`${policy.name}: an ingress rule opens ${store.name}'s data port to more than the app's pods (${JSON.stringify(rule.from ?? "any")}).`, policy.urn);
  }
}

/** Redis and PostgreSQL accept connections only from pods labelled for data access. */
export const datastoresReachableOnlyFromApp: StackValidationPolicy = {
  name: "datastores-reachable-only-from-app",
  description: "A NetworkPolicy lets only the app's pods reach Redis and PostgreSQL.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const policies = args.resources.filter((r) => r.isType(k8s.networking.v1.NetworkPolicy));
    for (const store of args.resources.filter((r) => r.isType(k8s.apps.v1.StatefulSet))) {
      const pod = podOf(store);
      if (!pod) continue;
      const dataPorts = (pod.spec.containers ?? [])[0]?.ports?.map((p) => p.containerPort) ?? [];
      const guards = guarding(policies, pod.labels);
      if (guards.length === 0) {
        report(`${store.name}: no NetworkPolicy selects its pods, so any pod in the cluster can connect. Add one that admits only the app's pods.`, store.urn);
        continue;
      }
      for (const p of guards) checkRules(store, p, dataPorts, report);
    }
  },
};

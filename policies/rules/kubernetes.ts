import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Res, T, podSpec, stackOf } from "../facts";

/** A tag that is not "latest", or a digest. */
export function pinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.split("/").pop() ?? "";
  const tag = last.includes(":") ? last.split(":").pop()! : "";
  return tag !== "" && tag !== "latest";
}

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description: "Every image is pinned to a tag other than latest, or to a digest.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const r = args as unknown as Res;
    const images: string[] = [];
    const pod = podSpec(r);
    if (pod) images.push(...[...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].map((c: any) => String(c.image)));
    if (r.type === T.remoteImage) images.push(String(r.props.name));
    for (const image of images) {
      if (!pinned(image)) report(`image "${image}" is not pinned: a missing tag or "latest" changes under you on the next pull. Pin a version tag or a digest (name@sha256:...).`);
    }
  },
};

export const resourcesSet: ResourceValidationPolicy = {
  name: "k8s-requests-and-limits",
  description: "Every container sets CPU and memory requests and limits.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const pod = podSpec(args as unknown as Res);
    for (const c of pod?.spec.containers ?? []) {
      const missing = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"].filter((p) => {
        const [a, b] = p.split(".");
        return !c.resources?.[a]?.[b];
      });
      if (missing.length) report(`container ${c.name} has no ${missing.join(", ")}: the scheduler cannot place it safely and a leak can starve its node.`);
    }
  },
};

export const nonRoot: ResourceValidationPolicy = {
  name: "k8s-non-root",
  description: "Pods run as non-root without privilege escalation.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const pod = podSpec(args as unknown as Res);
    if (!pod) return;
    for (const c of pod.spec.containers ?? []) {
      const nonRootSet = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
      if (nonRootSet !== true) report(`container ${c.name} may run as root: set securityContext.runAsNonRoot: true (and a runAsUser).`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) report(`container ${c.name} allows privilege escalation: set securityContext.allowPrivilegeEscalation: false.`);
    }
  },
};

const subset = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

/** Redis and PostgreSQL accept connections only from pods labelled for data access. */
export const dataStoresIsolated: StackValidationPolicy = {
  name: "datastores-reachable-only-from-app",
  description: "A NetworkPolicy lets only the app's pods reach Redis and PostgreSQL.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const resources = args.resources as unknown as Res[];
    const stores = resources.filter((r) => r.type === T.statefulSet);
    const policies = resources.filter((r) => r.type === T.networkPolicy);
    for (const s of stores) {
      const labels = podSpec(s)!.labels;
      const guarding = policies.filter((p) => subset(p.props.spec?.podSelector?.matchLabels ?? {}, labels) && (p.props.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"));
      const ports: number[] = (podSpec(s)!.spec.containers ?? [])[0]?.ports?.map((p: any) => p.containerPort) ?? [];
      if (guarding.length === 0) {
        report(`${s.name}: no NetworkPolicy selects its pods, so any pod in the cluster can connect. Add one that admits only the app's pods.`, s.urn);
        continue;
      }
      for (const p of guarding) {
        for (const rule of p.props.spec?.ingress ?? []) {
          const coversData = !rule.ports || rule.ports.some((x: any) => ports.includes(Number(x.port)));
          const open = !rule.from || rule.from.length === 0 || rule.from.some((f: any) => f.ipBlock || (f.namespaceSelector && !f.podSelector));
          if (coversData && open) report(`${p.name}: an ingress rule opens ${s.name}'s data port to more than the app's pods (${JSON.stringify(rule.from ?? "any")}).`, p.urn);
        }
      }
    }
  },
};

export const statefulProtected: StackValidationPolicy = {
  name: "stateful-protected",
  description: "In production, StatefulSets (Redis, PostgreSQL) are protected against deletion.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { stages: { type: "array", items: { type: "string" }, default: ["prod"] } } },
  validateStack: (args, report) => {
    const stages: string[] = args.getConfig<{ stages?: string[] }>().stages ?? ["prod"];
    for (const r of args.resources as unknown as Res[]) {
      if (r.type === T.statefulSet && stages.includes(stackOf(r.urn)) && !r.opts?.protect) {
        report(`${r.name} is not protected in ${stackOf(r.urn)}: a refactor or a bad diff would delete the database with it. Set hotel:kubernetes.protectStateful: true.`, r.urn);
      }
    }
  },
};

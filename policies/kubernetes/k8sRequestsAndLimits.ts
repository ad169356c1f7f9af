import { ResourceValidationPolicy } from "@pulumi/policy";
import { onPods } from "../readers/pods";

const REQUIRED = [
  ["requests", "cpu"],
  ["requests", "memory"],
  ["limits", "cpu"],
  ["limits", "memory"],
] as const;

export const k8sRequestsAndLimits: ResourceValidationPolicy = {
  name: "k8s-requests-and-limits",
  description: "Every container sets CPU and memory requests and limits.",
  enforcementLevel: "mandatory",
  validateResource: onPods((pod, report) => {
    for (const c of pod.spec.containers ?? []) {
      const missing = REQUIRED.filter(([kind, what]) => !c.resources?.[kind]?.[what]).map(([kind, what]) => `${kind}.${what}`);
      if (missing.length) report(`container ${c.name} has no ${missing.join(", ")}: the scheduler cannot place it safely and a leak can starve its node.`);
    }
  }),
};

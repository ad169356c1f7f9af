import { ResourceValidationPolicy } from "@pulumi/policy";
import { onPods } from "../readers/pods";

export const k8sNonRoot: ResourceValidationPolicy = {
  name: "k8s-non-root",
  description: "Pods run as non-root without privilege escalation.",
  enforcementLevel: "mandatory",
  validateResource: onPods((pod, report) => {
    for (const c of pod.spec.containers ?? []) {
      const nonRootSet = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
      if (nonRootSet !== true) report(`container ${c.name} may run as root: set securityContext.runAsNonRoot: true (and a runAsUser).`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) report(`container ${c.name} allows privilege escalation: set securityContext.allowPrivilegeEscalation: false.`);
    }
  }),
};

import * as k8s from "@pulumi/kubernetes";
import { StackValidationPolicy } from "@pulumi/policy";
import { stackOf } from "../readers/stack";
import { policySettings } from "../settings";

const settings = policySettings<{ stages: string[] }>({ stages: { type: "array", items: { type: "string" }, default: ["prod"] } });

export const statefulProtected: StackValidationPolicy = {
  name: "stateful-protected",
  // The analyzer shows policies `protect` but not `retainOnDelete`; the program sets both
  // from one setting (hotel:kubernetes.protectStateful), and test/program checks they agree.
  description: "In production, StatefulSets (Redis, PostgreSQL) and their Namespace are protected against deletion.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const { stages } = settings.read(args);
    for (const r of args.resources) {
      const holdsData = r.isType(k8s.apps.v1.StatefulSet) || r.isType(k8s.core.v1.Namespace);
      if (holdsData && stages.includes(stackOf(r.urn)) && !r.opts.protect) {
        report(`${r.name} is not protected in ${stackOf(r.urn)}: a refactor or a bad diff would delete the database with it. Set hotel:kubernetes.protectStateful: true.`, r.urn);
      }
    }
  },
  // The settings it reads, with their defaults (policies/settings.ts).
  configSchema: settings.configSchema,
};

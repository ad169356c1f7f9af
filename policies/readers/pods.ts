/** Pod templates of the workload classes, and the PostgreSQL server's `-c` settings. */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource, ReportViolation, ResourceValidation, ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { Check } from "./files";

type PodTemplate = { metadata?: { labels?: Record<string, string> }; spec?: PodSpecProps };
export type PodSpecProps = {
  containers?: ContainerProps[];
  initContainers?: ContainerProps[];
  securityContext?: { runAsNonRoot?: boolean };
};
export type ContainerProps = {
  name: string;
  image?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number }[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean };
};

export interface Pod {
  labels: Record<string, string>;
  spec: PodSpecProps;
  replicas: number;
}

const pod = (t: PodTemplate | undefined, replicas = 1): Pod => ({ labels: t?.metadata?.labels ?? {}, spec: t?.spec ?? {}, replicas });

/** The pod a workload runs, for each workload class (StatefulSet, Deployment, Job, CronJob). */
export function onPods(check: Check<Pod>): ResourceValidation[] {
  return [
    validateResourceOfType(k8s.apps.v1.StatefulSet, (s, a, r) => check(pod(s.spec?.template as PodTemplate, s.spec?.replicas), r, a)),
    validateResourceOfType(k8s.apps.v1.Deployment, (d, a, r) => check(pod(d.spec?.template as PodTemplate, d.spec?.replicas), r, a)),
    validateResourceOfType(k8s.batch.v1.Job, (j, a, r) => check(pod(j.spec?.template as PodTemplate), r, a)),
    validateResourceOfType(k8s.batch.v1.CronJob, (c, a, r) => check(pod(c.spec?.jobTemplate?.spec?.template as PodTemplate), r, a)),
  ];
}

/** A resource's pod, for stack policies (undefined for other classes). */
export function podOf(r: PolicyResource): Pod | undefined {
  const sts = r.asType(k8s.apps.v1.StatefulSet);
  if (sts) return pod(sts.spec?.template as PodTemplate, sts.spec?.replicas);
  const dep = r.asType(k8s.apps.v1.Deployment);
  if (dep) return pod(dep.spec?.template as PodTemplate, dep.spec?.replicas);
  const job = r.asType(k8s.batch.v1.Job);
  if (job) return pod(job.spec?.template as PodTemplate);
  const cron = r.asType(k8s.batch.v1.CronJob);
  return cron ? pod(cron.spec?.jobTemplate?.spec?.template as PodTemplate) : undefined;
}

/** `-c key=value` pairs of a postgres command line. */
function flags(argv: string[] | undefined): Record<string, string> | undefined {
  if (!argv || argv[0] !== "postgres") return undefined;
  const out: Record<string, string> = {};
  argv.forEach((a, i) => {
    if (argv[i - 1] === "-c") {
      const [k, ...v] = a.split("=");
      out[k] = v.join("=");
    }
  });
  return out;
}

/** PostgreSQL's server settings: the StatefulSet container's args, or the Docker container's command. */
export function postgresSettingsOf(r: PolicyResource): Record<string, string> | undefined {
  const sts = r.asType(k8s.apps.v1.StatefulSet);
  if (sts) return flags(((sts.spec?.template as PodTemplate)?.spec?.containers ?? []).find((c) => (c.args ?? [])[0] === "postgres")?.args);
  const c = r.asType(docker.Container);
  return c ? flags(c.command) : undefined;
}

export function onPostgresSettings(check: Check<Record<string, string>>): ResourceValidation[] {
  const on: (args: ResourceValidationArgs, report: ReportViolation) => void = (args, report) => {
    const s = postgresSettingsOf(args as ResourceValidationArgs & PolicyResource);
    if (s) check(s, report, args);
  };
  return [validateResourceOfType(k8s.apps.v1.StatefulSet, (_s, args, report) => on(args, report)), validateResourceOfType(docker.Container, (_c, args, report) => on(args, report))];
}

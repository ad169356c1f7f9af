/**
 * Reads the quick-win artifacts back out of resource inputs, the way the policy pack
 * sees them (engine or offline runner): redis.conf text, PostgreSQL flags, the
 * reconcile script, alert rules, the app's settings, and pod specs. Works for both
 * targets: Kubernetes objects and Docker containers.
 */
import { parse } from "yaml";

export interface Res {
  type: string;
  name: string;
  urn: string;
  props: Record<string, any>;
  opts?: { protect?: boolean };
}

export const T = {
  configMap: "kubernetes:core/v1:ConfigMap",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  pgExtension: "postgresql:index/extension:Extension",
};

/** Files a resource carries: ConfigMap data, or a Docker container's uploads. */
export function files(r: Res): Record<string, string> {
  if (r.type === T.configMap) return { ...(r.props.data ?? {}) };
  if (r.type === T.container) {
    const out: Record<string, string> = {};
    for (const u of r.props.uploads ?? []) if (typeof u.content === "string") out[String(u.file).split("/").pop()!] = u.content;
    return out;
  }
  return {};
}

export function redisConf(r: Res): Record<string, string> | undefined {
  const text = files(r)["redis.conf"];
  if (text === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
    if (m && !line.trim().startsWith("#")) out[m[1]] = m[2];
  }
  return out;
}

export function reconcileSql(r: Res): string | undefined {
  return files(r)["reconcile.sql"];
}

export interface PodSpec {
  owner: Res;
  labels: Record<string, string>;
  spec: any;
  replicas: number;
}

export function podSpec(r: Res): PodSpec | undefined {
  const p = r.props;
  if (r.type === T.statefulSet || r.type === T.deployment || r.type === T.job) {
    return { owner: r, labels: p.spec?.template?.metadata?.labels ?? {}, spec: p.spec?.template?.spec ?? {}, replicas: p.spec?.replicas ?? 1 };
  }
  if (r.type === T.cronJob) {
    const t = p.spec?.jobTemplate?.spec?.template;
    return { owner: r, labels: t?.metadata?.labels ?? {}, spec: t?.spec ?? {}, replicas: 1 };
  }
  return undefined;
}

/** PostgreSQL server settings given as `-c key=value` (StatefulSet args or container command). */
export function postgresSettings(r: Res): Record<string, string> | undefined {
  let argv: string[] | undefined;
  if (r.type === T.statefulSet) argv = (r.props.spec?.template?.spec?.containers ?? []).find((c: any) => (c.args ?? [])[0] === "postgres")?.args;
  if (r.type === T.container && (r.props.command ?? [])[0] === "postgres") argv = r.props.command;
  if (!argv) return undefined;
  const out: Record<string, string> = {};
  argv.forEach((a, i) => {
    if (argv![i - 1] === "-c") {
      const [k, ...v] = a.split("=");
      out[k] = v.join("=");
    }
  });
  return out;
}

/** The app's quick-win settings: a ConfigMap holding DB_POOL_SIZE, or a container env. */
export function appSettings(r: Res): Record<string, string> | undefined {
  if (r.type === T.configMap && r.props.data && "DB_POOL_SIZE" in r.props.data) return r.props.data;
  if (r.type === T.container && Array.isArray(r.props.envs)) {
    const env = Object.fromEntries(r.props.envs.map((e: string) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    if ("DB_POOL_SIZE" in env) return env;
  }
  return undefined;
}

export interface AlertRule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(r: Res): AlertRule[] | undefined {
  let groups: any[] | undefined;
  if (r.type === T.prometheusRule) groups = r.props.spec?.groups;
  for (const [name, text] of Object.entries(files(r))) {
    if (/\.rules\.ya?ml$/.test(name)) groups = (parse(text) ?? {}).groups;
  }
  if (!groups) return undefined;
  return groups.flatMap((g) => g.rules ?? []).filter((x: AlertRule) => x.alert);
}

/** The number after the final comparison of an alert expression ("... > 0.05"). */
export function threshold(expr: string): number | undefined {
  const m = /[><]=?\s*([0-9.eE+-]+)\s*$/.exec(expr.trim());
  return m ? Number(m[1]) : undefined;
}

export function stackOf(urn: string): string {
  return urn.split("::")[0].split(":").pop() ?? "";
}

/** Milliseconds from a Prometheus or PostgreSQL duration ("5m", "100ms", "100" = ms). */
export function durationMs(text: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(m[1]) * unit[m[2] ?? "ms"];
}

/**
 * The quick-win artifacts a resource carries, read back the way the pack sees them:
 * files (ConfigMap data on Kubernetes, uploads into a container on Docker) and what
 * is in them (redis.conf directives, the reconcile script, the app's settings).
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { ReportViolation, ResourceValidation, ResourceValidationArgs, validateResourceOfType } from "@pulumi/policy";
import { RECONCILE_SQL_FILE, REDIS_CONF_FILE } from "../../contract/files";

export type Files = Record<string, string>;
/** A check on one artifact; `args` gives the policy its settings (getConfig). */
export type Check<T> = (value: T, report: ReportViolation, args: ResourceValidationArgs) => void;

/** One validation per class that carries files, each handing over name -> text. */
export function onFiles(check: Check<Files>): ResourceValidation[] {
  return [
    validateResourceOfType(k8s.core.v1.ConfigMap, (cm, args, report) => check({ ...(cm.data ?? {}) }, report, args)),
    validateResourceOfType(docker.Container, (c, args, report) => {
      const files: Files = {};
      for (const u of c.uploads ?? []) if (typeof u.content === "string") files[u.file.split("/").pop() ?? u.file] = u.content;
      check(files, report, args);
    }),
  ];
}

/** redis.conf as directive -> value (comments left out). */
export function parseRedisConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
    if (m && !line.trim().startsWith("#")) out[m[1]] = m[2];
  }
  return out;
}

export function onRedisConf(check: Check<Record<string, string>>): ResourceValidation[] {
  return onFiles((files, report, args) => {
    if (files[REDIS_CONF_FILE] !== undefined) check(parseRedisConf(files[REDIS_CONF_FILE]), report, args);
  });
}

export function onReconcileSql(check: Check<string>): ResourceValidation[] {
  return onFiles((files, report, args) => {
    if (files[RECONCILE_SQL_FILE] !== undefined) check(files[RECONCILE_SQL_FILE], report, args);
  });
}

/** The app's settings are the files-or-env that hold DB_POOL_SIZE. */
export function isAppSettings(env: Record<string, string>): boolean {
  return "DB_POOL_SIZE" in env;
}

/** A container's env list ("K=V") as a record. */
export function envOf(envs: string[] | undefined): Record<string, string> {
  return Object.fromEntries((envs ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

export function onAppSettings(check: Check<Record<string, string>>): ResourceValidation[] {
  return [
    validateResourceOfType(k8s.core.v1.ConfigMap, (cm, args, report) => {
      const data = cm.data ?? {};
      if (isAppSettings(data)) check(data, report, args);
    }),
    validateResourceOfType(docker.Container, (c, args, report) => {
      const env = envOf(c.envs);
      if (isAppSettings(env)) check(env, report, args);
    }),
  ];
}

/** Whole-stack reads: the files, app settings and pods of every resource. */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import { PolicyResource } from "@pulumi/policy";
import { Files, envOf, isAppSettings, parseRedisConf } from "./files";
import { REDIS_CONF_FILE } from "../../contract/files";

export function filesOf(r: PolicyResource): Files {
  const cm = r.asType(k8s.core.v1.ConfigMap);
  if (cm) return { ...(cm.data ?? {}) };
  const c = r.asType(docker.Container);
  const files: Files = {};
  for (const u of c?.uploads ?? []) if (typeof u.content === "string") files[u.file.split("/").pop() ?? u.file] = u.content;
  return files;
}

export function redisConfOf(r: PolicyResource): Record<string, string> | undefined {
  const text = filesOf(r)[REDIS_CONF_FILE];
  return text === undefined ? undefined : parseRedisConf(text);
}

export function appSettingsOf(r: PolicyResource): Record<string, string> | undefined {
  const cm = r.asType(k8s.core.v1.ConfigMap);
  const env = cm ? (cm.data ?? {}) : envOf(r.asType(docker.Container)?.envs);
  return isAppSettings(env) ? env : undefined;
}

export function stackOf(urn: string): string {
  return urn.split("::")[0].split(":").pop() ?? "";
}

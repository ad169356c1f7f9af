/**
 * A policy's settings, written once: the JSON schema the engine shows and validates
 * (`configSchema`, with each default) and the typed object the policy reads. The
 * engine fills in the schema's defaults before a policy runs (so does the offline
 * runner, harness/policyRunner.ts), so the code never repeats a default.
 */
import { PolicyConfigSchema } from "@pulumi/policy";

interface Setting<T> {
  type: "number" | "string" | "array";
  items?: { type: "number" | "string" };
  default?: T;
  description?: string;
}

export function policySettings<T extends Record<string, unknown>>(properties: { [K in keyof T]: Setting<T[K]> }) {
  return {
    configSchema: { properties } as PolicyConfigSchema,
    read: (args: { getConfig<C extends object>(): C }): T => args.getConfig<T>(),
  };
}

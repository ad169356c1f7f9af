/** Reads the stack's `hotel:*` config from the Pulumi runtime, once, and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE, validateStackConfig } from "./validate";
import { StackConfig } from "./types";

export interface LoadedConfig {
  config: StackConfig;
  postgresPassword: pulumi.Output<string>;
}

/** Structured values reach the runtime as JSON text; plain values as strings. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function loadStackConfig(): LoadedConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(":");
    if (ns === NAMESPACE && name !== "postgresPassword") raw[name] = parseValue(value);
  }
  const config = validateStackConfig(pulumi.getStack(), raw);
  const password = new pulumi.Config(NAMESPACE).getSecret("postgresPassword");
  if (password === undefined) {
    throw new Error(
      `${NAMESPACE}:postgresPassword is not set; no resource was registered. ` +
        `Set it as a secret: pulumi config set --secret ${NAMESPACE}:postgresPassword <value> --stack ${pulumi.getStack()}`,
    );
  }
  return { config, postgresPassword: password };
}

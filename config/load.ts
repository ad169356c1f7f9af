/** Reads the stack's `hotel:*` config from the Pulumi runtime, once, and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { namespaceProblems } from "./stages";
import { ConfigError, validateStackConfig } from "./validate";
import { NAMESPACE } from "../contract/project";
import { StackConfig } from "./types";
import { PASSWORD_KEY, PREVIOUS_PASSWORD_KEY } from "../contract/secrets";

export interface LoadedConfig {
  config: StackConfig;
  postgresPassword: pulumi.Output<string>;
  /** Only while the password is being rotated: the one the role has until the rotation Job runs. */
  postgresPreviousPassword?: pulumi.Output<string>;
}

/**
 * The secrets the program reads itself (never part of a stage file). The previous
 * password is set only by `npm run rotate-password`, for one run, and is deliberately
 * not declared in Pulumi.yaml (a declared key without a default would be required).
 */
const SECRET_KEYS = [PASSWORD_KEY, PREVIOUS_PASSWORD_KEY];

/** Structured values reach the runtime as JSON text; plain values as strings. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readConfig(): StackConfig {
  const all = pulumi.runtime.allConfig();
  const problems = namespaceProblems(Object.keys(all));
  if (problems.length) throw new ConfigError(problems);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const [ns, name] = key.split(":");
    if (ns === NAMESPACE && !SECRET_KEYS.includes(name)) raw[name] = parseValue(value);
  }
  return validateStackConfig(pulumi.getStack(), raw);
}

/**
 * The validated config and the password. A bad config ends the program with the
 * ConfigError's message alone (a RunError: no stack trace, no object dump), before
 * any resource is registered.
 */
export function loadStackConfig(): LoadedConfig {
  let config: StackConfig;
  try {
    config = readConfig();
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  const password = new pulumi.Config(NAMESPACE).getSecret(PASSWORD_KEY);
  if (password === undefined) {
    throw new pulumi.RunError(
      `${NAMESPACE}:${PASSWORD_KEY} is not set; no resource was registered. ` +
        `Set it as a secret: pulumi config set --secret ${NAMESPACE}:${PASSWORD_KEY} --stack ${pulumi.getStack()} (the value on stdin)`,
    );
  }
  const previous = new pulumi.Config(NAMESPACE).getSecret("postgresPreviousPassword");
  return { config, postgresPassword: password, postgresPreviousPassword: previous };
}

/** Reads the stack's `hotel:*` config from the Pulumi runtime, once, and validates it. */
import * as pulumi from "@pulumi/pulumi";
import { namespaceProblems } from "./stages";
import { ConfigError, validateStackConfig } from "./validate";
import { NAMESPACE } from "../contract/project";
import { StackConfig } from "./types";
import { ADOPTED_KEY, PASSWORD_KEY, RENDER_DIR_KEY, ROTATION_KEY, ROTATION_STEPS, RotationStep } from "../contract/secrets";

export interface LoadedConfig {
  config: StackConfig;
  /** The password a new stack starts with (a stack from before keeps its own); else one is drawn. */
  postgresPasswordSeed?: pulumi.Output<string>;
  /** Only while `npm run rotate-password` runs. */
  passwordRotation?: RotationStep;
  /** Only under `npm run render`: where the Kubernetes provider writes YAML instead of applying it. */
  renderDirectory?: string;
  /** The namespace was taken over (npm run adopt), not created: a destroy retains it. */
  namespaceAdopted: boolean;
}

/**
 * The keys the driver sets in its work config (never in a stage file), read here
 * apart from the stage's sections, and deliberately not declared in Pulumi.yaml (a
 * declared key without a default would be required, and the stock CLI would ask).
 */
const DRIVER_KEYS = [PASSWORD_KEY, ROTATION_KEY, RENDER_DIR_KEY, ADOPTED_KEY];

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
    if (ns === NAMESPACE && !DRIVER_KEYS.includes(name)) raw[name] = parseValue(value);
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
  const settings = new pulumi.Config(NAMESPACE);
  const rotation = settings.get(ROTATION_KEY);
  if (rotation !== undefined && !(ROTATION_STEPS as readonly string[]).includes(rotation)) {
    throw new pulumi.RunError(
      `${NAMESPACE}:${ROTATION_KEY}: ${JSON.stringify(rotation)} is not allowed; allowed: ${ROTATION_STEPS.join(", ")} (set by npm run rotate-password only); no resource was registered`,
    );
  }
  return {
    config,
    postgresPasswordSeed: settings.getSecret(PASSWORD_KEY),
    passwordRotation: rotation as RotationStep | undefined,
    renderDirectory: settings.get(RENDER_DIR_KEY),
    namespaceAdopted: settings.getBoolean(ADOPTED_KEY) ?? false,
  };
}

/** A stage file's config, validated as the program would validate it (no Pulumi runtime). */
import { StackConfig } from "../config/types";
import { NAMESPACE, validateStackConfig } from "../config/validate";
import { RawConfig, readStageConfig } from "./mockRun";

export function stripNamespace(raw: RawConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k.replace(new RegExp(`^${NAMESPACE}:`), "")] = v;
  return out;
}

export function stageConfig(stage: string, patch?: (raw: RawConfig) => void): StackConfig {
  const raw = readStageConfig(stage);
  patch?.(raw);
  return validateStackConfig(stage, stripNamespace(raw));
}

/** The PostgreSQL password: which one an operation sets, and the one the state keeps. */
import * as crypto from "crypto";
import { Deployment } from "@pulumi/pulumi/automation";
import { PASSWORD_OUTPUT } from "../../contract/secrets";
import { EngineOptions } from "./options";
import { WorkConfig } from "./workConfig";

/**
 * The password to set in the work config: the one given, else the one kept in the
 * stack's state (so every checkout on a shared backend uses the same), else none when
 * the work config has one already, else a new random one. Only ever passed on stdin.
 */
export function passwordToSet(o: EngineOptions, work: WorkConfig, fromState: string | undefined): string | undefined {
  if (o.password) return o.password;
  if (fromState) return fromState;
  if (work.hasPassword) return undefined;
  return crypto.randomBytes(24).toString("hex");
}

/** A stack output as `stack export --show-secrets` writes it: a plain value, or a secret envelope with its plaintext. */
function outputValue(v: unknown): unknown {
  if (v && typeof v === "object" && "plaintext" in v) return JSON.parse(String((v as { plaintext: string }).plaintext));
  return v;
}

/**
 * The stack's state and the password it keeps, in one CLI call (`stack export
 * --show-secrets`) where reading them apart took two: the volume guard reads the
 * resources, the work config the password.
 */
export function readState(run: (args: string[]) => string, stage: string): { state: Deployment; password?: string } {
  const state = JSON.parse(run(["stack", "export", "--show-secrets", "--stack", stage])) as Deployment;
  const root = (state.deployment?.resources ?? []).find((r: { type: string }) => r.type === "pulumi:pulumi:Stack");
  const password = outputValue(root?.outputs?.[PASSWORD_OUTPUT]);
  return { state, password: typeof password === "string" && password ? password : undefined };
}

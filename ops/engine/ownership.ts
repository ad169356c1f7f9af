/**
 * What a Kubernetes stage owns: its namespace, which the stack creates, and what is in it.
 * A namespace that already exists but is not in the stack's state (another install,
 * another stack, a system namespace, one a destroy retained) is never taken over by an
 * `up`: server-side apply would silently take every same-named object in it. The run
 * stops before the engine starts, naming the namespace and what lives in it; `npm run
 * adopt` takes it over deliberately, after showing the same list.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Deployment } from "@pulumi/pulumi/automation";
import { RawConfig } from "../../config/stages";
import { NAMESPACE } from "../../contract/project";
import { ADOPTED_KEY } from "../../contract/secrets";

/** The stack tag `npm run adopt` sets before it takes a namespace over (contract/secrets.ts ADOPTED_KEY). */
export const ADOPTED_TAG = `${NAMESPACE}:${ADOPTED_KEY}`;

/** The namespace exists and the stack did not create it: nothing was run, nothing changed. */
export class AdoptionRefused extends Error {}

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
/** The kinds the stack declares in its namespace: what an adoption would take over. */
const OWNED_KINDS = "deployments,statefulsets,services,configmaps,secrets,jobs,cronjobs,networkpolicies,persistentvolumeclaims";
/** Made by the control plane in every namespace; never the stack's, never a conflict. */
const CONTROL_PLANE_OBJECTS = new Set(["configmap/kube-root-ca.crt"]);
const LISTED = 20;

type StateEntry = { type: string; id?: string; inputs?: { metadata?: { name?: string } } };

/** Whether the state holds the namespace, applied or left pending by a killed run (which created it). */
export function stateHasNamespace(state: Deployment | undefined, namespace: string): boolean {
  const d = state?.deployment;
  const entries: StateEntry[] = [...(d?.resources ?? []), ...(d?.pending_operations ?? []).map((p: { resource: StateEntry }) => p.resource)];
  return entries.some((r) => r.type === NAMESPACE_TYPE && (r.inputs?.metadata?.name ?? r.id) === namespace);
}

/** How the driver asks the cluster: kubectl with the engine's kubeconfig and the stage's context. */
export interface ClusterAccess {
  kubectl: string;
  args: string[];
}

/** kubectl on this run's cluster: the stage file's kubeconfig (a path or the text itself) and context, else the engine's. */
export function clusterAccess(kubectl: string | undefined, kubeconfig: string | undefined, raw: RawConfig, env: NodeJS.ProcessEnv = process.env): ClusterAccess {
  const args: string[] = [];
  const staged = raw["kubernetes:kubeconfig"];
  if (typeof staged === "string" && staged) args.push("--kubeconfig", fs.existsSync(staged) ? staged : privateKubeconfig(staged));
  else if (kubeconfig) args.push("--kubeconfig", kubeconfig);
  if (typeof raw["kubernetes:context"] === "string") args.push("--context", raw["kubernetes:context"] as string);
  return { kubectl: kubectl ?? env.HOTEL_KUBECTL ?? "kubectl", args };
}

/** A kubeconfig given as text, in a private file (mode 600) removed when the process ends. */
export function privateKubeconfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-kubeconfig-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "config");
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function ask(access: ClusterAccess, args: string[]): string {
  const res = spawnSync(access.kubectl, [...access.args, ...args], { encoding: "utf8" });
  if (res.error || res.status !== 0) {
    const why = res.error ? `${access.kubectl}: ${res.error.message} (set HOTEL_KUBECTL to a kubectl)` : res.stderr.trim();
    throw new AdoptionRefused(`could not ask the cluster what namespace objects exist, so nothing was run: ${why}`);
  }
  return res.stdout;
}

/** The live namespace and the objects of the stack's kinds in it (kind/name); undefined when there is no such namespace. */
export function liveNamespace(access: ClusterAccess, namespace: string): string[] | undefined {
  if (!ask(access, ["get", "namespace", namespace, "--ignore-not-found", "-o", "name"]).trim()) return undefined;
  const names = ask(access, ["get", OWNED_KINDS, "-n", namespace, "--ignore-not-found", "-o", "name"]);
  return names
    .split("\n")
    .map((n) => n.trim().replace(/^([a-z]+)\.[a-z.]+\//, "$1/"))
    .filter((n) => n && !CONTROL_PLANE_OBJECTS.has(n));
}

export const describeLive = (namespace: string, objects: string[]) =>
  `namespace ${namespace}` +
  (objects.length ? ` with ${objects.length} object(s): ${objects.slice(0, LISTED).join(", ")}${objects.length > LISTED ? ", ..." : ""}` : " (no objects of the stack's kinds in it)");

/**
 * Before a change: refuses a namespace that exists in the cluster while the stack's state
 * does not hold it. A namespace the state holds is the stack's, and so is what is in it
 * (a killed run's half-made object is taken back by the next up's forced apply).
 */
export function refuseUnownedNamespace(stage: string, namespace: string, state: Deployment | undefined, access: ClusterAccess): void {
  if (stateHasNamespace(state, namespace)) return;
  const objects = liveNamespace(access, namespace);
  if (!objects) return;
  throw new AdoptionRefused(
    `stage ${stage} would take over ${describeLive(namespace, objects)}: it exists and this stack did not create it, so nothing was run. ` +
      `Choose another hotel:kubernetes.namespace, or take it over deliberately: npm run adopt -- --stack ${stage} (docs/OPERATIONS.md, "taking over a namespace").`,
  );
}

/** The Docker objects a stack's state holds, found by their Pulumi names (tests and the rehearsal read them). */
import type { Deployment } from "@pulumi/pulumi/automation";

export interface StackObjects {
  /** Pulumi resource name -> Docker container name. */
  containers: Record<string, string>;
  containerIds: string[];
  networkIds: string[];
  volumeNames: string[];
}

/** The Docker objects a stack's state holds. */
export function stackObjects(state: Deployment): StackObjects {
  const out: StackObjects = { containers: {}, containerIds: [], networkIds: [], volumeNames: [] };
  for (const r of state.deployment.resources ?? []) {
    const name = String(r.urn).split("::").pop()!;
    if (r.type === "docker:index/container:Container") {
      out.containers[name] = r.outputs.name;
      out.containerIds.push(r.outputs.id);
    } else if (r.type === "docker:index/network:Network") out.networkIds.push(r.outputs.id);
    else if (r.type === "docker:index/volume:Volume") out.volumeNames.push(r.outputs.name);
  }
  return out;
}

/** The container of the one resource whose Pulumi name matches (reconcile containers carry a checksum). */
export function containerOf(objects: StackObjects, name: string | RegExp): string {
  const found = Object.entries(objects.containers).filter(([n]) => (typeof name === "string" ? n === name : name.test(n)));
  if (found.length !== 1) throw new Error(`expected one container named ${name}, found ${found.map(([n]) => n).join(", ") || "none"}`);
  return found[0][1];
}

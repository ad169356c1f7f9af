/** Property-level differences between two runs of the program (what a reviewer sees). */
import { Registered } from "./mockRun";

export interface Change {
  resource: string;
  kind: "added" | "removed" | "changed";
  paths: string[];
}

export const resourceKey = (r: Pick<Registered, "type" | "name">) => `${r.type}::${r.name}`;

function leafPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (a === b) return;
  const isObj = (x: unknown) => typeof x === "object" && x !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      const seg = Array.isArray(a) ? `[${k}]` : prefix ? `.${k}` : k;
      leafPaths((a as any)[k], (b as any)[k], prefix + seg, out);
    }
    return;
  }
  out.push(prefix || "(root)");
}

export function changedPaths(a: unknown, b: unknown): string[] {
  const out: string[] = [];
  leafPaths(a, b, "", out);
  return out;
}

export function diffResources(before: Registered[], after: Registered[]): Change[] {
  const a = new Map(before.map((r) => [resourceKey(r), r]));
  const b = new Map(after.map((r) => [resourceKey(r), r]));
  const changes: Change[] = [];
  for (const [key, r] of b) {
    const old = a.get(key);
    if (!old) {
      changes.push({ resource: key, kind: "added", paths: [] });
      continue;
    }
    const paths = changedPaths(old.inputs, r.inputs);
    if (old.protect !== r.protect) paths.push("(option) protect");
    if (paths.length) changes.push({ resource: key, kind: "changed", paths: paths.sort() });
  }
  for (const key of a.keys()) if (!b.has(key)) changes.push({ resource: key, kind: "removed", paths: [] });
  return changes.sort((x, y) => x.resource.localeCompare(y.resource));
}

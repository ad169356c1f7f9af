/** Property-level differences between two runs of the program (what a reviewer sees). */
import { Registered } from "./mockRun";

export interface Change {
  resource: string;
  kind: "added" | "removed" | "changed";
  paths: string[];
  /** Before and after values of each changed path (same order as paths). */
  values?: { before: unknown; after: unknown }[];
}

/** The value at a path printed by changedPaths ("spec.containers[0].args[6]"). */
export function valueAt(obj: unknown, p: string): unknown {
  if (p === "(root)") return obj;
  let cur: any = obj;
  for (const m of p.matchAll(/\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g)) {
    if (cur === undefined || cur === null) return undefined;
    cur = m[1] !== undefined ? cur[Number(m[1])] : m[2] !== undefined ? cur[JSON.parse(m[2])] : cur[m[3]];
  }
  return cur;
}

export const resourceKey = (r: Pick<Registered, "type" | "name">) => `${r.type}::${r.name}`;

function leafPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (a === b) return;
  const isObj = (x: unknown) => typeof x === "object" && x !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) {
      const seg = Array.isArray(a) ? `[${k}]` : /^[\w$/-]+$/.test(k) ? (prefix ? `.${k}` : k) : `[${JSON.stringify(k)}]`;
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
    if (paths.length) {
      paths.sort();
      const values = paths.map((p) => (p.startsWith("(option)") ? { before: old.protect, after: r.protect } : { before: valueAt(old.inputs, p), after: valueAt(r.inputs, p) }));
      changes.push({ resource: key, kind: "changed", paths, values });
    }
  }
  for (const key of a.keys()) if (!b.has(key)) changes.push({ resource: key, kind: "removed", paths: [] });
  return changes.sort((x, y) => x.resource.localeCompare(y.resource));
}

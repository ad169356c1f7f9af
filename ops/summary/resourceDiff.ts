/** Property-level differences between two runs of the program (what a reviewer sees). */
import { Registered } from "../../harness/mockRun";

export interface Change {
  resource: string;
  kind: "added" | "removed" | "changed";
  paths: string[];
  /** Before and after values of each changed path (same order as paths). */
  values?: { before: unknown; after: unknown }[];
}

/** The value at a path printed by changedPaths ("spec.containers[name=postgres].args"). */
function valueAt(obj: unknown, p: string): unknown {
  if (p === "(root)") return obj;
  let cur: any = obj;
  for (const m of p.matchAll(/\[name=([^\]]+)\]|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\.?([^.[\]]+)/g)) {
    if (cur === undefined || cur === null) return undefined;
    if (m[1] !== undefined) cur = Array.isArray(cur) ? cur.find((x) => x?.name === m[1]) : undefined;
    else cur = m[2] !== undefined ? cur[Number(m[2])] : m[3] !== undefined ? cur[JSON.parse(m[3])] : cur[m[4]];
  }
  return cur;
}

const isObj = (x: unknown): x is object => typeof x === "object" && x !== null;
const scalars = (x: unknown): x is unknown[] => Array.isArray(x) && x.every((v) => !isObj(v));
/** Lists of named things (containers, env vars, ports): compared by name, never by position. */
const named = (x: unknown): x is { name: string }[] => Array.isArray(x) && x.length > 0 && x.every((v) => isObj(v) && typeof (v as any).name === "string");

const resourceKey = (r: Pick<Registered, "type" | "name">) => `${r.type}::${r.name}`;

function leafPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (a === b) return;
  // A list of flags or words is one value: its positions shift with every flag added.
  if (scalars(a) && scalars(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(prefix || "(root)");
    return;
  }
  if (named(a) && named(b)) {
    const names = new Set([...a.map((x) => x.name), ...b.map((x) => x.name)]);
    for (const n of names)
      leafPaths(
        a.find((x) => x.name === n),
        b.find((x) => x.name === n),
        `${prefix}[name=${n}]`,
        out,
      );
    return;
  }
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

function changedPaths(a: unknown, b: unknown): string[] {
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

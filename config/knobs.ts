/**
 * The machinery of the config schema: a knob is one key (how its value is read, and its
 * default in the stage files' notation); a block is an object of knobs; a section is
 * a top-level `hotel:*` key with what Pulumi.yaml declares about it. From one schema
 * come the TypeScript type, the defaults, the list of keys and Pulumi.yaml's `config:`.
 */
import { Field, Problems, show } from "./fields";

export interface Knob<T> {
  read: Field<T>;
  /** Absent: the key is required. A function: a default that depends on the stage. */
  default?: unknown;
}

export type Knobs = Record<string, Knob<any>>;
export type ValueOf<K extends Knobs> = { [P in keyof K]: K[P] extends Knob<infer U> ? U : never };

export function knob<T>(read: Field<T>, dflt?: unknown): Knob<T> {
  return { read, default: dflt };
}

function defaultFor(k: Knob<unknown>, p: Problems): unknown {
  return typeof k.default === "function" ? k.default(p.stage) : k.default;
}

/**
 * An object of knobs. Missing keys take their default (which goes through the same
 * reader); unknown keys are problems, so a typo never silently falls back to a default.
 */
export function block<K extends Knobs>(knobs: K): Knob<ValueOf<K>> & { knobs: K } {
  const names = Object.keys(knobs);
  const read: Field<ValueOf<K>> = (v, path, p) => {
    const raw = v === undefined ? {} : v;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      p.add(path, v, `expected an object with keys: ${names.join(", ")}`);
      return read({}, path, new Problems(p.stage));
    }
    const rec = raw as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!names.includes(key)) p.add(`${path}.${key}`, rec[key], `unknown key; known keys: ${names.join(", ")}`);
    }
    const out: Record<string, unknown> = {};
    for (const key of names) {
      const given = rec[key];
      out[key] = knobs[key].read(given === undefined ? defaultFor(knobs[key], p) : given, `${path}.${key}`, p);
    }
    return out as ValueOf<K>;
  };
  return { read, default: {}, knobs };
}

/** Every default of a block, nested blocks included, in the stage files' notation. */
export function defaultsOf(k: Knob<unknown> & { knobs?: Knobs }, stage = "<stage>"): unknown {
  if (!k.knobs) return typeof k.default === "function" ? k.default(stage) : k.default;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(k.knobs)) {
    const d = defaultsOf(inner, stage);
    if (d !== undefined) out[name] = d;
  }
  return out;
}

export interface Section<T> extends Knob<T> {
  knobs?: Knobs;
  description: string;
  /** Read from Pulumi's secret config by the program, never from a stage file. */
  secret?: boolean;
}

export function section<K extends Knob<unknown> & { knobs?: Knobs }>(description: string, k: K, extra: { secret?: boolean } = {}): K & Section<K extends Knob<infer T> ? T : never> {
  return { ...k, description, ...extra } as K & Section<K extends Knob<infer T> ? T : never>;
}

/** A knob with no default whose reader refuses an absent value: the key is required. */
function refusesAbsence(k: Knob<unknown>): boolean {
  const p = new Problems();
  k.read(undefined, "", p);
  return p.list.length > 0;
}

/** What Pulumi.yaml declares for each section (type, default, description, secret). */
export function pulumiDeclarations(sections: Record<string, Section<unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of Object.entries(sections)) {
    const decl: Record<string, unknown> = { type: s.knobs ? "object" : "string" };
    const required = s.knobs && Object.values(s.knobs).some((k) => k.default === undefined && refusesAbsence(k));
    if (s.knobs && !required) decl.default = {};
    decl.description = s.knobs ? `${s.description} Keys: ${Object.keys(s.knobs).join(", ")}.` : s.description;
    if (s.secret) decl.secret = true;
    out[name] = decl;
  }
  return out;
}

export { show };

/**
 * Small combinators that read one raw config value, record every problem found
 * (key, value, what is allowed) and return a typed value. Validation never stops at
 * the first problem: a stage author sees all of them at once.
 */
import { BYTE_UNIT_NAMES, DURATION_UNITS, parseBytes, parseDurationMs } from "./units";

export class Problems {
  readonly list: string[] = [];
  add(path: string, value: unknown, allowed: string): void {
    this.list.push(`${path}: ${show(value)} is not allowed; ${allowed}`);
  }
}

export type Field<T> = (value: unknown, path: string, problems: Problems) => T;

export function show(value: unknown): string {
  if (value === undefined) return "(missing)";
  return JSON.stringify(value);
}

export function integer(min: number, max: number): Field<number> {
  return (v, path, p) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      p.add(path, v, `expected an integer from ${min} to ${max}`);
      return min;
    }
    return v;
  };
}

/** A fraction in the open interval (0, max]. */
export function ratio(max = 1): Field<number> {
  return (v, path, p) => {
    if (typeof v !== "number" || !(v > 0) || v > max) {
      p.add(path, v, `expected a number greater than 0 and at most ${max} (a ratio: 0.005 means 0.5 %)`);
      return max;
    }
    return v;
  };
}

export function fraction(): Field<number> {
  return (v, path, p) => {
    if (typeof v !== "number" || v < 0 || v >= 1) {
      p.add(path, v, "expected a number from 0 (inclusive) to 1 (exclusive)");
      return 0;
    }
    return v;
  };
}

export const boolean: Field<boolean> = (v, path, p) => {
  if (typeof v !== "boolean") {
    p.add(path, v, "expected true or false");
    return false;
  }
  return v;
};

export function oneOf<T extends string>(allowed: readonly T[]): Field<T> {
  return (v, path, p) => {
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      p.add(path, v, `allowed values: ${allowed.join(", ")}`);
      return allowed[0];
    }
    return v as T;
  };
}

export function text(pattern: RegExp, describe: string): Field<string> {
  return (v, path, p) => {
    if (typeof v !== "string" || !pattern.test(v)) {
      p.add(path, v, `expected ${describe}`);
      return "";
    }
    return v;
  };
}

export function duration(minMs: number, maxMs: number): Field<number> {
  return (v, path, p) => {
    const ms = typeof v === "string" ? parseDurationMs(v) : undefined;
    if (ms === undefined) {
      const hint = typeof v === "number" || /^\d+(\.\d+)?$/.test(String(v)) ? " (a number needs a unit)" : "";
      p.add(path, v, `expected a duration with a unit${hint}, such as "50ms", "30s", "5m", "24h" (units: ${DURATION_UNITS.join(", ")})`);
      return minMs;
    }
    if (ms < minMs || ms > maxMs) {
      p.add(path, v, `expected a duration from ${minMs} ms to ${maxMs} ms`);
      return minMs;
    }
    return ms;
  };
}

/** A duration, or the word "off" (returned as undefined). */
export function durationOrOff(minMs: number, maxMs: number): Field<number | undefined> {
  const d = duration(minMs, maxMs);
  return (v, path, p) => (v === "off" ? undefined : d(v, path, p));
}

export function bytes(minBytes: number): Field<number> {
  return (v, path, p) => {
    const n = typeof v === "string" ? parseBytes(v) : undefined;
    if (n === undefined || n < minBytes) {
      p.add(path, v, `expected a size of at least ${minBytes} bytes with a unit, such as "512mb" or "1gb" (units: ${BYTE_UNIT_NAMES.join(", ")})`);
      return minBytes;
    }
    return n;
  };
}

export function list<T>(item: Field<T>, minLength = 0): Field<T[]> {
  return (v, path, p) => {
    if (!Array.isArray(v) || v.length < minLength) {
      p.add(path, v, `expected a list${minLength ? ` of at least ${minLength} item(s)` : ""}`);
      return [];
    }
    return v.map((x, i) => item(x, `${path}[${i}]`, p));
  };
}

type Shape = Record<string, Field<any>>;
type Parsed<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer U> ? U : never };

/**
 * An object with known keys. Missing keys take their value from `defaults` (which
 * are in the stage files' notation and go through the same field); unknown keys are
 * problems, so a typo never silently falls back to a default.
 */
export function object<S extends Shape>(shape: S, defaults: Partial<Record<keyof S, unknown>>): Field<Parsed<S>> {
  const read: Field<Parsed<S>> = (v, path, p) => {
    const raw = v === undefined ? {} : v;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      p.add(path, v, `expected an object with keys: ${Object.keys(shape).join(", ")}`);
      return read({}, path, new Problems());
    }
    const rec = raw as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!(key in shape)) p.add(`${path}.${key}`, rec[key], `unknown key; known keys: ${Object.keys(shape).join(", ")}`);
    }
    const out = {} as Parsed<S>;
    for (const key of Object.keys(shape) as (keyof S & string)[]) {
      const given = rec[key];
      const value = given === undefined ? defaults[key] : given;
      out[key] = shape[key](value, `${path}.${key}`, p);
    }
    return out;
  };
  return read;
}

/** Marks a key that may be absent: undefined passes through without a problem. */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return (v, path, p) => (v === undefined ? undefined : field(v, path, p));
}

/**
 * Small combinators that read one raw config value, record every problem found
 * (key, value, what is allowed) and return a typed value. Validation never stops at
 * the first problem: a stage author sees all of them at once.
 */
import { parseCron } from "./cron";
import { BYTE_UNIT_NAMES, ByteSize, DURATION_UNITS, QUANTITY_UNIT_NAMES, parseBytes, parseDurationMs, parseQuantity } from "./units";

export class Problems {
  readonly list: string[] = [];
  /** The stage being validated (some defaults depend on it). */
  constructor(readonly stage = "") {}
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

/**
 * A ratio in (0, max], or (0, max) when `inclusive` is false: an alert compares
 * `ratio > threshold`, so a threshold of 1 could never fire.
 */
export function ratio(max = 1, inclusive = true): Field<number> {
  return (v, path, p) => {
    if (typeof v !== "number" || !(v > 0) || v > max || (!inclusive && v === max)) {
      const bound = inclusive ? `at most ${max}` : `less than ${max} (a threshold of ${max} can never be crossed)`;
      p.add(path, v, `expected a number greater than 0 and ${bound} (a ratio: 0.005 means 0.5 %)`);
      return max / 2;
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

const DURATION_EXAMPLES = `such as "50ms", "30s", "5m", "24h" (units: ${DURATION_UNITS.join(", ")})`;

export function duration(minMs: number, maxMs: number, orOff = false): Field<number> {
  const off = orOff ? ', or "off"' : "";
  return (v, path, p) => {
    if (typeof v === "string" && /^\s*-/.test(v)) {
      p.add(path, v, `a duration cannot be negative; expected one from ${minMs} ms to ${maxMs} ms${off}`);
      return minMs;
    }
    const ms = typeof v === "string" ? parseDurationMs(v) : undefined;
    if (ms === undefined) {
      const hint = typeof v === "number" || /^\d+(\.\d+)?$/.test(String(v)) ? " (a number needs a unit)" : "";
      p.add(path, v, `expected a duration with a unit${hint}${off}, ${DURATION_EXAMPLES}`);
      return minMs;
    }
    if (ms < minMs || ms > maxMs) {
      p.add(path, v, `expected a duration from ${minMs} ms to ${maxMs} ms${off}`);
      return minMs;
    }
    return ms;
  };
}

/** A duration, or the word "off" (returned as undefined). */
export function durationOrOff(minMs: number, maxMs: number): Field<number | undefined> {
  const d = duration(minMs, maxMs, true);
  return (v, path, p) => (v === "off" ? undefined : d(v, path, p));
}

/** The largest size any size field takes: Redis reads larger values as 0 (no limit at all). */
const MAX_SIZE_BYTES = 1024 ** 4;

export function bytes(minBytes: number, maxBytes = MAX_SIZE_BYTES): Field<ByteSize> {
  return (v, path, p) => {
    const n = typeof v === "string" ? parseBytes(v) : undefined;
    if (n === undefined || n < minBytes || n > maxBytes) {
      p.add(path, v, `expected a size from ${minBytes} bytes to ${maxBytes / 1024 ** 3}gb with a unit, such as "512mb" or "1gb" (units: ${BYTE_UNIT_NAMES.join(", ")})`);
      return { text: `${minBytes}b`, bytes: minBytes };
    }
    return { text: String(v).trim().toLowerCase(), bytes: n };
  };
}

/** A Kubernetes storage quantity with a binary suffix, at most 1Ti. */
export function storageSize(): Field<string> {
  return (v, path, p) => {
    const n = typeof v === "string" ? parseQuantity(v) : undefined;
    if (n === undefined || n === 0 || n > MAX_SIZE_BYTES) {
      p.add(path, v, `expected a storage size from 1Ki to 1Ti, such as "20Gi" (units: ${QUANTITY_UNIT_NAMES.join(", ")})`);
      return "1Gi";
    }
    return v as string;
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

/**
 * What a reader outside the engine sees for a value the stage file keeps encrypted
 * (`secure:`): the driver's preflight, the summary, the offline policy run and the
 * generated artifacts cannot decrypt it. Under the engine the program gets the plain
 * value and checks it in full.
 */
export const SECRET_PLACEHOLDER = "[secret]";

/** A value that may be given encrypted, `{ secure: <ciphertext> }` (pulumi config set --secret --path ...); else read by `field`. */
export function secretOr(field: Field<string>): Field<string> {
  return (v, path, p) => {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !("secure" in v)) return field(v, path, p);
    const { secure, ...rest } = v as { secure: unknown };
    if (typeof secure === "string" && secure && Object.keys(rest).length === 0) return SECRET_PLACEHOLDER;
    p.add(path, v, "expected a value, or an encrypted one written by `pulumi config set --secret --path` ({ secure: <ciphertext> })");
    return "";
  };
}

/** Marks a key that may be absent: undefined passes through without a problem. */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return (v, path, p) => (v === undefined ? undefined : field(v, path, p));
}

/** A 5-field cron expression with every field in range. */
export const cronSchedule: Field<string> = (v, path, p) => {
  const problem = typeof v === "string" ? parseCron(v) : "it is not text";
  if (typeof problem === "string") {
    p.add(path, v, `expected a cron expression with 5 fields in range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7), such as "30 3 * * *": ${problem}`);
    return "";
  }
  return v as string;
};

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Kubernetes labels: { key: value } with keys and values as the API accepts them. */
export const labelMap: Field<Record<string, string>> = (v, path, p) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    p.add(path, v, 'expected a map of Kubernetes labels, such as { release: "kube-prometheus-stack" }');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (!LABEL_KEY.test(key) || typeof value !== "string" || !LABEL_VALUE.test(value)) {
      p.add(`${path}.${key}`, value, "expected a Kubernetes label: a key of [prefix/]name and a value of at most 63 letters, digits, '-', '_' or '.'");
    } else out[key] = value;
  }
  return out;
};

/** A positive number up to `max`, in `unit`. */
export function positive(max: number, unit: string): Field<number> {
  return (v, path, p) => {
    if (typeof v !== "number" || !(v > 0) || v > max) {
      p.add(path, v, `expected a number of ${unit} greater than 0 and at most ${max}`);
      return max;
    }
    return v;
  };
}

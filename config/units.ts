/** Units used by the stage files: durations ("50ms", "5m") and Redis memory sizes ("1gb"). */

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export const DURATION_UNITS = Object.keys(DURATION_UNITS_MS);
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNITS_MS[m[2]];
}

export function msToSeconds(ms: number): number {
  return ms / 1000;
}

/** Prometheus duration ("5m", "90s"): whole units only, the largest that divides evenly. */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return "0s";
  for (const unit of ["d", "h", "m", "s"]) {
    const size = DURATION_UNITS_MS[unit];
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Redis reads "1gb" as 1024^3 bytes and "1g" as 10^9; only the binary
 * suffixes are accepted so that a size means one thing.
 */
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
export const BYTE_UNIT_NAMES = Object.keys(BYTE_UNITS);
const BYTES_RE = /^(\d+)(b|kb|mb|gb)$/;

export function parseBytes(text: string): number | undefined {
  const m = BYTES_RE.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  return Number(m[1]) * BYTE_UNITS[m[2]];
}

/** Kubernetes quantities with binary suffixes ("20Gi"), in bytes. */
const QUANTITY_UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
export const QUANTITY_UNIT_NAMES = Object.keys(QUANTITY_UNITS);

export function parseQuantity(text: string): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(text.trim());
  return m ? Number(m[1]) * QUANTITY_UNITS[m[2]] : undefined;
}

/** "50ms", "2.5s": a duration as the stage files write it. */
export function formatDurationMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** A memory size as written ("1gb", trimmed and lower-cased) and in bytes. */
export interface ByteSize {
  text: string;
  bytes: number;
}

/** A ByteSize from its text; throws on text that is not a size (for tools and tests). */
export function byteSize(text: string): ByteSize {
  const bytes = parseBytes(text);
  if (bytes === undefined) throw new Error(`not a size: ${JSON.stringify(text)}`);
  return { text: text.trim().toLowerCase(), bytes };
}

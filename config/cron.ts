/**
 * Standard 5-field cron expressions (minute hour day-of-month month day-of-week), as a
 * Kubernetes CronJob reads them: each field is `*`, a number, a range `a-b`, a step
 * `*\/n` or `a-b/n`, or a comma-separated list of those; every number in range.
 */

const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

/** The values one field matches, or a reason it is not valid. */
function fieldValues(text: string, min: number, max: number): number[] | string {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return `"${part}" is not a number, range or step`;
    const from = m[1] === "*" ? min : Number(m[2]);
    const to = m[1] === "*" ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < min || to > max || from > to) return `"${part}" is outside ${min}-${max}`;
    if (step < 1) return `"${part}" has a step below 1`;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Each field's matching values, or the problem with the expression. */
export function parseCron(expr: string): number[][] | string {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `it has ${fields.length} field(s), not 5`;
  const values: number[][] = [];
  for (let i = 0; i < 5; i++) {
    const f = CRON_FIELDS[i];
    const v = fieldValues(fields[i], f.min, f.max);
    if (typeof v === "string") return `its ${f.name} field ${v}`;
    values.push(v);
  }
  return values;
}

/** The UTC hours a valid schedule runs at. */
export function cronHours(expr: string): number[] {
  const parsed = parseCron(expr);
  return typeof parsed === "string" ? [] : parsed[1];
}

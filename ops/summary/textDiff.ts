/** Diffs a reviewer reads: a text as a unified diff of its lines, a list of flags as a set. */

/** A unified diff of two texts' lines (longest common subsequence), with `context` lines around each change. */
export function unifiedDiff(a: string, b: string, context = 2): string {
  const x = a.split("\n");
  const y = b.split("\n");
  const lcs = Array.from({ length: x.length + 1 }, () => new Int32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: [" " | "-" | "+", string][] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) (ops.push([" ", x[i]]), i++, j++);
    else if (j < y.length && (i === x.length || lcs[i][j + 1] >= lcs[i + 1][j])) ops.push(["+", y[j++]]);
    else ops.push(["-", x[i++]]);
  }
  const near = ops.map((_, k) => ops.slice(Math.max(0, k - context), k + context + 1).some(([op]) => op !== " "));
  const out: string[] = [];
  ops.forEach(([op, line], k) => {
    if (!near[k]) {
      if (out.length && out[out.length - 1] !== "...") out.push("...");
      return;
    }
    out.push(`${op} ${line}`);
  });
  return out.join("\n");
}

/** A command line's flags as tokens: "-c" joined with its value ("-c compute_query_id=on"). */
function flagTokens(args: unknown[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = String(args[k]);
    if (/^-\w$/.test(a) && k + 1 < args.length) out.push(`${a} ${String(args[++k])}`);
    else out.push(a);
  }
  return out;
}

/** What a list gained and lost, as sets of flag tokens. */
export function setDiff(before: unknown[], after: unknown[]): { added: string[]; removed: string[] } {
  const a = flagTokens(before);
  const b = flagTokens(after);
  return { added: b.filter((t) => !a.includes(t)), removed: a.filter((t) => !b.includes(t)) };
}

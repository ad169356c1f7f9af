/**
 * Stack traces that show the TypeScript lines of the files lib/transpileHook.js loaded, for
 * the processes where the Pulumi SDK has not installed source-map-support: the commands and
 * the test workers.
 *
 * Why not source-map-support there too: it copies every frame of every stack trace into an
 * object of its own, and the SDK takes a stack trace eagerly for each promise it makes
 * (`debuggablePromise`) and for each resource. Under mocks that was a third of the program
 * tests' CPU (docs/ENGINE.md, "How fast"). This formatter leaves every frame as V8 writes
 * it and rewrites only the position of a frame in a transpiled file. In the program's own
 * process (`pulumi preview`/`up`) the SDK has installed source-map-support before the first
 * `.ts` file loads, and the hook hands it the maps instead, as before: what the engine
 * records (each resource's source position) does not change.
 *
 * Plain JavaScript, as the hook is.
 */
"use strict";

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** The signed numbers of one segment of a source map's `mappings` (base-64 VLQ: 5 bits a digit, bit 6 says more follow, the lowest bit of the whole is the sign). */
function decodeSegment(text) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const digit = DIGIT.get(c);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

/**
 * A source map's positions, line by line: for each generated line (0-based), its segments
 * as [generated column, original line, original column], all 0-based, in column order
 * (the original ones null for a segment that has none).
 * Fields after the first are relative to the previous segment's, across lines; the
 * generated column restarts on each line.
 */
function decodeMappings(mappings) {
  let sourceLine = 0;
  let sourceColumn = 0;
  return mappings.split(";").map((line) => {
    let column = 0;
    const segments = [];
    for (const text of line ? line.split(",") : []) {
      const [columnDelta, , sourceLineDelta, sourceColumnDelta] = decodeSegment(text);
      column += columnDelta;
      if (sourceLineDelta === undefined) {
        segments.push([column, null, null]); // generated code with no original position
        continue;
      }
      sourceLine += sourceLineDelta;
      sourceColumn += sourceColumnDelta;
      segments.push([column, sourceLine, sourceColumn]);
    }
    return segments;
  });
}

/** The original 1-based line and column of a generated 1-based position, from the last segment of its line at or before the column; null if there is none or it has no original position (the position stays). */
function originalPosition(lines, line, column) {
  let found = null;
  for (const segment of lines[line - 1] ?? []) {
    if (segment[0] > column - 1) break;
    found = segment;
  }
  return found && found[1] !== null ? { line: found[1] + 1, column: found[2] + 1 } : null;
}

/** An Error.prepareStackTrace that writes frames as V8 does, with the positions in `maps` (path -> source map text) mapped back. */
function stackFormatter(maps) {
  const decoded = new Map();
  const linesOf = (file) => {
    if (!decoded.has(file)) decoded.set(file, decodeMappings(JSON.parse(maps.get(file)).mappings));
    return decoded.get(file);
  };
  const frameText = (frame) => {
    const text = String(frame);
    const file = frame.getFileName();
    if (!file || !maps.has(file)) return text;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const original = originalPosition(linesOf(file), line, column);
    return original ? text.replace(`${file}:${line}:${column}`, `${file}:${original.line}:${original.column}`) : text;
  };
  return function prepareStackTrace(error, frames) {
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = "Error";
    }
    return head + frames.map((frame) => `\n    at ${frameText(frame)}`).join("");
  };
}

module.exports = { decodeMappings, originalPosition, stackFormatter };

/**
 * The stack formatter's source-map reading (lib/stackLines.js): base-64 VLQ segments, fields
 * relative across lines, a generated column that restarts on each line, segments with no
 * original position, and positions that no segment covers. The mappings are written by hand.
 */
import test from "ava";
import { decodeMappings, originalPosition } from "../../lib/stackLines";

type Position = { line: number; column: number } | null;

const CASES: { name: string; mappings: string; line: number; column: number; expected: Position }[] = [
  { name: "the first segment", mappings: "AAAA", line: 1, column: 1, expected: { line: 1, column: 1 } },
  { name: "an empty line between: fields carry over", mappings: "AAAA;;IAEE", line: 3, column: 5, expected: { line: 3, column: 3 } },
  { name: "a column after the line's last segment maps to it", mappings: "AAAA;;IAEE", line: 3, column: 40, expected: { line: 3, column: 3 } },
  { name: "a column before the line's first segment stays", mappings: "AAAA;;IAEE", line: 3, column: 4, expected: null },
  { name: "a two-digit value (16)", mappings: "gBAAgB", line: 1, column: 17, expected: { line: 1, column: 17 } },
  { name: "a negative delta", mappings: "AAAI;AACD", line: 2, column: 1, expected: { line: 2, column: 4 } },
  { name: "the column restarts on a new line", mappings: "IAAA;EACA", line: 2, column: 3, expected: { line: 2, column: 1 } },
  { name: "a segment with no original position stays", mappings: "AAAA,I;AACA", line: 1, column: 6, expected: null },
  { name: "a segment with no original position leaves the next line's fields", mappings: "AAAA,I;AACA", line: 2, column: 1, expected: { line: 2, column: 1 } },
  { name: "a line past the map stays", mappings: "AAAA", line: 7, column: 1, expected: null },
];

for (const c of CASES) {
  test(`stack positions: ${c.name}`, (t) => {
    t.deepEqual(originalPosition(decodeMappings(c.mappings), c.line, c.column), c.expected);
  });
}

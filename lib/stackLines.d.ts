/**
 * Types of lib/stackLines.js for the tests that import it (plain JavaScript: the transpile
 * hook loads it before any TypeScript can load; the hook alone uses its stackFormatter).
 */
export type Segment = [column: number, sourceLine: number | null, sourceColumn: number | null];
export function decodeMappings(mappings: string): Segment[][];
export function originalPosition(lines: Segment[][], line: number, column: number): { line: number; column: number } | null;

/** SQL quoting shared by the rendered scripts. */

/** A quoted SQL identifier: "name", with embedded quotes doubled. */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
/** A quoted SQL string literal: 'text', with embedded quotes doubled. */
export const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** Marks what the stack created (indexes, the extension, its roles), so that it changes or drops only those. */
export const MANAGED_MARKER = "managed-by:hotel-stack";

/** SQL quoting shared by the rendered scripts. */

/** A quoted SQL identifier: "name", with embedded quotes doubled. */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

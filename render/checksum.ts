import { createHash } from "crypto";

/** A short content hash: in pod annotations (a change rolls the pods) and in names of run-once objects. */
export function checksum(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 16);
}

/**
 * Render mode writes Secrets in plain text. Removes the data of every Secret manifest
 * under a directory (its keys stay listed in an annotation, for review), and the pod
 * templates' credentials checksum (derived from the password, and different for every
 * stack), so that the rendered tree can be committed.
 */
import * as fs from "fs";
import { parseAllDocuments, stringify } from "yaml";
import { CREDENTIALS_CHECKSUM } from "../../render/credentials";
import { filesUnder } from "../../lib/filesUnder";

const REDACTED_KEYS = "hotel-reservation/redacted-keys";

function redactSecrets(text: string): string {
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  let changed = false;
  for (const doc of docs) {
    const podAnnotations = doc?.spec?.template?.metadata?.annotations;
    if (podAnnotations?.[CREDENTIALS_CHECKSUM]) {
      podAnnotations[CREDENTIALS_CHECKSUM] = "redacted";
      changed = true;
    }
    if (doc?.kind !== "Secret") continue;
    const keys = new Set<string>();
    for (const field of ["data", "stringData"]) {
      if (doc[field]) {
        Object.keys(doc[field]).forEach((k) => keys.add(k));
        delete doc[field];
        changed = true;
      }
    }
    if (keys.size) {
      doc.metadata = { ...doc.metadata, annotations: { ...(doc.metadata?.annotations ?? {}), [REDACTED_KEYS]: [...keys].sort().join(",") } };
    }
    // The last-applied annotation repeats the data.
    if (doc.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]) {
      delete doc.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"];
      changed = true;
    }
  }
  return changed ? docs.map((d) => stringify(d)).join("---\n") : text;
}

/** Redacts every Secret manifest under a render directory, in place. */
export function redactTree(dir: string): void {
  for (const file of filesUnder(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const text = fs.readFileSync(file, "utf8");
    const redacted = redactSecrets(text);
    if (redacted !== text) fs.writeFileSync(file, redacted);
  }
}

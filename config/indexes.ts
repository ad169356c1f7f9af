/** The indexes a stage may declare: by catalogue name, or spelled out. */
import { Field, list, text } from "./fields";
import { block, knob } from "./knobs";

export interface IndexSpec {
  name: string;
  table: string;
  columns: string[];
}

/** The four indexes of the roadmap, each for one of its slow queries. */
const INDEX_CATALOGUE: Record<string, { table: string; columns: string[] }> = {
  idx_reservations_guest_id: { table: "reservations", columns: ["guest_id"] },
  idx_sessions_created_at: { table: "sessions", columns: ["created_at"] },
  idx_sessions_guest_id: { table: "sessions", columns: ["guest_id"] },
  idx_locks_room_id: { table: "locks", columns: ["room_id"] },
};

export const identifier = text(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)");

const spelledOut = block({ name: knob(identifier), table: knob(identifier), columns: knob(list(identifier, 1)) });

export const indexEntry: Field<IndexSpec> = (v, path, p) => {
  if (typeof v !== "string") return spelledOut.read(v, path, p);
  const known = INDEX_CATALOGUE[v];
  if (!known) {
    p.add(path, v, `allowed values: ${Object.keys(INDEX_CATALOGUE).join(", ")}, or an object {name, table, columns}`);
    return { name: v, table: "", columns: [] };
  }
  return { name: v, ...known };
};

/**
 * What a killed `up` was making on Docker when it died. The engine records a pending
 * create, with the name it chose for the object (inputs.name), before the provider makes
 * it; the state never gets the object's ID. So the object is found by that exact name,
 * and removed only when it carries the stage's label: a same-named object without it is
 * not the stack's. Left on the daemon, a half-made container holds its volume (the next
 * destroy times out on it) and, with a published port, its port (the next up cannot start).
 */
import { spawnSync } from "child_process";
import { STAGE_LABEL } from "../../contract/labels";

/** Docker resource types by the kind the CLI names them; containers first: they hold volumes and networks. */
const KINDS: Record<string, "container" | "volume" | "network"> = {
  "docker:index/container:Container": "container",
  "docker:index/volume:Volume": "volume",
  "docker:index/network:Network": "network",
};

export interface PendingCreate {
  urn: string;
  type: string;
  inputs?: { name?: unknown };
}

export const isDockerCreate = (r: PendingCreate) => r.type in KINDS;

const docker = (host: string | undefined, args: string[]) => spawnSync("docker", args, { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...(host ? { DOCKER_HOST: host } : {}) } });

/** No label can hold a NUL: the answer for an object the daemon does not have. */
const ABSENT = "\0absent";

/** The object's stage label ("" without one), ABSENT when the daemon has no such object, undefined when it cannot tell. */
function stageLabelOf(host: string | undefined, kind: string, name: string): string | undefined {
  const format = kind === "container" ? `{{index .Config.Labels "${STAGE_LABEL}"}}` : `{{index .Labels "${STAGE_LABEL}"}}`;
  const res = docker(host, [kind, "inspect", "--format", format, name]);
  if (res.status === 0) return res.stdout.trim();
  return /no such/i.test(res.stderr ?? "") ? ABSENT : undefined;
}

const ORDER = Object.values(KINDS);

/**
 * Removes what the given Docker pending creates made, by the names the engine recorded.
 * Returns the URNs it could not settle (no recorded name, a foreign label, a failed
 * removal); a create that never reached the daemon needs nothing.
 */
export function removeDockerLeftovers(creates: PendingCreate[], stage: string, host: string | undefined): { removed: string[]; left: string[] } {
  const removed: string[] = [];
  const left: string[] = [];
  const sorted = [...creates].sort((a, b) => ORDER.indexOf(KINDS[a.type]) - ORDER.indexOf(KINDS[b.type]));
  for (const r of sorted) {
    const kind = KINDS[r.type];
    const name = typeof r.inputs?.name === "string" ? r.inputs.name : undefined;
    const label = name === undefined ? undefined : stageLabelOf(host, kind, name);
    // The kill came before the provider reached the daemon: nothing was made.
    if (label === ABSENT) continue;
    if (label !== stage) {
      left.push(r.urn);
      continue;
    }
    const rm = docker(host, kind === "container" ? ["container", "rm", "--force", name!] : [kind, "rm", name!]);
    (rm.status === 0 ? removed : left).push(r.urn);
  }
  return { removed, left };
}

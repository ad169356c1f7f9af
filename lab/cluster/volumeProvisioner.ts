/**
 * The real node's volume provisioner, a daemon of the local cluster:
 *
 *   node --require ./lib/transpileHook.js lab/cluster/volumeProvisioner.ts <server> <ca> <cert> <key> <volumes dir>
 *
 * For each claim of the `hotel-local` class with no volume, it makes a folder under the
 * cluster's volumes folder and a hostPath PersistentVolume bound to that claim; for each
 * of its volumes released by a deleted claim, it deletes the folder and the volume. The
 * folder is world-writable (as rancher's local-path-provisioner makes them): hostPath
 * volumes ignore fsGroup, and PostgreSQL, Redis and Prometheus run as different users.
 * Growth is not provisioned: a resized claim keeps its folder (docs/CLUSTER.md).
 */
import * as fs from "fs";
import * as https from "https";
import * as path from "path";

export const LOCAL_STORAGE_CLASS = "hotel-local";
const PROVISIONER = "hotel.local/host-path";

interface Claim {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; deletionTimestamp?: string };
  spec: { storageClassName?: string; volumeName?: string; accessModes: string[]; resources: { requests: { storage: string } } };
}
interface Volume {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { persistentVolumeReclaimPolicy: string; hostPath?: { path: string } };
  status?: { phase?: string };
}

type Api = (method: string, p: string, body?: object) => Promise<{ status: number; json: any }>;

function apiClient(server: string, ca: string, cert: string, key: string): Api {
  const agent = new https.Agent({ ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key), keepAlive: true });
  return (method, p, body) =>
    new Promise((resolve, reject) => {
      const req = https.request(new URL(p, server), { method, agent, headers: { "content-type": "application/json" }, timeout: 10_000 }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d)).on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
      });
      req.on("error", reject).on("timeout", () => req.destroy(new Error(`${method} ${p} timed out`)));
      req.end(body ? JSON.stringify(body) : undefined);
    });
}

/** The volume for a claim: its own folder, reserved for that claim by claimRef. */
export function volumeFor(claim: Claim, volumesDir: string): object {
  const name = `pvc-${claim.metadata.uid}`;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
    spec: {
      accessModes: claim.spec.accessModes,
      capacity: { storage: claim.spec.resources.requests.storage },
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: LOCAL_STORAGE_CLASS,
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
      hostPath: { path: path.join(volumesDir, `${claim.metadata.namespace}-${claim.metadata.name}-${claim.metadata.uid}`), type: "Directory" },
    },
  };
}

async function provision(api: Api, volumesDir: string): Promise<void> {
  const claims: Claim[] = (await api("GET", "/api/v1/persistentvolumeclaims")).json.items ?? [];
  for (const claim of claims) {
    if (claim.spec.storageClassName !== LOCAL_STORAGE_CLASS || claim.spec.volumeName || claim.metadata.deletionTimestamp) continue;
    const pv = volumeFor(claim, volumesDir) as { spec: { hostPath: { path: string } } };
    fs.mkdirSync(pv.spec.hostPath.path, { recursive: true });
    fs.chmodSync(pv.spec.hostPath.path, 0o777);
    const res = await api("POST", "/api/v1/persistentvolumes", pv);
    if (res.status !== 201 && res.status !== 409) console.error(`creating the volume of ${claim.metadata.namespace}/${claim.metadata.name}: ${res.status} ${JSON.stringify(res.json.message)}`);
    else if (res.status === 201) console.log(`provisioned ${pv.spec.hostPath.path} for ${claim.metadata.namespace}/${claim.metadata.name}`);
  }
  const volumes: Volume[] = (await api("GET", "/api/v1/persistentvolumes")).json.items ?? [];
  for (const v of volumes) {
    if (v.metadata.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER || v.status?.phase !== "Released") continue;
    const folder = v.spec.hostPath?.path;
    if (folder && path.dirname(folder) === volumesDir) fs.rmSync(folder, { recursive: true, force: true });
    await api("DELETE", `/api/v1/persistentvolumes/${v.metadata.name}`);
    console.log(`deleted ${v.metadata.name} and ${folder}`);
  }
}

async function main(): Promise<void> {
  const [server, ca, cert, key, volumesDir] = process.argv.slice(2);
  const api = apiClient(server, ca, cert, key);
  fs.mkdirSync(volumesDir, { recursive: true });
  for (;;) {
    await provision(api, volumesDir).catch((e: Error) => console.error(`provisioner: ${e.message}`));
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (require.main === module) void main();

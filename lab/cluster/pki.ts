/**
 * The local control plane's certificates, made once with openssl and kept with its data:
 * a CA, the API server's serving certificate (loopback and the in-cluster service
 * names), an admin client certificate in system:masters, etcd's certificates, and the
 * service-account key pair. Kept across restarts, so the cluster keeps its identity.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { NODE_NETWORK } from "./network";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  /**
   * etcd's certificate (serving its clients and its peer port on loopback) and the API
   * server's client certificate for it: etcd answers only clients the CA signed.
   */
  etcd: { cert: string; key: string };
  etcdClient: { cert: string; key: string };
  /** The real node's identities: the kubelet (Node authorizer) and kube-proxy (system:node-proxier). */
  clients: Record<"kubelet" | "kube-proxy", { cert: string; key: string }>;
}

const SERVER_NAMES = [
  "DNS:localhost",
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
  "DNS:kubernetes.default.svc.cluster.local",
  "IP:127.0.0.1",
  "IP:10.96.0.1",
  `IP:${NODE_NETWORK.nodeIp}`,
];
const CLIENT_SUBJECTS = { kubelet: `/O=system:nodes/CN=system:node:${NODE_NETWORK.nodeName}`, "kube-proxy": "/CN=system:kube-proxy" } as const;

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A key and a certificate signed by the CA, with the given subject and extensions. */
function signed(dir: string, name: string, subject: string, ext: string): void {
  openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "3650", "-extfile", `${name}.ext`, "-out", `${name}.crt`], dir);
}

export function ensurePki(dir: string): Pki {
  const pki: Pki = {
    dir,
    caCert: path.join(dir, "ca.crt"),
    caKey: path.join(dir, "ca.key"),
    // "-node": the node's address joined the names; an older folder gets a new certificate.
    serverCert: path.join(dir, "apiserver-node.crt"),
    serverKey: path.join(dir, "apiserver-node.key"),
    adminCert: path.join(dir, "admin.crt"),
    adminKey: path.join(dir, "admin.key"),
    saKey: path.join(dir, "sa.key"),
    saPub: path.join(dir, "sa.pub"),
    etcd: { cert: path.join(dir, "etcd.crt"), key: path.join(dir, "etcd.key") },
    etcdClient: { cert: path.join(dir, "apiserver-etcd-client.crt"), key: path.join(dir, "apiserver-etcd-client.key") },
    clients: { kubelet: { cert: path.join(dir, "kubelet.crt"), key: path.join(dir, "kubelet.key") }, "kube-proxy": { cert: path.join(dir, "kube-proxy.crt"), key: path.join(dir, "kube-proxy.key") } },
  };
  if (!fs.existsSync(pki.saPub)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=hotel-local-ca"], dir);
    signed(dir, "admin", "/O=system:masters/CN=hotel-admin", "extendedKeyUsage=clientAuth\n");
    openssl(["genrsa", "-out", "sa.key", "2048"], dir);
    openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  }
  if (!fs.existsSync(pki.serverCert)) signed(dir, "apiserver-node", "/CN=kube-apiserver", `subjectAltName=${SERVER_NAMES.join(",")}\nextendedKeyUsage=serverAuth\n`);
  // A folder from before etcd needed certificates gets them now.
  if (!fs.existsSync(pki.etcd.cert)) signed(dir, "etcd", "/CN=hotel-etcd", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  if (!fs.existsSync(pki.etcdClient.cert)) signed(dir, "apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", "extendedKeyUsage=clientAuth\n");
  for (const [who, subject] of Object.entries(CLIENT_SUBJECTS)) if (!fs.existsSync(path.join(dir, `${who}.crt`))) signed(dir, who, subject, "extendedKeyUsage=clientAuth\n");
  return pki;
}

/** A kubeconfig for the admin user (or another client of the PKI), with the certificates inline (it works from any folder). */
export function kubeconfig(pki: Pki, server: string, name = "hotel-local", client = { cert: pki.adminCert, key: pki.adminKey }): string {
  const b64 = (f: string) => fs.readFileSync(f).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    `current-context: ${name}`,
    "clusters:",
    `- name: ${name}`,
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    "users:",
    `- name: ${name}-admin`,
    "  user:",
    `    client-certificate-data: ${b64(client.cert)}`,
    `    client-key-data: ${b64(client.key)}`,
    "contexts:",
    `- name: ${name}`,
    "  context:",
    `    cluster: ${name}`,
    `    user: ${name}-admin`,
    "",
  ].join("\n");
}

/**
 * The project's local Kubernetes cluster, for trying `up` without a real cluster: etcd,
 * kube-apiserver, kube-controller-manager and kube-scheduler, plus either a real node
 * (lab/cluster/node.ts: containerd, kubelet, kube-proxy, CoreDNS; pods run) or, for the
 * API-level test cluster, kwok (a fake node that marks pods Running/Ready, Job pods
 * Succeeded and binds volumes; it runs no container), built by scripts/cluster-build.sh.
 *
 *   npm run cluster -- start|stop|status|reset
 *
 * The default cluster (with the real node) lives in ~/.cache/hotel-stack/local-cluster with
 * fixed ports and a persistent etcd, so a restart is the same cluster to the Kubernetes
 * provider. Tests start their own in a temp folder on free ports.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stages";
import { buildScriptOutput } from "../../lib/buildScript";
import { filesUnder } from "../../lib/filesUnder";
import { Daemon, flagArgs, logFile, runningPid, startDaemon, stopDaemon } from "../daemons";
import { Pki, ensurePki, kubeconfig } from "./pki";
import { CACHE_ROOT } from "../../contract/project";
import { NODE_NETWORK, setUpHostNetwork } from "./network";
import { MonitoringArgs, monitoringObjects } from "./monitoring";
import { CONFIG_RELOADER_IMAGE, NodePorts, RealNode } from "./node";
import { LOCAL_STORAGE_CLASS } from "./volumeProvisioner";

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  kwok: number;
  /** The Prometheus operator's web port (metrics, health). */
  operator: number;
}

export interface ClusterOptions {
  dir: string;
  ports: ClusterPorts;
  /**
   * A real node (kubelet + containerd, lab/cluster/node.ts) instead of kwok's fake one:
   * pods run. One per machine; its API server listens on the node's address.
   */
  node?: NodePorts;
}

const DEFAULT_CLUSTER: ClusterOptions = {
  dir: path.join(CACHE_ROOT, "local-cluster"),
  ports: { etcdClient: 32379, etcdPeer: 32380, apiserver: 36443, kwok: 30247, operator: 30248 },
  node: { kubelet: 30250, proxyHealthz: 30256, proxyMetrics: 30249 },
};

const KWOK_NODE = "kwok-node-0";
/** kwok's volume stages bind claims of this class (kustomize/stage/volume/fast). */
const STORAGE_CLASS = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "kwok-volume", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "kwok.x-k8s.io/volume",
  reclaimPolicy: "Delete",
  volumeBindingMode: "Immediate",
  allowVolumeExpansion: true,
};
/** The real node's volumes (lab/cluster/volumeProvisioner.ts): a folder each, under the cluster's. */
const LOCAL_CLASS = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: LOCAL_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "hotel.local/host-path",
  reclaimPolicy: "Delete",
  volumeBindingMode: "Immediate",
  allowVolumeExpansion: true,
};
const DAEMONS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "prometheus-operator"] as const;

let buildDir: string | undefined;

/** The built binaries, stages and CRDs (scripts/cluster-build.sh, cached by version). */
function clusterBuild(): string {
  if (buildDir) return buildDir;
  buildDir = buildScriptOutput(path.join(PROJECT_DIR, "scripts", "cluster-build.sh"));
  return buildDir;
}

export class LocalCluster {
  readonly kubeconfigPath: string;
  private readonly bin: string;

  constructor(readonly options: ClusterOptions = DEFAULT_CLUSTER) {
    this.kubeconfigPath = path.join(options.dir, "kubeconfig");
    this.bin = path.join(clusterBuild(), "bin");
  }

  get server(): string {
    return `https://${this.host}:${this.options.ports.apiserver}`;
  }

  /** Loopback for a kwok cluster; the node's address when pods must reach the API (in-cluster clients). */
  private get host(): string {
    return this.options.node ? NODE_NETWORK.nodeIp : "127.0.0.1";
  }

  /** The real node, when this cluster has one. */
  get node(): RealNode | undefined {
    const n = this.options.node;
    return n && new RealNode(this.options.dir, this.bin, ensurePki(path.join(this.options.dir, "pki")), this.server, n);
  }

  private daemons(): Daemon[] {
    const { dir, ports } = this.options;
    const pki = ensurePki(path.join(dir, "pki"));
    const kubeconfig = this.kubeconfigPath;
    const b = (name: string) => path.join(this.bin, name);
    return [
      etcdDaemon(b("etcd"), dir, ports, pki),
      apiserverDaemon(b("kube-apiserver"), pki, ports, this.options.node !== undefined),
      {
        name: "kube-controller-manager",
        bin: b("kube-controller-manager"),
        args: flagArgs({
          "--kubeconfig": kubeconfig,
          "--controllers": "*",
          "--service-account-private-key-file": pki.saKey,
          "--root-ca-file": pki.caCert,
          "--use-service-account-credentials": true,
          "--leader-elect=false": true,
          "--secure-port": "0",
        }),
      },
      { name: "kube-scheduler", bin: b("kube-scheduler"), args: flagArgs({ "--kubeconfig": kubeconfig, "--leader-elect=false": true, "--secure-port": "0" }) },
      {
        name: "kwok",
        bin: b("kwok"),
        args: flagArgs({
          "--kubeconfig": kubeconfig,
          "--config": this.kwokConfig(),
          "--manage-all-nodes=false": true,
          // With the heartbeat-with-lease stage, kwok renews the node's Lease; without it the
          // node lifecycle controller marks the node NotReady after 40 s and every pod unready.
          "--node-lease-duration-seconds": "40",
          "--manage-nodes-with-annotation-selector": "kwok.x-k8s.io/node=fake",
          "--server-address": `127.0.0.1:${ports.kwok}`,
        }),
      },
      {
        // Started on request (startOperator): it reconciles Prometheus and Alertmanager
        // resources into StatefulSets, generated configs and rule files.
        name: "prometheus-operator",
        bin: b("prometheus-operator"),
        args: flagArgs({
          "--apiserver": this.server,
          "--ca-file": pki.caCert,
          "--cert-file": pki.adminCert,
          "--key-file": pki.adminKey,
          "--web.listen-address": `127.0.0.1:${ports.operator}`,
          "--log-level": "info",
          "--prometheus-config-reloader": CONFIG_RELOADER_IMAGE,
        }),
      },
    ];
  }

  /** kwok's stages as one config file: node start-up and heartbeat, pods ready/complete/deleted, volumes bound. */
  private kwokConfig(): string {
    const stages = path.join(clusterBuild(), "stages");
    const files = ["node/fast", "node/heartbeat-with-lease", "pod/fast", "volume/fast"]
      .flatMap((d) => listYaml(path.join(stages, d)))
      .filter((f) => !f.includes("testdata") && !f.endsWith("kustomization.yaml") && !f.endsWith("storage-class.yaml"));
    const file = path.join(this.options.dir, "kwok-stages.yaml");
    fs.writeFileSync(file, files.map((f) => fs.readFileSync(f, "utf8")).join("\n---\n"));
    return file;
  }

  /** The kubectl built with the cluster (a fresh machine has no other). */
  get kubectlPath(): string {
    return path.join(this.bin, "kubectl");
  }

  kubectl(args: string[], input?: string): string {
    return execFileSync(this.kubectlPath, ["--kubeconfig", this.kubeconfigPath, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  }

  private tryKubectl(args: string[]): string | undefined {
    const res = spawnSync(path.join(this.bin, "kubectl"), ["--kubeconfig", this.kubeconfigPath, ...args], { encoding: "utf8" });
    return res.status === 0 ? res.stdout : undefined;
  }

  async start(log: (s: string) => void = () => {}): Promise<void> {
    fs.mkdirSync(this.options.dir, { recursive: true, mode: 0o700 });
    const daemons = this.daemons();
    fs.writeFileSync(this.kubeconfigPath, kubeconfig(ensurePki(path.join(this.options.dir, "pki")), this.server), { mode: 0o600 });
    const started = Date.now();
    // The node's address must exist before the API server binds to it.
    if (this.options.node) setUpHostNetwork();
    for (const d of daemons.slice(0, 2)) startDaemon(this.options.dir, d);
    await this.waitFor("the API server", () => this.tryKubectl(["get", "--raw", "/readyz"]) !== undefined, 60_000);
    log(`API ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // A real node replaces kwok: kwok runs only in clusters whose tests need a node that runs nothing.
    for (const d of daemons.slice(2, this.options.node ? 4 : 5)) startDaemon(this.options.dir, d);
    const node = this.node;
    if (node) await node.start();
    else this.ensureKwokNode();
    const nodeName = node ? NODE_NETWORK.nodeName : KWOK_NODE;
    await this.waitFor("the node", () => /True/.test(this.tryKubectl(["get", "node", nodeName, "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"]) ?? ""), 90_000);
    await this.waitFor("the default ServiceAccount", () => this.tryKubectl(["get", "serviceaccount", "default", "-n", "default"]) !== undefined, 60_000);
    this.installCrds();
    log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${this.server} (kubeconfig ${this.kubeconfigPath})`);
  }

  /** The fake node kwok manages (annotated), with room for the stack's pods. */
  private ensureKwokNode(): void {
    if (this.tryKubectl(["get", "node", KWOK_NODE])) return;
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: KWOK_NODE, annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" }, labels: { type: "kwok", "kubernetes.io/hostname": KWOK_NODE } },
      status: { allocatable: { cpu: "32", memory: "256Gi", pods: "110" }, capacity: { cpu: "32", memory: "256Gi", pods: "110" } },
    };
    this.kubectl(["apply", "-f", "-"], JSON.stringify(node));
  }

  /**
   * The Prometheus operator's CRDs (server-side: too big for client-side apply) and the
   * default StorageClass whose claims kwok binds; it allows expansion, as the volume
   * growth tests need.
   */
  private installCrds(): void {
    this.kubectl(["apply", "--server-side", "--force-conflicts", "-f", path.join(clusterBuild(), "crds")]);
    this.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], JSON.stringify(this.options.node ? LOCAL_CLASS : STORAGE_CLASS));
  }

  private async waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (ready()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const logs = DAEMONS.map((n) => `--- ${n}\n${tail(logFile(this.options.dir, n))}`).join("\n");
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}\n${logs}`);
  }

  /** Starts the Prometheus operator against this cluster (after start). */
  startOperator(): void {
    startDaemon(this.options.dir, this.daemons()[5]);
  }

  /**
   * The operator and a Prometheus and Alertmanager it runs as pods on the real node
   * (lab/cluster/monitoring.ts); idempotent (server-side apply).
   */
  startMonitoring(args: MonitoringArgs): void {
    this.startOperator();
    this.kubectl(
      ["apply", "--server-side", "--force-conflicts", "-f", "-"],
      monitoringObjects(args)
        .map((o) => JSON.stringify(o))
        .join("\n"),
    );
  }

  async stop(): Promise<string[]> {
    const stopped: string[] = (await this.node?.stop()) ?? [];
    for (const d of [...this.daemons()].reverse()) if (await stopDaemon(this.options.dir, d)) stopped.push(d.name);
    return stopped;
  }

  status(): Record<string, number | undefined> {
    return Object.fromEntries(this.daemons().map((d) => [d.name, runningPid(this.options.dir, d)]));
  }

  running(): boolean {
    const core = this.daemons().slice(0, this.options.node ? 4 : 5);
    return core.every((d) => runningPid(this.options.dir, d) !== undefined) && this.tryKubectl(["get", "--raw", "/readyz"]) !== undefined;
  }

  /** Stops the cluster and deletes its data (etcd, certificates, kubeconfig). */
  async reset(): Promise<void> {
    await this.stop();
    fs.rmSync(this.options.dir, { recursive: true, force: true });
  }
}

const listYaml = (dir: string) => filesUnder(dir).filter((f) => /\.ya?ml$/.test(f));

function tail(file: string, lines = 15): string {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
}

/** How to look at the running cluster, printed after a start. */
export function howToLook(c: LocalCluster): string {
  const kubectl = path.join(clusterBuild(), "bin", "kubectl");
  return [
    `local cluster: ${c.server} (etcd and certificates in ${c.options.dir})`,
    `look at it:    export KUBECONFIG=${c.kubeconfigPath}`,
    `               ${kubectl} get pods,statefulsets,jobs,pvc -A`,
    `stop it:       npm run cluster -- stop   (reset: npm run cluster -- reset)`,
  ].join("\n");
}

/**
 * etcd on loopback, without fsync (a test cluster's data is disposable). TLS with client
 * certificates on both ports: any local process could otherwise read every Secret of the
 * cluster from it (the stage's database password among them).
 */
function etcdDaemon(bin: string, dir: string, ports: ClusterOptions["ports"], pki: Pki): Daemon {
  const args = flagArgs({
    "--data-dir": path.join(dir, "etcd"),
    "--listen-client-urls": `https://127.0.0.1:${ports.etcdClient}`,
    "--advertise-client-urls": `https://127.0.0.1:${ports.etcdClient}`,
    "--listen-peer-urls": `https://127.0.0.1:${ports.etcdPeer}`,
    "--initial-advertise-peer-urls": `https://127.0.0.1:${ports.etcdPeer}`,
    "--initial-cluster": `default=https://127.0.0.1:${ports.etcdPeer}`,
    "--cert-file": pki.etcd.cert,
    "--key-file": pki.etcd.key,
    "--trusted-ca-file": pki.caCert,
    "--client-cert-auth": true,
    "--peer-cert-file": pki.etcd.cert,
    "--peer-key-file": pki.etcd.key,
    "--peer-trusted-ca-file": pki.caCert,
    "--peer-client-cert-auth": true,
    "--listen-metrics-urls": "",
    "--unsafe-no-fsync": true,
  });
  return { name: "etcd", bin, args };
}

/**
 * kube-apiserver with the cluster's own PKI: on loopback, or with a real node on the
 * node's address (pods reach it as kubernetes.default, whose endpoint it maintains),
 * with the Node authorizer and a client certificate for the kubelet's API (logs, exec,
 * port-forward).
 */
function apiserverDaemon(bin: string, pki: Pki, ports: ClusterOptions["ports"], withNode: boolean): Daemon {
  const host = withNode ? NODE_NETWORK.nodeIp : "127.0.0.1";
  const nodeFlags: Record<string, string> = withNode
    ? { "--kubelet-client-certificate": pki.adminCert, "--kubelet-client-key": pki.adminKey, "--kubelet-preferred-address-types": "InternalIP", "--authorization-mode": "Node,RBAC" }
    : { "--endpoint-reconciler-type": "none", "--authorization-mode": "RBAC" };
  const args = flagArgs({
    "--etcd-servers": `https://127.0.0.1:${ports.etcdClient}`,
    "--etcd-cafile": pki.caCert,
    "--etcd-certfile": pki.etcdClient.cert,
    "--etcd-keyfile": pki.etcdClient.key,
    "--bind-address": host,
    "--advertise-address": host,
    "--secure-port": String(ports.apiserver),
    ...nodeFlags,
    "--client-ca-file": pki.caCert,
    "--tls-cert-file": pki.serverCert,
    "--tls-private-key-file": pki.serverKey,
    "--service-account-key-file": pki.saPub,
    "--service-account-signing-key-file": pki.saKey,
    "--service-account-issuer": "https://kubernetes.default.svc",
    "--service-cluster-ip-range": NODE_NETWORK.serviceCidr,
    "--allow-privileged": true,
  });
  return { name: "kube-apiserver", bin, args };
}

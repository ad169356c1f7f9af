/**
 * The local cluster's real node: containerd (Debian's, CRI), the kubelet, kube-proxy
 * (iptables), CoreDNS and the volume provisioner, each a daemon under the cluster's
 * folder, on the node network of network.ts. A stop ends the pods' processes, the
 * daemons, the mounts and the host changes this node made, and nothing else.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stages";
import { Daemon, flagArgs, startDaemon, stopDaemon, runningPid } from "../daemons";
import { BinaryImage, writeBinaryImage } from "./ociImage";
import { NODE_NETWORK as N, keepPodsOnMachine, kubeProxySynced, removeKubeChains, setUpHostNetwork, tearDownHostNetwork } from "./network";
import { run } from "../netfilter";
import { NodePaths, PAUSE_IMAGE, cniNetwork, registryHosts, containerdConfig, corefile, kubeProxyConfig, kubeletConfig, nodePaths } from "./nodeConfig";
import { Pki, kubeconfig } from "./pki";
import { TS_ENTRY_ARGS } from "../../lib/tsEntry";

export interface NodePorts {
  kubelet: number;
  proxyHealthz: number;
  proxyMetrics: number;
}

/** The operator's config reloader, a container of every Prometheus and Alertmanager pod. */
export const CONFIG_RELOADER_IMAGE = "docker.io/hotel-local/prometheus-config-reloader:v0.85.0";
/** Prometheus for the operator's pods, built with Kubernetes discovery (scripts/cluster-build.sh). */
export const PROMETHEUS_IMAGE = { name: "docker.io/hotel-local/prometheus-k8s:v3.16.0", version: "v3.16.0" } as const;

export class RealNode {
  readonly paths: NodePaths;

  constructor(
    clusterDir: string,
    private readonly bin: string,
    private readonly pki: Pki,
    private readonly server: string,
    private readonly ports: NodePorts,
  ) {
    this.paths = nodePaths(clusterDir);
  }

  /**
   * Writes a configuration file only when its content changes: kube-proxy watches its
   * file and exits on any write ("content of the proxy server's configuration file was
   * updated"), and every command that looks at the node renders the files again.
   */
  private file(name: string, content: string): string {
    const f = path.join(this.paths.dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    if (!fs.existsSync(f) || fs.readFileSync(f, "utf8") !== content) fs.writeFileSync(f, content, { mode: 0o600 });
    return f;
  }

  /** Writes every configuration file; returns the daemons in start order. */
  daemons(): Daemon[] {
    const p = this.paths;
    const b = (name: string) => path.join(this.bin, name);
    const kc = (who: string) => this.file(`${who}.kubeconfig`, kubeconfig(this.pki, this.server, "hotel-local", who === "admin" ? undefined : this.pki.clients[who as "kubelet" | "kube-proxy"]));
    const kubeletKc = kc("kubelet");
    const proxyKc = kc("kube-proxy");
    const adminKc = kc("admin");
    this.file("resolv.conf", `nameserver ${N.nodeIp}\n`);
    this.file(path.join("cni", "net.d", "10-hotel-node.conflist"), JSON.stringify(cniNetwork(p), null, 2));
    for (const [host, toml] of Object.entries(registryHosts())) this.file(path.join("registry", host, "hosts.toml"), toml);
    return [
      { name: "containerd", bin: "/usr/bin/containerd", args: ["--config", this.file("containerd.toml", containerdConfig(p))] },
      {
        name: "kubelet",
        bin: b("kubelet"),
        args: flagArgs({
          "--config": this.file("kubelet.json", JSON.stringify(kubeletConfig(p, this.pki.caCert, this.ports.kubelet))),
          "--kubeconfig": kubeletKc,
          "--root-dir": p.kubeletDir,
          "--cert-dir": path.join(p.dir, "kubelet-pki"),
          "--hostname-override": N.nodeName,
          "--node-ip": N.nodeIp,
        }),
      },
      {
        name: "kube-proxy",
        bin: b("kube-proxy"),
        args: flagArgs({ "--config": this.file("kube-proxy.json", JSON.stringify(kubeProxyConfig(proxyKc, { healthz: this.ports.proxyHealthz, metrics: this.ports.proxyMetrics }))) }),
      },
      { name: "coredns", bin: b("coredns"), args: ["-conf", this.file("Corefile", corefile(adminKc)), "-dns.port", "53"] },
      {
        name: "volume-provisioner",
        bin: process.execPath,
        args: [...TS_ENTRY_ARGS, path.join(PROJECT_DIR, "lab", "cluster", "volumeProvisioner.ts"), this.server, this.pki.caCert, this.pki.adminCert, this.pki.adminKey, p.volumesDir],
      },
    ];
  }

  /** Daemon name -> its PID, or undefined when it does not run. */
  status(): Record<string, number | undefined> {
    return Object.fromEntries(this.daemons().map((d) => [d.name, runningPid(this.paths.dir, d)]));
  }

  ctr(args: string[], input?: Buffer): string {
    return execFileSync("ctr", ["--address", this.paths.containerdSocket, "--namespace", "k8s.io", ...args], { encoding: "utf8", input, maxBuffer: 1 << 30 });
  }

  /** The image names containerd's k8s.io namespace holds. */
  images(): Set<string> {
    return new Set(this.ctr(["images", "ls", "-q"]).split("\n").filter(Boolean));
  }

  /** Image name -> manifest digest, of what containerd's k8s.io namespace holds. */
  private imageDigests(): Map<string, string> {
    const rows = this.ctr(["images", "ls"]).split("\n").slice(1).filter(Boolean);
    return new Map(rows.map((r) => r.trim().split(/\s+/)).map((c) => [c[0], c[2]]));
  }

  /**
   * Imports the node's own images (pause, config reloader, Prometheus) unless containerd
   * holds each one with the same digest (a rebuilt binary is a new digest, same name).
   */
  importOwnImages(): void {
    const have = this.imageDigests();
    const own: BinaryImage[] = [
      { name: PAUSE_IMAGE, binary: path.join(this.bin, "pause"), user: "65535" },
      { name: CONFIG_RELOADER_IMAGE, binary: path.join(this.bin, "prometheus-config-reloader"), user: "65534" },
      { name: PROMETHEUS_IMAGE.name, binary: path.join(this.bin, "prometheus"), user: "65534" },
    ];
    for (const image of own) {
      const tar = path.join(this.paths.dir, "image.tar");
      try {
        if (writeBinaryImage(image, tar) !== have.get(image.name)) this.ctr(["images", "import", tar]);
      } finally {
        fs.rmSync(tar, { force: true });
      }
    }
  }

  /** Loads images from a Docker daemon (`docker save`) unless containerd has them. */
  importFromDocker(dockerHost: string, names: string[]): string[] {
    const have = this.images();
    const missing = names.filter((n) => !have.has(qualifiedImage(n)));
    if (!missing.length) return [];
    const tar = execFileSync("docker", ["--host", dockerHost, "save", ...missing], { maxBuffer: 4 << 30 });
    this.ctr(["images", "import", "-"], tar);
    return missing;
  }

  async start(): Promise<void> {
    // One node per machine: its bridge, address and netfilter chains are the host's.
    const other = spawnSync("pgrep", ["-x", "kubelet"], { encoding: "utf8" }).stdout.trim();
    if (other) throw new Error(`a real node already runs on this machine (kubelet pid ${other.split("\n").join(", ")}): stop it first (npm run cluster -- stop, or the run that started it)`);
    setUpHostNetwork();
    const daemons = this.daemons();
    startDaemon(this.paths.dir, daemons[0]);
    await waitFor("containerd", () => spawnSync("ctr", ["--address", this.paths.containerdSocket, "version"]).status === 0, 30_000);
    this.importOwnImages();
    for (const d of daemons.slice(1)) startDaemon(this.paths.dir, d);
    await waitFor("kube-proxy's first sync", kubeProxySynced, 60_000);
    keepPodsOnMachine();
  }

  /** Ends the pods, the daemons, the mounts and the host changes; returns what it stopped. */
  async stop(): Promise<string[]> {
    const daemons = this.daemons();
    const stopped: string[] = [];
    for (const d of daemons.filter((d) => d.name !== "containerd").reverse()) if (await stopDaemon(this.paths.dir, d)) stopped.push(d.name);
    const netns = this.killTasks();
    if (await stopDaemon(this.paths.dir, daemons[0])) stopped.push("containerd");
    killShims(this.paths.containerdSocket);
    unmountUnder(this.paths.dir);
    for (const ns of netns) run("umount", [ns]).status === 0 && fs.rmSync(ns, { force: true });
    run(path.join(this.bin, "kube-proxy"), ["--cleanup"]);
    const chains = removeKubeChains();
    removeCgroups();
    const host = tearDownHostNetwork();
    return [...stopped, ...host, ...(chains ? [`${chains} KUBE-* chains`] : [])];
  }

  /** Kills every container task (the pods' processes) and returns their network namespaces. */
  private killTasks(): string[] {
    if (spawnSync("ctr", ["--address", this.paths.containerdSocket, "version"]).status !== 0) return [];
    const netns = new Set<string>();
    for (const id of this.ctr(["containers", "ls", "-q"]).split("\n").filter(Boolean)) {
      const info = JSON.parse(this.ctr(["containers", "info", id]));
      for (const ns of info?.Spec?.linux?.namespaces ?? []) if (ns.type === "network" && ns.path) netns.add(ns.path);
      spawnSync("ctr", ["--address", this.paths.containerdSocket, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id]);
      spawnSync("ctr", ["--address", this.paths.containerdSocket, "-n", "k8s.io", "tasks", "delete", "-f", id]);
    }
    return [...netns];
  }
}

/** An image name as containerd stores it: docker.io/library/redis:7, docker.io/hotel-local/pause:1 */
export const qualifiedImage = (name: string) => (name.split("/")[0].includes(".") ? name : `docker.io/${name.includes("/") ? name : `library/${name}`}`);

async function waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) if (ready()) return;
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** containerd's shims outlive it by design; ours are the ones started with our socket. */
function killShims(socket: string): void {
  for (const pid of fs.readdirSync("/proc").filter((f) => /^\d+$/.test(f))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (cmd[0].includes("containerd-shim") && cmd.includes(socket)) process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** Unmounts everything mounted under `dir` (the kubelet's volumes, containerd's rootfs), deepest first. */
function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts.sort((a, b) => b.length - a.length)) run("umount", ["-l", m]);
}

/** The kubelet's cgroups (cgroupfs driver, v1): kubepods in every hierarchy, deepest first. */
function removeCgroups(): void {
  const root = "/sys/fs/cgroup";
  if (!fs.existsSync(root)) return;
  for (const hierarchy of fs.readdirSync(root)) {
    const top = path.join(root, hierarchy, "kubepods");
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(top);
    for (const d of dirs.reverse()) spawnSync("rmdir", [d]);
  }
}

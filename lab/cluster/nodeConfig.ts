/**
 * The real node's configuration files, rendered purely from the cluster folder and the
 * node network (lab/cluster/network.ts): containerd's (CRI on, its own root, state,
 * socket and CNI folder), the bridge CNI network, the kubelet's and kube-proxy's
 * configurations and CoreDNS's Corefile. Pitfalls of this host are handled here and
 * recorded in docs/CLUSTER.md.
 */
import * as path from "path";
import { NODE_NETWORK as N } from "./network";

export interface NodePaths {
  dir: string;
  containerdSocket: string;
  cniConfDir: string;
  kubeletDir: string;
  volumesDir: string;
}

export function nodePaths(clusterDir: string): NodePaths {
  const dir = path.join(clusterDir, "node");
  return {
    dir,
    containerdSocket: path.join(dir, "containerd", "containerd.sock"),
    cniConfDir: path.join(dir, "cni", "net.d"),
    kubeletDir: path.join(dir, "kubelet"),
    volumesDir: path.join(dir, "volumes"),
  };
}

/** The pod sandbox image: the project's own pause program (no registry is reachable). */
export const PAUSE_IMAGE = "docker.io/hotel-local/pause:1";

export function containerdConfig(p: NodePaths): string {
  const c = path.join(p.dir, "containerd");
  return `version = 2
root = "${c}/root"
state = "${c}/state"
[grpc]
  address = "${p.containerdSocket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj: every sandbox would fail.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${p.cniConfDir}"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  # Registry hosts (registryHosts): every pull goes to a closed loopback port.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${path.join(p.dir, "registry")}"
`;
}

/**
 * No registry is reachable, and a pull must not even look one up: the registries the
 * stage's images name (and `_default`, for any other where containerd supports it) point
 * at a closed port on loopback, so an image the node lacks fails at once
 * (ErrImagePull, "connection refused") instead of sending a DNS query off the machine.
 * Folder name under the registry config path -> hosts.toml.
 */
export function registryHosts(): Record<string, string> {
  const closed = 'server = "http://127.0.0.1:1"\n[host."http://127.0.0.1:1"]\n  capabilities = ["pull", "resolve"]\n';
  return Object.fromEntries(["_default", "docker.io", "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io"].map((h) => [h, closed]));
}

/** The pod network: the cluster's bridge, no masquerade, no default route (network.ts). */
export function cniNetwork(p: NodePaths): object {
  return {
    cniVersion: "0.4.0",
    name: "hotel-node",
    plugins: [
      {
        type: "bridge",
        bridge: N.bridge,
        isGateway: true,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: N.podCidr, gateway: N.podGateway }]],
          routes: [{ dst: N.serviceCidr }, { dst: `${N.nodeIp}/32` }],
          dataDir: path.join(p.dir, "cni", "ipam"),
        },
      },
    ],
  };
}

export function kubeletConfig(p: NodePaths, caCert: string, port: number): object {
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    address: N.nodeIp,
    port,
    readOnlyPort: 0,
    healthzPort: 0,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: caCert } },
    authorization: { mode: "Webhook" },
    // This host: cgroup v1 without systemd, swap allowed.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    clusterDNS: [N.nodeIp],
    clusterDomain: N.clusterDomain,
    resolvConf: path.join(p.dir, "resolv.conf"),
    podLogsDirectory: path.join(p.dir, "pod-logs"),
    // A test machine's disk is shared: evict only when it is really full.
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
    imageGCHighThresholdPercent: 100,
    serializeImagePulls: false,
  };
}

export function kubeProxyConfig(kubeconfig: string, ports: { healthz: number; metrics: number }): object {
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig },
    mode: "iptables",
    hostnameOverride: N.nodeName,
    clusterCIDR: N.podCidr,
    bindAddress: N.nodeIp,
    healthzBindAddress: `127.0.0.1:${ports.healthz}`,
    metricsBindAddress: `127.0.0.1:${ports.metrics}`,
    nodePortAddresses: [`${N.nodeIp}/32`],
    // Leave the host's conntrack table size alone.
    conntrack: { maxPerCore: 0, min: 0 },
    iptables: { masqueradeAll: false, localhostNodePorts: false },
  };
}

/** Cluster DNS on the node's address: the cluster zone only, no upstream resolver. */
export function corefile(kubeconfig: string): string {
  return `${N.clusterDomain}:53 in-addr.arpa:53 {
    bind ${N.nodeIp}
    errors
    kubernetes ${N.clusterDomain} in-addr.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        ttl 5
    }
}
`;
}

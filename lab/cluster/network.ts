/**
 * The real node's network on this machine, kept entirely on it (docs/CLUSTER.md):
 *
 * - the node's address is an extra /32 on `lo` (a node IP may not be loopback, and
 *   this kernel has no dummy links); the API server, the kubelet and cluster DNS listen there;
 * - pods live on a bridge of the cluster's own, with no masquerade (the bridge CNI
 *   plugin's ipMasq is off) and no default route: a pod's routing table knows the pod
 *   range, the service range and the node's address, nothing else, so a packet to any
 *   other address fails in the pod ("network unreachable") before it is sent;
 * - the service range is routed to that bridge, never to the machine's default route;
 * - one filter chain, jumped to first from FORWARD before any pod starts, accepts
 *   bridge-to-bridge traffic (Docker's FORWARD policy is DROP) and drops, counting,
 *   anything from the pod range that would be forwarded elsewhere.
 *
 * Only one real node runs per machine: kube-proxy owns the host's KUBE-* chains.
 */
import * as fs from "fs";
import { dropCount, ensureFirstJump, must, removeChain, ruleWords, run } from "../netfilter";

export const NODE_NETWORK = {
  nodeName: "hotel-node-0",
  nodeIp: "10.249.0.1",
  podCidr: "10.244.0.0/24",
  podGateway: "10.244.0.1",
  serviceCidr: "10.96.0.0/16",
  bridge: "hotel-cni0",
  clusterDomain: "cluster.local",
  /** The FORWARD chain that keeps pod traffic on the machine. */
  egressChain: "HOTEL-NODE-EGRESS",
} as const;

const N = NODE_NETWORK;

const hasAddress = (dev: string, cidr: string) => run("ip", ["-o", "addr", "show", "dev", dev]).stdout.includes(` ${cidr} `);
const linkExists = (dev: string) => run("ip", ["link", "show", "dev", dev]).status === 0;
const routeExists = (cidr: string) => run("ip", ["route", "show", cidr]).stdout.trim() !== "";

/** The rules of the egress chain, in order; the last one is the counting drop. */
export const EGRESS_RULES: string[][] = [
  ["-i", N.bridge, "-o", N.bridge, "-j", "ACCEPT"],
  ["-s", N.podCidr, "-j", "DROP"],
];

/** Adds the node's address, bridge, route, sysctls and egress chain (idempotent). */
export function setUpHostNetwork(): void {
  const bridgeNf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
  if (!fs.existsSync(bridgeNf)) run("modprobe", ["br_netfilter"]);
  if (!fs.existsSync(bridgeNf)) throw new Error(`${bridgeNf} is missing: the kernel's br_netfilter is not loaded (modprobe br_netfilter, or start Docker, which loads it)`);
  if (!hasAddress("lo", `${N.nodeIp}/32`)) must("ip", ["addr", "add", `${N.nodeIp}/32`, "dev", "lo"]);
  if (!linkExists(N.bridge)) must("ip", ["link", "add", N.bridge, "type", "bridge"]);
  if (!hasAddress(N.bridge, `${N.podGateway}/24`)) must("ip", ["addr", "add", `${N.podGateway}/24`, "dev", N.bridge]);
  must("ip", ["link", "set", N.bridge, "up"]);
  if (!routeExists(N.serviceCidr)) must("ip", ["route", "add", N.serviceCidr, "dev", N.bridge]);
  // Bridged pod-to-service traffic must pass iptables for kube-proxy's DNAT (br_netfilter,
  // checked above). Forwarding between the bridge's ports.
  fs.writeFileSync(bridgeNf, "1");
  fs.writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
  keepPodsOnMachine();
}

/**
 * Makes the egress chain the first rule of FORWARD again. kube-proxy prepends its own
 * jumps (KUBE-PROXY-FIREWALL, KUBE-FORWARD, which accepts established and marked
 * traffic) on its first sync, after ours, and never moves them again: called once it has.
 */
export const keepPodsOnMachine = () => ensureFirstJump(N.egressChain, "FORWARD", EGRESS_RULES);

/** Whether kube-proxy's first sync has put its jumps into FORWARD. */
export const kubeProxySynced = () => run("iptables", ["-w", "-S", "FORWARD"]).stdout.includes("-j KUBE-FORWARD");

/** The packets the egress chain's drop rule has counted (0 when nothing tried to leave). */
export const egressDrops = () => dropCount(N.egressChain);

/** Removes what setUpHostNetwork and the pods added: veths on the bridge, the bridge, the route, the chain, the address. */
export function tearDownHostNetwork(): string[] {
  const removed: string[] = [];
  if (linkExists(N.bridge)) {
    for (const veth of run("ip", ["-o", "link", "show", "master", N.bridge]).stdout.matchAll(/^\d+: ([^@:]+)/gm)) run("ip", ["link", "del", veth[1]]);
    run("ip", ["link", "del", N.bridge]);
    removed.push(`bridge ${N.bridge}`);
  }
  if (removeChain(N.egressChain, "FORWARD")) removed.push(`iptables chain ${N.egressChain}`);
  if (hasAddress("lo", `${N.nodeIp}/32`)) {
    run("ip", ["addr", "del", `${N.nodeIp}/32`, "dev", "lo"]);
    removed.push(`address ${N.nodeIp}`);
  }
  return removed;
}

/**
 * The kubelet's and kube-proxy's netfilter chains (KUBE-*) in every table of iptables
 * and ip6tables, after `kube-proxy --cleanup` has removed its own: the kubelet's
 * KUBE-FIREWALL and canary chains are left behind otherwise.
 */
export function removeKubeChains(): number {
  let removed = 0;
  for (const tool of ["iptables", "ip6tables"]) {
    for (const table of ["filter", "nat", "mangle"]) {
      const rules = run(tool, ["-w", "-t", table, "-S"]).stdout.split("\n");
      const chains = rules.filter((l) => /^-N KUBE-/.test(l)).map((l) => l.slice(3));
      if (!chains.length) continue;
      for (const jump of rules.filter((l) => /^-A \S+ .*-j KUBE-/.test(l) && !/^-A KUBE-/.test(l))) run(tool, ["-w", "-t", table, "-D", ...ruleWords(jump.slice(3))]);
      for (const c of chains) run(tool, ["-w", "-t", table, "-F", c]);
      for (const c of chains) if (run(tool, ["-w", "-t", table, "-X", c]).status === 0) removed++;
    }
  }
  return removed;
}

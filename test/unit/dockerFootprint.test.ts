/**
 * What a stop of the project's dockerd takes off the host (lab/docker/hostFootprint.ts):
 * the rules, chains, policy and bridges Docker added since the record made before it
 * started, and nothing else. The "now" tables are `iptables -S` as Docker 20.10 left
 * them on this machine with one stack network, plus the real node's chains.
 */
import test from "ava";
import { HostNetwork, footprintRemoval } from "../../lab/docker/hostFootprint";

const CLEAN: HostNetwork = {
  links: ["lo", "eth0"],
  rules: {
    filter: ["-P INPUT ACCEPT", "-P FORWARD ACCEPT", "-P OUTPUT ACCEPT"],
    nat: ["-P PREROUTING ACCEPT", "-P INPUT ACCEPT", "-P OUTPUT ACCEPT", "-P POSTROUTING ACCEPT"],
  },
};

const DOCKER_FILTER = [
  "-N DOCKER",
  "-N DOCKER-ISOLATION-STAGE-1",
  "-N DOCKER-ISOLATION-STAGE-2",
  "-N DOCKER-USER",
  "-A FORWARD -j DOCKER-USER",
  "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
  "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  "-A FORWARD -o docker0 -j DOCKER",
  "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT",
  "-A FORWARD -i docker0 -o docker0 -j ACCEPT",
  "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
  "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
  "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
  "-A DOCKER-ISOLATION-STAGE-2 -j RETURN",
  "-A DOCKER-USER -j RETURN",
];
const NETWORK_FILTER = [
  "-A FORWARD -o br-043ffbcb639d -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
  "-A FORWARD -o br-043ffbcb639d -j DOCKER",
  "-A FORWARD -i br-043ffbcb639d ! -o br-043ffbcb639d -j ACCEPT",
  "-A FORWARD -i br-043ffbcb639d -o br-043ffbcb639d -j ACCEPT",
];
const DOCKER_NAT = ["-N DOCKER", "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER", "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER"];
const NETWORK_NAT = ["-A POSTROUTING -s 172.18.0.0/16 ! -o br-043ffbcb639d -j MASQUERADE", "-A DOCKER -i br-043ffbcb639d -j RETURN"];
/** The real node's, started meanwhile: not Docker's, kept. */
const NODE_FILTER = ["-N HOTEL-NODE-EGRESS", "-A FORWARD -j HOTEL-NODE-EGRESS", "-A HOTEL-NODE-EGRESS -i hotel-cni0 -o hotel-cni0 -j ACCEPT"];

const ipt = (table: string, ...args: string[]) => ["iptables", "-w", "-t", table, ...args];

const cases: { name: string; before: HostNetwork; now: HostNetwork; expected: string[][] }[] = [
  {
    name: "a clean host: every Docker rule, chain and bridge goes, the FORWARD policy comes back, the node's chain stays",
    before: CLEAN,
    now: {
      links: ["lo", "eth0", "docker0", "br-043ffbcb639d", "hotel-cni0"],
      rules: {
        filter: ["-P INPUT ACCEPT", "-P FORWARD DROP", "-P OUTPUT ACCEPT", ...NODE_FILTER.slice(0, 1), ...DOCKER_FILTER, ...NETWORK_FILTER, ...NODE_FILTER.slice(1)],
        nat: [...CLEAN.rules.nat, ...DOCKER_NAT, ...NETWORK_NAT],
      },
    },
    expected: [
      ipt("filter", "-D", "FORWARD", "-j", "DOCKER-USER"),
      ipt("filter", "-D", "FORWARD", "-j", "DOCKER-ISOLATION-STAGE-1"),
      ipt("filter", "-D", "FORWARD", "-o", "docker0", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-o", "docker0", "-j", "DOCKER"),
      ipt("filter", "-D", "FORWARD", "-i", "docker0", "!", "-o", "docker0", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-i", "docker0", "-o", "docker0", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-o", "br-043ffbcb639d", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-o", "br-043ffbcb639d", "-j", "DOCKER"),
      ipt("filter", "-D", "FORWARD", "-i", "br-043ffbcb639d", "!", "-o", "br-043ffbcb639d", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-i", "br-043ffbcb639d", "-o", "br-043ffbcb639d", "-j", "ACCEPT"),
      ipt("filter", "-F", "DOCKER"),
      ipt("filter", "-F", "DOCKER-ISOLATION-STAGE-1"),
      ipt("filter", "-F", "DOCKER-ISOLATION-STAGE-2"),
      ipt("filter", "-F", "DOCKER-USER"),
      ipt("filter", "-X", "DOCKER"),
      ipt("filter", "-X", "DOCKER-ISOLATION-STAGE-1"),
      ipt("filter", "-X", "DOCKER-ISOLATION-STAGE-2"),
      ipt("filter", "-X", "DOCKER-USER"),
      ipt("nat", "-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"),
      ipt("nat", "-D", "OUTPUT", "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"),
      ipt("nat", "-D", "POSTROUTING", "-s", "172.18.0.0/16", "!", "-o", "br-043ffbcb639d", "-j", "MASQUERADE"),
      ipt("nat", "-F", "DOCKER"),
      ipt("nat", "-X", "DOCKER"),
      ["iptables", "-w", "-P", "FORWARD", "ACCEPT"],
      ["ip", "link", "del", "docker0"],
      ["ip", "link", "del", "br-043ffbcb639d"],
    ],
  },
  {
    name: "a host where another Docker had been: its bridge, chains and rules stay; only the new network's go",
    before: {
      links: ["lo", "eth0", "docker0"],
      rules: { filter: ["-P INPUT ACCEPT", "-P FORWARD DROP", "-P OUTPUT ACCEPT", ...DOCKER_FILTER], nat: [...CLEAN.rules.nat, ...DOCKER_NAT] },
    },
    now: {
      links: ["lo", "eth0", "docker0", "br-043ffbcb639d"],
      rules: { filter: ["-P INPUT ACCEPT", "-P FORWARD DROP", "-P OUTPUT ACCEPT", ...DOCKER_FILTER, ...NETWORK_FILTER], nat: [...CLEAN.rules.nat, ...DOCKER_NAT, ...NETWORK_NAT] },
    },
    expected: [
      ipt("filter", "-D", "FORWARD", "-o", "br-043ffbcb639d", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-o", "br-043ffbcb639d", "-j", "DOCKER"),
      ipt("filter", "-D", "FORWARD", "-i", "br-043ffbcb639d", "!", "-o", "br-043ffbcb639d", "-j", "ACCEPT"),
      ipt("filter", "-D", "FORWARD", "-i", "br-043ffbcb639d", "-o", "br-043ffbcb639d", "-j", "ACCEPT"),
      ipt("nat", "-D", "POSTROUTING", "-s", "172.18.0.0/16", "!", "-o", "br-043ffbcb639d", "-j", "MASQUERADE"),
      ipt("nat", "-D", "DOCKER", "-i", "br-043ffbcb639d", "-j", "RETURN"),
      ["ip", "link", "del", "br-043ffbcb639d"],
    ],
  },
  {
    name: "nothing Docker added: nothing to do",
    before: CLEAN,
    now: CLEAN,
    expected: [],
  },
];

for (const c of cases) test(c.name, (t) => t.deepEqual(footprintRemoval(c.before, c.now), c.expected));

/**
 * The real node's configuration, rendered purely (lab/cluster/nodeConfig.ts, network.ts,
 * volumeProvisioner.ts, lab/docker/egress.ts): what keeps every packet on this machine,
 * and the settings this host needs. The live behaviour is in test/node/.
 */
import test from "ava";
import { EGRESS_RULES, NODE_NETWORK } from "../../lab/cluster/network";
import { ruleWords } from "../../lab/netfilter";
import { cniNetwork, containerdConfig, kubeletConfig, nodePaths, registryHosts } from "../../lab/cluster/nodeConfig";
import { volumeFor } from "../../lab/cluster/volumeProvisioner";
import { DOCKER_EGRESS_RULES } from "../../lab/docker/egress";

const paths = nodePaths("/var/tmp/cluster");

test("pods get no masquerade and no default route: only the service range and the node's address are routed", (t) => {
  const bridge = (cniNetwork(paths) as any).plugins[0];
  t.like(bridge, { type: "bridge", bridge: "hotel-cni0", ipMasq: false, isDefaultGateway: false });
  t.deepEqual(bridge.ipam.routes, [{ dst: "10.96.0.0/16" }, { dst: "10.249.0.1/32" }]);
  t.deepEqual(bridge.ipam.ranges, [[{ subnet: "10.244.0.0/24", gateway: "10.244.0.1" }]]);
});

test("the node's egress chain accepts bridge-to-bridge traffic and ends with a drop of anything else from the pod range", (t) => {
  t.deepEqual(EGRESS_RULES, [
    ["-i", "hotel-cni0", "-o", "hotel-cni0", "-j", "ACCEPT"],
    ["-s", "10.244.0.0/24", "-j", "DROP"],
  ]);
});

test("Docker's egress chain returns same-bridge traffic to Docker and drops anything else from a Docker bridge", (t) => {
  t.deepEqual(DOCKER_EGRESS_RULES, [
    ["-i", "docker0", "-o", "docker0", "-j", "RETURN"],
    ["-i", "br-+", "-o", "br-+", "-j", "RETURN"],
    ["-i", "docker0", "-j", "DROP"],
    ["-i", "br-+", "-j", "DROP"],
  ]);
});

test("every registry a pull could name points at a closed port on loopback", (t) => {
  const hosts = registryHosts();
  t.deepEqual(Object.keys(hosts).sort(), ["_default", "docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io"]);
  for (const toml of Object.values(hosts)) {
    t.regex(toml, /^server = "http:\/\/127\.0\.0\.1:1"$/m);
    t.notRegex(toml.replace(/127\.0\.0\.1/g, ""), /\d+\.\d+\.\d+\.\d+|https?:\/\/[a-z]/);
  }
  t.regex(containerdConfig(paths), /config_path = "\/var\/tmp\/cluster\/node\/registry"/);
});

test("containerd and the kubelet carry this host's settings: oom_score_adj restricted, cgroup v1 allowed, DNS on the node's address", (t) => {
  const toml = containerdConfig(paths);
  t.regex(toml, /restrict_oom_score_adj = true/);
  t.regex(toml, /sandbox_image = "docker\.io\/hotel-local\/pause:1"/);
  t.regex(toml, /address = "\/var\/tmp\/cluster\/node\/containerd\/containerd\.sock"/);
  t.like(kubeletConfig(paths, "/ca.crt", 30250), { address: "10.249.0.1", port: 30250, failCgroupV1: false, cgroupDriver: "cgroupfs", failSwapOn: false, clusterDNS: ["10.249.0.1"], readOnlyPort: 0 });
  t.is(NODE_NETWORK.nodeName, "hotel-node-0");
});

test("a claim of the local class gets a hostPath volume in its own folder, bound to it by UID", (t) => {
  const claim = {
    metadata: { name: "data-redis-0", namespace: "hotel-staging", uid: "u-1" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } }, storageClassName: "hotel-local" },
  };
  const pv = volumeFor(claim as any, "/v") as any;
  t.is(pv.metadata.name, "pvc-u-1");
  t.deepEqual(pv.spec.claimRef, { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "hotel-staging", name: "data-redis-0", uid: "u-1" });
  t.deepEqual(pv.spec.hostPath, { path: "/v/hotel-staging-data-redis-0-u-1", type: "Directory" });
  t.deepEqual(pv.spec.capacity, { storage: "2Gi" });
  t.is(pv.spec.persistentVolumeReclaimPolicy, "Delete");
});

test("an iptables -S rule splits into words with its quoted comment kept whole", (t) => {
  t.deepEqual(ruleWords('POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'), [
    "POSTROUTING",
    "-m",
    "comment",
    "--comment",
    "kubernetes postrouting rules",
    "-j",
    "KUBE-POSTROUTING",
  ]);
});

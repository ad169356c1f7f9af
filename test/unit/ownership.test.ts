/**
 * A stage never takes over a namespace it did not create (ops/engine/ownership.ts): what
 * counts as the stack's, and what the refusal says, with a kubectl that answers as a
 * cluster would (the live refusal and `adopt` run on the local cluster in
 * test/engine/recovery.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { Deployment } from "@pulumi/pulumi/automation";
import { AdoptionRefused, clusterAccess, refuseUnownedNamespace, stateHasNamespace } from "../../ops/engine/ownership";
import { tempDir } from "../fixtures/files";

const NS = "kubernetes:core/v1:Namespace";
const state = (resources: object[], pending: object[] = []) => ({ version: 3, deployment: { resources, pending_operations: pending } }) as unknown as Deployment;

const OWNERSHIP: [string, Deployment | undefined, boolean][] = [
  ["a new stack (no state)", undefined, false],
  ["the namespace applied", state([{ type: NS, id: "hotel-staging", inputs: { metadata: { name: "hotel-staging" } } }]), true],
  ["the namespace left pending by a killed run (it made it)", state([], [{ type: "creating", resource: { type: NS, inputs: { metadata: { name: "hotel-staging" } } } }]), true],
  ["another namespace", state([{ type: NS, id: "hotel-other", inputs: { metadata: { name: "hotel-other" } } }]), false],
  ["a ConfigMap of that name", state([{ type: "kubernetes:core/v1:ConfigMap", id: "hotel-staging/hotel-staging", inputs: { metadata: { name: "hotel-staging" } } }]), false],
];

for (const [name, s, owned] of OWNERSHIP) {
  test(`the state holds namespace hotel-staging: ${name} -> ${owned}`, (t) => {
    t.is(stateHasNamespace(s, "hotel-staging"), owned);
  });
}

/** A kubectl that answers as a cluster with the given namespaces (and objects in them) would; it logs its arguments. */
function fakeKubectl(live: Record<string, string[]>, fail = false): { kubectl: string; calls: () => string[] } {
  const dir = tempDir("kubectl");
  const log = path.join(dir, "calls");
  const cases = Object.entries(live)
    .map(([ns, objects]) => `  *"get namespace ${ns} "*) echo namespace/${ns};;\n  *"-n ${ns} "*) printf '%s\\n' ${objects.map((o) => `'${o}'`).join(" ")};;`)
    .join("\n");
  const body = fail ? `echo 'Unable to connect to the server: dial tcp 10.0.0.1:6443: i/o timeout' >&2; exit 1` : `case "$* " in\n${cases}\n  *) ;;\nesac`;
  fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/sh\necho "$*" >> ${log}\n${body}\n`, { mode: 0o755 });
  return { kubectl: path.join(dir, "kubectl"), calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}

test("a namespace that exists and the state does not hold: refused, naming it and its objects (not the control plane's), and how to take it over", (t) => {
  const k = fakeKubectl({ "hotel-staging": ["deployment.apps/hotel-api", "configmap/kube-root-ca.crt", "secret/postgres-credentials"] });
  const err = t.throws(() => refuseUnownedNamespace("staging", "hotel-staging", undefined, { kubectl: k.kubectl, args: [] }), { instanceOf: AdoptionRefused });
  t.is(
    err!.message,
    "stage staging would take over namespace hotel-staging with 2 object(s): deployment/hotel-api, secret/postgres-credentials: it exists and this stack did not create it, so nothing was run. " +
      'Choose another hotel:kubernetes.namespace, or take it over deliberately: npm run adopt -- --stack staging (docs/OPERATIONS.md, "taking over a namespace").',
  );
});

test("an empty namespace that exists is refused too (another team's, or one a destroy retained)", (t) => {
  const k = fakeKubectl({ "hotel-staging": ["configmap/kube-root-ca.crt"] });
  t.throws(() => refuseUnownedNamespace("staging", "hotel-staging", undefined, { kubectl: k.kubectl, args: [] }), {
    message: /would take over namespace hotel-staging \(no objects of the stack's kinds in it\)/,
  });
});

test("a namespace that does not exist: no refusal, and the cluster is asked once", (t) => {
  const k = fakeKubectl({ "kube-system": ["deployment.apps/coredns"] });
  refuseUnownedNamespace("staging", "hotel-staging", undefined, { kubectl: k.kubectl, args: ["--kubeconfig", "/k"] });
  t.deepEqual(k.calls(), ["--kubeconfig /k get namespace hotel-staging --ignore-not-found -o name"]);
});

test("a namespace the state holds: the cluster is not asked", (t) => {
  const k = fakeKubectl({ "hotel-staging": ["deployment.apps/hotel-api"] });
  refuseUnownedNamespace("staging", "hotel-staging", OWNERSHIP[1][1], { kubectl: k.kubectl, args: [] });
  t.deepEqual(k.calls(), []);
});

test("a cluster that cannot be asked: refused with kubectl's reason (fail closed), and a missing kubectl names HOTEL_KUBECTL", (t) => {
  const k = fakeKubectl({}, true);
  t.throws(() => refuseUnownedNamespace("staging", "hotel-staging", undefined, { kubectl: k.kubectl, args: [] }), {
    instanceOf: AdoptionRefused,
    message: /could not ask the cluster .* nothing was run: Unable to connect to the server: dial tcp 10\.0\.0\.1:6443: i\/o timeout$/,
  });
  t.throws(() => refuseUnownedNamespace("staging", "hotel-staging", undefined, { kubectl: "/nonexistent/kubectl", args: [] }), { message: /ENOENT.*set HOTEL_KUBECTL to a kubectl/ });
});

test("kubectl is asked with the stage file's kubeconfig (its text in a private file, or its path) and context, else the engine's", (t) => {
  const file = path.join(tempDir("kubeconfig"), "config");
  fs.writeFileSync(file, "apiVersion: v1\n");
  t.deepEqual(clusterAccess(undefined, "/engine/config", {}, {}), { kubectl: "kubectl", args: ["--kubeconfig", "/engine/config"] });
  t.deepEqual(clusterAccess("/bin/k", "/engine/config", { "kubernetes:kubeconfig": file, "kubernetes:context": "team" }, {}), {
    kubectl: "/bin/k",
    args: ["--kubeconfig", file, "--context", "team"],
  });
  const inline = clusterAccess(undefined, undefined, { "kubernetes:kubeconfig": "apiVersion: v1\nkind: Config\n" }, { HOTEL_KUBECTL: "/opt/kubectl" });
  t.is(inline.kubectl, "/opt/kubectl");
  t.is(fs.readFileSync(inline.args[1], "utf8"), "apiVersion: v1\nkind: Config\n");
  t.is(fs.statSync(inline.args[1]).mode & 0o777, 0o600);
});

/** Kubernetes hygiene policies (images, resources, security, isolation, protection) on real program runs. */
import test from "ava";
import { runMutationTable } from "./policyTable";
import { kubernetesRows } from "./kubernetes.cases";
import { pinned } from "../../policies/kubernetes/imagesPinned";

runMutationTable(kubernetesRows);

test("image pinning: tags and digests", (t) => {
  t.true(pinned("redis:7.2.5"));
  t.true(pinned("quay.io/prometheuscommunity/postgres-exporter:v0.15.0"));
  t.true(pinned(`ghcr.io/x/api@sha256:${"a".repeat(64)}`));
  t.false(pinned("redis"));
  t.false(pinned("redis:latest"));
  t.false(pinned("redis:Latest"));
  t.false(pinned("localhost:5000/api"));
});

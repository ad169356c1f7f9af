/** The kubernetes policies' mutation table: each row must be rejected by exactly its policy, with its message. */
import { K8S } from "../helpers";
import { MutationRow, merge, one } from "./policyCases";

export const kubernetesRows: MutationRow[] = [
  [
    "an app image tagged latest",
    "images-pinned",
    { stage: "staging", patch: merge("hotel:app", { image: "ghcr.io/hotel-reservation/api:latest" }) },
    /image "ghcr\.io\/hotel-reservation\/api:latest" is not pinned/,
  ],
  [
    "an app image tagged LATEST (case does not pin it)",
    "images-pinned",
    { stage: "staging", patch: merge("hotel:app", { image: "ghcr.io/hotel-reservation/api:LATEST" }) },
    /image "ghcr\.io\/hotel-reservation\/api:LATEST" is not pinned/,
  ],
  ["a Redis image without a tag", "images-pinned", { stage: "dev", patch: (c) => (c["hotel:images"] = { redis: "redis" }) }, /image "redis" is not pinned/],
  [
    "a container without limits",
    "k8s-requests-and-limits",
    { stage: "staging", mutate: (rs) => delete one(rs, K8S.deployment).inputs.spec.template.spec.containers[0].resources.limits },
    /container api has no limits\.cpu, limits\.memory/,
  ],
  [
    "a container that may run as root",
    "k8s-non-root",
    {
      stage: "staging",
      mutate: (rs) => {
        const s = one(rs, K8S.statefulSet, "redis").inputs.spec.template.spec;
        s.securityContext.runAsNonRoot = false;
      },
    },
    /container redis may run as root/,
  ],
  [
    "Redis without its NetworkPolicy",
    "datastores-reachable-only-from-app",
    {
      stage: "staging",
      mutate: (rs) =>
        rs.splice(
          rs.findIndex((r) => r.name === "redis-ingress"),
          1,
        ),
    },
    /redis: no NetworkPolicy selects its pods/,
  ],
  [
    "PostgreSQL opened to every namespace",
    "datastores-reachable-only-from-app",
    {
      stage: "staging",
      mutate: (rs) => {
        one(rs, K8S.networkPolicy, "postgres-ingress").inputs.spec.ingress[0].from = [{ namespaceSelector: {} }];
      },
    },
    /postgres-ingress: an ingress rule opens postgres's data port to more than the app's pods/,
  ],
  ["prod StatefulSets not protected", "stateful-protected", { stage: "prod", patch: merge("hotel:kubernetes", { protectStateful: false }) }, /redis is not protected in prod/],
];

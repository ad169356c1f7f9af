/**
 * No packet leaves this machine from the project's dockerd's containers. The daemon runs
 * with `--ip-masq=false`, but without masquerade a container's packet to an outside
 * address would still be forwarded out through the default route (with a source address
 * no one answers). So one chain of ours, jumped to first from DOCKER-USER (the chain
 * Docker consults before its own and never rewrites), drops, counting, anything that
 * comes from a Docker bridge and would leave through another interface: a container's
 * DNS query for an outside name (the embedded resolver forwards from the container's own
 * network namespace), a webhook, a pull attempt from inside. Traffic between containers
 * of one bridge, and from the host to published ports on 127.0.0.1, never passes here.
 */
import { dropCount, ensureFirstJump, removeChain } from "../netfilter";

export const DOCKER_EGRESS_CHAIN = "HOTEL-DOCKER-EGRESS";

/** Docker's default bridge and the bridges of user-defined networks (br-<id>). */
const BRIDGES = ["docker0", "br-+"];

export const DOCKER_EGRESS_RULES: string[][] = [...BRIDGES.map((b) => ["-i", b, "-o", b, "-j", "RETURN"]), ...BRIDGES.map((b) => ["-i", b, "-j", "DROP"])];

/** Installs the chain (idempotent); called once the daemon answers, DOCKER-USER then exists. */
export const keepContainersOnMachine = () => ensureFirstJump(DOCKER_EGRESS_CHAIN, "DOCKER-USER", DOCKER_EGRESS_RULES);

export const dockerEgressDrops = () => dropCount(DOCKER_EGRESS_CHAIN);

export const removeDockerEgress = () => removeChain(DOCKER_EGRESS_CHAIN, "DOCKER-USER");

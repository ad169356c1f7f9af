/**
 * Where a change to a stage lands (a Docker daemon, a kubeconfig's clusters), recorded
 * per stage after each change so that `cluster reset` removes only the stacks that live
 * on the local cluster.
 *
 * Under CI a file backend lives and dies with the runner. A change applied from it to a
 * cluster or daemon elsewhere would come from an empty state: a new stack, a new
 * password, live objects taken over. Only this machine's own clusters and daemons (the
 * tests') may be changed that way.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { NAMESPACE } from "../../contract/project";
import { RawConfig } from "../../config/stages";
import { EngineOptions, backendOf } from "./options";
import { SecretsSetupError } from "./stateBackend";

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** The API servers a kubeconfig names (every cluster, not only the current one: a stage may pick another context). */
export function kubeconfigServers(text: string): string[] {
  const doc = parse(text) as { clusters?: { cluster?: { server?: string } }[] } | null;
  return (doc?.clusters ?? []).map((c) => c.cluster?.server ?? "");
}

/** The addresses of this machine's interfaces (the local cluster's node address is a /32 on lo, not in 127/8). */
const localAddresses = () =>
  Object.values(os.networkInterfaces())
    .flat()
    .map((a) => a?.address);

/** An API server or daemon on this machine: a loopback name or an address of one of its interfaces. */
const onThisMachine = (url: string) => {
  try {
    const host = new URL(url).hostname;
    return LOOPBACK_HOST.test(host) || localAddresses().includes(host.replace(/^\[|\]$/g, ""));
  } catch {
    return false;
  }
};

/** Where a stage's change would land (a daemon, a kubeconfig's clusters), and whether that is this machine only. */
export interface Target {
  where: string;
  /** This machine only (loopback API servers, a local Docker socket). */
  local: boolean;
  /** The API servers or the Docker host a change reaches. */
  endpoints: string[];
}

export function describeTarget(o: EngineOptions, raw: RawConfig, env: NodeJS.ProcessEnv): Target {
  if (raw[`${NAMESPACE}:platform`] === "docker") {
    const host = o.dockerHost ?? env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    return { where: `Docker daemon ${host}`, local: host.startsWith("unix://") || onThisMachine(host.replace(/^tcp:/, "http:")), endpoints: [host] };
  }
  if ("kubernetes:kubeconfig" in raw) return { where: "the kubeconfig in the stage file", local: false, endpoints: [] };
  const file = o.kubeconfig ?? env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
  const servers = fs.existsSync(file) ? kubeconfigServers(fs.readFileSync(file, "utf8")) : [];
  return { where: `the cluster(s) of ${file} (${servers.join(", ") || "none"})`, local: servers.length > 0 && servers.every(onThisMachine), endpoints: servers };
}

const targetFile = (stateDir: string, stage: string) => path.join(stateDir, ".hotel-targets", `${stage}.json`);

/** Records where a change to the stage went (beside the file backend's state, where `cluster reset` reads it). */
export function recordTarget(stateDir: string, stage: string, target: Target): void {
  fs.mkdirSync(path.dirname(targetFile(stateDir, stage)), { recursive: true });
  fs.writeFileSync(targetFile(stateDir, stage), JSON.stringify({ endpoints: target.endpoints }) + "\n");
}

/** The endpoints the stage's last change went to; undefined when none was recorded. */
export function recordedEndpoints(stateDir: string, stage: string): string[] | undefined {
  const file = targetFile(stateDir, stage);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { endpoints: string[] }).endpoints : undefined;
}

/**
 * Refuses, before the engine starts, a change under CI from a file backend to anything
 * but this machine's own cluster or daemon.
 */
export function refuseRunnerStateUnderCi(o: EngineOptions, raw: RawConfig, env: NodeJS.ProcessEnv = process.env): void {
  const backend = backendOf(o);
  if (!env.CI || backend.shared || o.renderDir) return;
  const target = describeTarget(o, raw, env);
  if (target.local) return;
  throw new SecretsSetupError(
    `CI is set and the state of stage ${o.stage} would be a file on this runner (${backend.url}), gone when the run ends: ` +
      `a change to ${target.where} from it would start from an empty state (a new password, live objects taken over). ` +
      `Set HOTEL_BACKEND_URL to the team's state backend; a file backend under CI may change only this machine's own cluster or daemon.`,
  );
}

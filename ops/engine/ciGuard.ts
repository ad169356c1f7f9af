/**
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

const isLoopbackUrl = (url: string) => {
  try {
    return LOOPBACK_HOST.test(new URL(url).hostname);
  } catch {
    return false;
  }
};

/** Where a stage's change would land, and whether that is this machine only; undefined when nothing says. */
function changeTarget(o: EngineOptions, raw: RawConfig, env: NodeJS.ProcessEnv): { where: string; local: boolean } {
  if (raw[`${NAMESPACE}:platform`] === "docker") {
    const host = o.dockerHost ?? env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    return { where: `Docker daemon ${host}`, local: host.startsWith("unix://") || isLoopbackUrl(host.replace(/^tcp:/, "http:")) };
  }
  if ("kubernetes:kubeconfig" in raw) return { where: "the kubeconfig in the stage file", local: false };
  const file = o.kubeconfig ?? env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
  const servers = fs.existsSync(file) ? kubeconfigServers(fs.readFileSync(file, "utf8")) : [];
  return { where: `the cluster(s) of ${file} (${servers.join(", ") || "none"})`, local: servers.length > 0 && servers.every(isLoopbackUrl) };
}

/**
 * Refuses, before the engine starts, a change under CI from a file backend to anything
 * but this machine's own cluster or daemon.
 */
export function refuseRunnerStateUnderCi(o: EngineOptions, raw: RawConfig, env: NodeJS.ProcessEnv = process.env): void {
  const backend = backendOf(o);
  if (!env.CI || backend.shared || o.renderDir) return;
  const target = changeTarget(o, raw, env);
  if (target.local) return;
  throw new SecretsSetupError(
    `CI is set and the state of stage ${o.stage} would be a file on this runner (${backend.url}), gone when the run ends: ` +
      `a change to ${target.where} from it would start from an empty state (a new password, live objects taken over). ` +
      `Set HOTEL_BACKEND_URL to the team's state backend; a file backend under CI may change only this machine's own cluster or daemon.`,
  );
}

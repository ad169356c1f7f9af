/**
 * The Docker daemon the dev stage runs on. A daemon that already answers is used as it
 * is (DOCKER_HOST, else the system's socket); otherwise the project starts its own
 * dockerd from Debian's docker.io, on a unix socket only (no TCP), with its data under
 * ~/.cache/hotel-stack/docker so images survive a restart. A stop ends only a dockerd
 * this project started (by its PID, checked against its command line).
 *
 * Docker allows one daemon per machine in practice: a second one rewrites the first
 * one's docker0 bridge and iptables chains (docs/DOCKER.md), hence no per-test daemons.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Daemon, logFile, runningPid, startDaemon, stopDaemon } from "../daemons";
import { CACHE_ROOT } from "../../contract/project";
import { keepContainersOnMachine, removeDockerEgress } from "./egress";
import { recordBeforeDocker, removeDockerFootprint } from "./hostFootprint";

export const DOCKER_DIR = process.env.HOTEL_DOCKER_DIR ?? path.join(CACHE_ROOT, "docker");
const SYSTEM_SOCKET = "unix:///var/run/docker.sock";

function dockerd(dir: string): Daemon {
  return {
    name: "dockerd",
    bin: "/usr/sbin/dockerd",
    args: [
      "--host",
      `unix://${path.join(dir, "docker.sock")}`,
      "--data-root",
      path.join(dir, "data"),
      "--exec-root",
      path.join(dir, "exec"),
      "--pidfile",
      path.join(dir, "exec", "dockerd.pid"),
      // Published ports default to loopback: a port without an address is not exposed.
      "--ip",
      "127.0.0.1",
      // No packet leaves this machine: running containers get no masquerade out through
      // the default route (Docker's default is on). Image builds use the host's network.
      "--ip-masq=false",
    ],
  };
}

/** Whether a daemon answers on `host` (the docker CLI's own ping, bounded). */
export function answers(host: string): boolean {
  const res = spawnSync("docker", ["--host", host, "version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 10_000 });
  return res.status === 0 && res.stdout.trim() !== "";
}

export interface DockerHost {
  /** The daemon's address for the docker CLI and the docker provider (DOCKER_HOST). */
  host: string;
  /** True when this call started it (and so a matching stop should end it). */
  started: boolean;
}

export class LocalDocker {
  readonly ownHost: string;

  constructor(readonly dir: string = DOCKER_DIR) {
    this.ownHost = `unix://${path.join(dir, "docker.sock")}`;
  }

  /** The daemon to use without starting one, if any answers. */
  find(): string | undefined {
    const fromEnv = process.env.DOCKER_HOST;
    if (fromEnv) {
      if (answers(fromEnv)) return fromEnv;
      throw new Error(`DOCKER_HOST=${fromEnv} does not answer (docker version failed); unset it to let the project start its own daemon`);
    }
    return [this.ownHost, SYSTEM_SOCKET].find(answers);
  }

  /** A daemon that answers: an existing one, else ours, started and awaited (bounded). */
  async ensure(log: (s: string) => void = () => undefined): Promise<DockerHost> {
    const found = this.find();
    // Ours, started earlier: its egress chain is made sure of (a daemon we did not start is left as it is).
    if (found === this.ownHost) keepContainersOnMachine();
    if (found) return { host: found, started: false };
    if (!fs.existsSync(dockerd(this.dir).bin)) {
      throw new Error("no Docker daemon answers and dockerd is not installed: run 'bash scripts/setup.sh --servers' (Debian's docker.io)");
    }
    fs.mkdirSync(path.join(this.dir, "exec"), { recursive: true, mode: 0o700 });
    this.clearStaleFiles();
    recordBeforeDocker(this.hostRecord);
    const pid = startDaemon(this.dir, dockerd(this.dir));
    log(`started dockerd (pid ${pid}) on ${this.ownHost}`);
    for (let waited = 0; waited < 60_000; waited += 250) {
      if (answers(this.ownHost)) {
        keepContainersOnMachine();
        return { host: this.ownHost, started: true };
      }
      if (!runningPid(this.dir, dockerd(this.dir))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const tail = fs.existsSync(logFile(this.dir, "dockerd")) ? fs.readFileSync(logFile(this.dir, "dockerd"), "utf8").slice(-2000) : "";
    throw new Error(`dockerd did not answer on ${this.ownHost}; its log (${logFile(this.dir, "dockerd")}) ends:\n${tail}`);
  }

  /**
   * What a killed dockerd leaves behind and the next one would trip on: its own pid file
   * ("pid file found, ensure docker is not running" when the PID has been reused by any
   * process), and the pid file of a containerd that no longer runs. Called only when our
   * dockerd does not run; a containerd that still runs is left to the new dockerd.
   */
  private clearStaleFiles(): void {
    const exec = path.join(this.dir, "exec");
    fs.rmSync(path.join(exec, "dockerd.pid"), { force: true });
    const containerdPid = path.join(exec, "containerd", "containerd.pid");
    if (fs.existsSync(containerdPid)) {
      const pid = fs.readFileSync(containerdPid, "utf8").trim();
      const cmd = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
      if (!cmd.includes("containerd")) fs.rmSync(containerdPid, { force: true });
    }
  }

  /**
   * Stops our dockerd (never another one); its containers stop with it, then our egress
   * chain goes, then what Docker added to the host since before it started (./hostFootprint.ts).
   */
  async stop(): Promise<{ stopped: boolean; removed: string[] }> {
    const stopped = await stopDaemon(this.dir, dockerd(this.dir), 20_000);
    if (this.ownPid()) return { stopped, removed: [] };
    removeDockerEgress();
    return { stopped, removed: removeDockerFootprint(this.hostRecord) };
  }

  /** The host's network as it was before our dockerd started (removed once what Docker added is). */
  private get hostRecord(): string {
    return path.join(this.dir, "host-before.json");
  }

  /** The PID of our dockerd, if it runs. */
  ownPid(): number | undefined {
    return runningPid(this.dir, dockerd(this.dir));
  }
}

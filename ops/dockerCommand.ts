/**
 * npm run docker -- start|stop|status|images [--refresh]: the Docker daemon the dev stage
 * runs on (lab/docker/daemon.ts) and the local stand-in images (lab/docker/images.ts).
 */
import { LocalDocker } from "../lab/docker/daemon";
import { DockerCli, ensureLocalImages } from "../lab/docker/images";

const log = (s: string) => console.error(`docker: ${s}`);

async function main(command: string | undefined, flags: string[]): Promise<void> {
  const local = new LocalDocker();
  if (command === "start") {
    const { host, started } = await local.ensure(log);
    // The last line is the outcome, for scripts: "started <host>" or "reused <host>".
    console.log(`${started ? "started" : "reused"} ${host}`);
  } else if (command === "stop") {
    const { stopped, removed } = await local.stop();
    console.log(stopped ? "stopped the project's dockerd" : "the project's dockerd was not running (another daemon is never stopped)");
    if (removed.length) console.log(`removed what Docker had added to the host since it started (${removed.length} iptables and ip commands, docs/DOCKER.md)`);
  } else if (command === "status") {
    const pid = local.ownPid();
    console.log(`project dockerd: ${pid ? `running (pid ${pid}) on ${local.ownHost}` : "stopped"}`);
    console.log(`daemon in use: ${local.find() ?? "none answers"}`);
  } else if (command === "images") {
    const { host } = await local.ensure(log);
    const refs = ensureLocalImages(new DockerCli(host), { refresh: flags.includes("--refresh"), log });
    for (const [key, ref] of Object.entries({ ...refs.images, app: refs.app })) console.log(`${key.padEnd(18)} ${ref}`);
  } else {
    throw new Error(`unknown command ${JSON.stringify(command)}; commands: start, stop, status, images [--refresh]`);
  }
}

main(process.argv[2], process.argv.slice(3)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

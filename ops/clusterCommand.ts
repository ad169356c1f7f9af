/** npm run cluster -- start|stop|status|reset: the project's local control plane (lab/cluster). */
import { LocalCluster, howToLook } from "../lab/cluster";
import { removeLocalStacks } from "./engine";

const COMMANDS = ["start", "stop", "status", "reset"];

async function main(command: string | undefined): Promise<void> {
  // Before the cluster object: a first use builds the control plane (minutes), not for a typo.
  if (!COMMANDS.includes(command ?? "")) throw new Error(`unknown command ${JSON.stringify(command)}; commands: ${COMMANDS.join(", ")}`);
  const cluster = new LocalCluster();
  if (command === "start") {
    await cluster.start((s) => console.error(`cluster: ${s}`));
    console.log(howToLook(cluster));
  } else if (command === "stop") {
    const stopped = await cluster.stop();
    console.log(stopped.length ? `stopped ${stopped.join(", ")}` : "nothing of the local cluster was running");
  } else if (command === "status") {
    for (const [name, pid] of Object.entries(cluster.status())) console.log(`${name.padEnd(24)} ${pid ? `running (pid ${pid})` : "stopped"}`);
    console.log(cluster.running() ? `API ready at ${cluster.server}` : "API not ready");
  } else {
    const server = cluster.server;
    await cluster.reset();
    const { removed, kept } = await removeLocalStacks(server);
    console.log(`local cluster stopped and its data deleted; local stacks removed: ${removed.join(", ") || "none"}`);
    if (kept.length) console.log(`kept (their last change did not go to the local cluster ${server}): ${kept.join(", ")}`);
  }
}

main(process.argv[2]).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});

/**
 * What a Docker stage needs before the engine runs: a daemon that answers, and images it
 * can use. With local images (--local-images / HOTEL_LOCAL_IMAGES=1) the stand-ins are
 * built if missing and hotel:images points at them; without, an image that is neither on
 * the daemon nor pullable is a clear error naming the switch, before anything is touched.
 */
import { StackConfig } from "../../config/types";
import { LocalDocker } from "./daemon";
import { DockerCli, LocalImages, ensureLocalImages, plannedLocalImages } from "./images";
import { RealNode, qualifiedImage } from "../cluster/node";

export interface DockerStage {
  host: string;
  localImages?: LocalImages;
}

/** Every image a stage runs, by the key that sets it. */
export function stageImages(c: StackConfig): Record<string, string> {
  return { ...Object.fromEntries(Object.entries(c.images).map(([k, v]) => [`hotel:images.${k}`, v])), "hotel:app.image": c.app.image };
}

/** The images neither on the daemon nor pullable from it, with the pull's reason. */
function unavailableImages(d: DockerCli, images: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, ref] of Object.entries(images)) {
    if (d.hasImage(ref)) continue;
    const pull = d.run(["pull", "--quiet", ref], { timeoutMs: 120_000 });
    if (pull.status !== 0) problems.push(`${key} = ${ref}: not on the daemon and cannot be pulled (${pull.stderr.trim().split("\n").pop()})`);
  }
  return problems;
}

export class ImagesUnavailable extends Error {}

const listLocalImages = (localImages: LocalImages) =>
  "local images (--local-images): stand-ins built from Debian packages, not the stage's images:\n" +
  Object.entries({ ...localImages.images, app: localImages.app })
    .map(([k, v]) => `  ${k.padEnd(17)} ${v}`)
    .join("\n") +
  "\n  (the app is a test fixture: lab/standInApp)";

/**
 * For a command that runs no image (preview, refresh, destroy: checkImages false), the
 * stand-ins' names without the daemon or the node (about 1 s per command on staging);
 * an up builds and imports them.
 */
const plannedFor = (checkImages: boolean) => (checkImages ? undefined : plannedLocalImages());

export async function prepareDockerStage(c: StackConfig, opts: { localImages: boolean; checkImages: boolean; say: (s: string) => void }): Promise<DockerStage> {
  const { host, started } = await new LocalDocker().ensure(opts.say);
  if (started) opts.say(`docker: the project's dockerd runs on ${host} (npm run docker -- stop ends it)`);
  const d = new DockerCli(host);
  if (opts.localImages) {
    const localImages = plannedFor(opts.checkImages) ?? ensureLocalImages(d, { log: (s) => opts.say(`docker: ${s}`) });
    opts.say(listLocalImages(localImages));
    return { host, localImages };
  }
  if (opts.checkImages) {
    const problems = unavailableImages(d, stageImages(c));
    if (problems.length) {
      throw new ImagesUnavailable(
        `stage ${c.stage} cannot run on ${host}:\n  ${problems.join("\n  ")}\n` +
          "On a machine without a registry, run with --local-images (or HOTEL_LOCAL_IMAGES=1): stand-ins built from Debian packages (docs/DOCKER.md).",
      );
    }
  }
  return { host };
}

/**
 * What a Kubernetes stage on the local cluster's real node needs: its images in
 * containerd's k8s.io namespace (no registry). With local images, the stand-ins are built
 * on the project's Docker daemon and imported when containerd lacks them; without, an
 * image containerd does not hold is a clear error naming the switch. (On another
 * cluster the images are its registry's business.)
 */
export async function prepareNodeImages(node: RealNode, c: StackConfig, opts: { localImages: boolean; checkImages: boolean; say: (s: string) => void }): Promise<LocalImages | undefined> {
  if (opts.localImages) {
    const planned = plannedFor(opts.checkImages);
    if (planned) {
      opts.say(listLocalImages(planned));
      return planned;
    }
    const { host } = await new LocalDocker().ensure(opts.say);
    const localImages = ensureLocalImages(new DockerCli(host), { log: (s) => opts.say(`docker: ${s}`) });
    const imported = node.importFromDocker(host, [...Object.values(localImages.images), localImages.app]);
    if (imported.length) opts.say(`node: imported into containerd: ${imported.join(", ")}`);
    opts.say(listLocalImages(localImages));
    return localImages;
  }
  if (opts.checkImages) {
    const have = node.images();
    const problems = Object.entries(stageImages(c))
      .filter(([, ref]) => !have.has(qualifiedImage(ref)))
      .map(([key, ref]) => `${key} = ${ref}: not in the node's containerd (no registry is reachable from the local cluster)`);
    if (problems.length) {
      throw new ImagesUnavailable(
        `stage ${c.stage} cannot run on the local cluster's node:\n  ${problems.join("\n  ")}\n` +
          "Run with --local-images (or HOTEL_LOCAL_IMAGES=1): stand-ins built from Debian packages and imported into the node (docs/CLUSTER.md).",
      );
    }
  }
  return undefined;
}

/**
 * Local stand-in images for the dev stage, for machines that cannot pull the real ones:
 * each server image rebuilt from Debian's package of that server (lab/docker/images/),
 * on a Debian base made with debootstrap (no registry needed). Each is tagged with its
 * package's upstream version under hotel-local/ and labelled with the exact Debian
 * version, so a rebuild happens only when that version changes (`--refresh` asks the
 * mirror again). The app is not in this repository: its stand-in is a test fixture
 * (lab/standInApp) and its image name says so.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stages";
import { StackConfig } from "../../config/types";
import { filesUnder } from "../../lib/filesUnder";
import { DOCKER_DIR } from "./daemon";

const BASE_IMAGE = "hotel-local/debian:bookworm";
const VERSION_LABEL = "org.hotel-stack.package-version";
const IMAGES_DIR = path.join(PROJECT_DIR, "lab", "docker", "images");
const STAND_IN_APP_DIR = path.join(PROJECT_DIR, "lab", "standInApp");

type ImageKey = keyof StackConfig["images"];

/** hotel:images key -> the Debian package its stand-in is built from (and the folder of its Dockerfile). */
export const STAND_INS: Record<ImageKey, { pkg: string; folder: string }> = {
  redis: { pkg: "redis-server", folder: "redis" },
  redisExporter: { pkg: "prometheus-redis-exporter", folder: "redis-exporter" },
  postgres: { pkg: "postgresql-15", folder: "postgres" },
  postgresExporter: { pkg: "prometheus-postgres-exporter", folder: "postgres-exporter" },
  prometheus: { pkg: "prometheus", folder: "prometheus" },
  alertmanager: { pkg: "prometheus-alertmanager", folder: "alertmanager" },
};

export interface LocalImages {
  /** What hotel:images becomes with --local-images. */
  images: Record<ImageKey, string>;
  /** What hotel:app.image becomes: the stand-in app (a test fixture). */
  app: string;
}

/** The upstream part of a Debian version: "5:7.0.15-1~deb12u10" -> "7.0.15". */
export function upstreamVersion(debian: string): string {
  const noEpoch = debian.replace(/^\d+:/, "").replace(/\+(ds|dfsg)\d*(?=-|$)/, "");
  const cut = noEpoch.lastIndexOf("-");
  return (cut > 0 ? noEpoch.slice(0, cut) : noEpoch).replace(/[^A-Za-z0-9_.-]/g, "_");
}

/**
 * The stand-in names for the package versions in `versions` (package -> Debian version)
 * and the recipes' hashes (image folder -> hash): a new recipe is a new tag, so a node
 * that holds the old image by name imports the new one.
 */
export function localImageRefs(versions: Record<string, string>, recipes: Record<string, string>, appHash: string): LocalImages {
  const tag = (s: { pkg: string; folder: string }) => `${upstreamVersion(versions[s.pkg])}-r${recipes[s.folder].slice(0, 6)}`;
  const images = Object.fromEntries(Object.entries(STAND_INS).map(([key, s]) => [key, `hotel-local/${s.folder}:${tag(s)}`])) as Record<ImageKey, string>;
  return { images, app: `hotel-local/stand-in-api-test-fixture:${appHash}` };
}

/** A folder's content hash (names and bytes), without the bytecode Python writes beside the sources when a test runs them. */
function folderHash(dir: string): string {
  const h = crypto.createHash("sha256");
  const sources = filesUnder(dir).filter((f) => !f.split(path.sep).includes("__pycache__"));
  for (const f of sources.sort()) h.update(path.relative(dir, f)).update(fs.readFileSync(f));
  return h.digest("hex").slice(0, 12);
}

/** The stand-in app's content hash: its tag changes exactly when its files do. */
const standInAppHash = () => folderHash(STAND_IN_APP_DIR);

/** Parses `apt-cache policy` output into package -> candidate version. */
export function parseCandidates(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let pkg: string | undefined;
  for (const line of text.split("\n")) {
    const head = /^(\S+):$/.exec(line);
    if (head) pkg = head[1];
    const cand = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (pkg && cand && cand[1] !== "(none)") out[pkg] = cand[1];
  }
  return out;
}

export class DockerCli {
  constructor(readonly host: string) {}

  run(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): { status: number; stdout: string; stderr: string } {
    const res = spawnSync("docker", ["--host", this.host, ...args], { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 << 20 });
    return { status: res.status ?? 1, stdout: res.stdout ?? "", stderr: res.stderr ?? String(res.error ?? "") };
  }

  must(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): string {
    const res = this.run(args, opts);
    if (res.status !== 0) throw new Error(`docker ${args.slice(0, 2).join(" ")} failed: ${res.stderr.trim().slice(-1500)}`);
    return res.stdout;
  }

  /** The image's label, or undefined when the image is absent. */
  imageLabel(ref: string, label: string): string | undefined {
    const res = this.run(["image", "inspect", ref, "--format", `{{index .Config.Labels "${label}"}}`]);
    return res.status === 0 ? res.stdout.trim() : undefined;
  }

  hasImage(ref: string): boolean {
    return this.run(["image", "inspect", ref, "--format", "{{.Id}}"]).status === 0;
  }
}

/** The apt mirror the host uses (its deb822 or one-line sources), else Debian's default. */
function hostMirror(): string {
  const files = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"].filter((f) => fs.existsSync(f));
  for (const f of files) {
    const m = /^URIs:\s*(\S+\/debian)\s*$/m.exec(fs.readFileSync(f, "utf8")) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm/m.exec(fs.readFileSync(f, "utf8"));
    if (m) return m[1];
  }
  return "http://deb.debian.org/debian";
}

/** Debian bookworm (minbase) from debootstrap, imported as BASE_IMAGE. About a minute, once. */
function buildBase(d: DockerCli, log: (s: string) => void): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-debootstrap-"));
  try {
    const mirror = hostMirror();
    log(`building ${BASE_IMAGE} with debootstrap from ${mirror} (about a minute, once)`);
    const boot = spawnSync("debootstrap", ["--variant=minbase", "bookworm", root, mirror], { encoding: "utf8", timeout: 600_000 });
    if (boot.status !== 0) throw new Error(`debootstrap failed (is Debian's debootstrap installed? scripts/setup.sh --servers): ${(boot.stderr || boot.stdout).slice(-1500)}`);
    const sources = ["bookworm", "bookworm-updates"].map((s) => `deb ${mirror} ${s} main`);
    sources.push(`deb ${mirror.replace(/\/debian$/, "/debian-security")} bookworm-security main`);
    fs.writeFileSync(path.join(root, "etc/apt/sources.list"), sources.join("\n") + "\n");
    // Services never start inside an image build; no docs or manuals in the layers.
    fs.writeFileSync(path.join(root, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
    fs.writeFileSync(path.join(root, "etc/dpkg/dpkg.cfg.d/01-slim"), "path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/locale/*\n");
    for (const junk of ["var/lib/apt/lists", "var/cache/apt/archives", "usr/share/doc", "usr/share/man"]) {
      fs.rmSync(path.join(root, junk), { recursive: true, force: true });
      fs.mkdirSync(path.join(root, junk), { recursive: true });
    }
    const tar = spawnSync("tar", ["-C", root, "-c", "."], { maxBuffer: 1 << 30 });
    if (tar.status !== 0) throw new Error(`tar of the debootstrap root failed: ${tar.stderr}`);
    d.must(["import", "--change", 'CMD ["bash"]', "-", BASE_IMAGE], { input: tar.stdout });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The candidate versions of the stand-ins' packages, asked of the mirror inside the base image. */
function resolveVersions(d: DockerCli): Record<string, string> {
  const pkgs = Object.values(STAND_INS).map((s) => s.pkg);
  const out = d.must(["run", "--rm", "--network", "host", BASE_IMAGE, "sh", "-c", `apt-get update -qq >/dev/null && apt-cache policy ${pkgs.join(" ")}`]);
  const versions = parseCandidates(out);
  const missing = pkgs.filter((p) => !versions[p]);
  if (missing.length) throw new Error(`the Debian mirror offers no ${missing.join(", ")}`);
  return versions;
}

const manifestFile = () => path.join(DOCKER_DIR, "local-images.json");

function build(d: DockerCli, ref: string, context: string, buildArgs: Record<string, string>, version: string, log: (s: string) => void): void {
  const started = Date.now();
  const args = Object.entries(buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  // Host networking: the build fetches Debian packages through the host, as the host
  // does; the daemon masquerades nothing, so a container on a bridge cannot reach out.
  d.must(["build", "-q", "--network", "host", "--label", `${VERSION_LABEL}=${version}`, "-t", ref, ...args, context]);
  log(`built ${ref} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // The stand-in this one supersedes (an older package version or fixture) goes; an image a container still uses stays.
  const [repo, tag] = ref.split(":");
  for (const old of d
    .run(["image", "ls", repo, "--format", "{{.Tag}}"])
    .stdout.split("\n")
    .filter((t) => t && t !== tag)) {
    d.run(["image", "rm", `${repo}:${old}`]);
  }
}

/** Each stand-in's recipe folder -> its content hash. */
const recipeHashes = () => Object.fromEntries(Object.values(STAND_INS).map((s) => [s.folder, folderHash(path.join(IMAGES_DIR, s.folder))]));

/**
 * The stand-in names the last build resolved, read without asking the daemon: what a
 * preview, refresh or destroy plans with (none of them runs an image, so none needs one
 * built or imported). Undefined before the first build.
 */
export function plannedLocalImages(): LocalImages | undefined {
  if (!fs.existsSync(manifestFile())) return undefined;
  const { versions } = JSON.parse(fs.readFileSync(manifestFile(), "utf8"));
  return localImageRefs(versions, recipeHashes(), standInAppHash());
}

/**
 * Makes sure every stand-in image exists at the current package versions (built when
 * missing), and returns their names.
 */
export function ensureLocalImages(d: DockerCli, opts: { refresh?: boolean; log?: (s: string) => void } = {}): LocalImages {
  const log = opts.log ?? (() => undefined);
  if (!d.hasImage(BASE_IMAGE)) buildBase(d, log);
  let versions: Record<string, string> | undefined;
  if (!opts.refresh && fs.existsSync(manifestFile())) versions = JSON.parse(fs.readFileSync(manifestFile(), "utf8")).versions;
  if (!versions) {
    versions = resolveVersions(d);
    fs.mkdirSync(DOCKER_DIR, { recursive: true });
    fs.writeFileSync(manifestFile(), JSON.stringify({ versions, resolvedAt: new Date().toISOString() }, null, 2));
  }
  const refs = localImageRefs(versions, recipeHashes(), standInAppHash());
  for (const [key, s] of Object.entries(STAND_INS) as [ImageKey, (typeof STAND_INS)[ImageKey]][]) {
    const ref = refs.images[key];
    // The tag names the package version and the recipe: a missing tag is built.
    if (d.imageLabel(ref, VERSION_LABEL) === versions[s.pkg]) continue;
    build(d, ref, path.join(IMAGES_DIR, s.folder), { BASE: BASE_IMAGE, PACKAGE_VERSION: versions[s.pkg] }, versions[s.pkg], log);
  }
  if (!d.hasImage(refs.app)) build(d, refs.app, STAND_IN_APP_DIR, { BASE: BASE_IMAGE }, "test fixture", log);
  return refs;
}

/**
 * A one-layer OCI image archive from a static binary, for the node's own images (the
 * pod sandbox's pause program, the operator's config reloader, Prometheus): no registry is
 * reachable and these need no Docker daemon. containerd's `ctr images import` reads the
 * archive and names the image from the index's `io.containerd.image.name` annotation.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface BinaryImage {
  /** The image's full name, e.g. docker.io/hotel-local/pause:1 */
  name: string;
  /** The static binary, placed at /bin/<basename> in the image (the operator runs its reloader as /bin/prometheus-config-reloader). */
  binary: string;
  /** Numeric user the process runs as by default. */
  user: string;
}

function blob(dir: string, content: Buffer): { digest: string; size: number } {
  const hex = crypto.createHash("sha256").update(content).digest("hex");
  fs.writeFileSync(path.join(dir, "blobs", "sha256", hex), content);
  return { digest: `sha256:${hex}`, size: content.length };
}

/**
 * Writes the archive of `image` to `out` (a tar of an OCI image layout); returns the
 * manifest's digest, the same for the same binary (fixed owners and times).
 */
export function writeBinaryImage(image: BinaryImage, out: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-oci-"));
  try {
    const rootfs = path.join(work, "rootfs");
    const layout = path.join(work, "layout");
    const inImage = path.join("bin", path.basename(image.binary));
    fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    fs.mkdirSync(path.join(layout, "blobs", "sha256"), { recursive: true });
    fs.copyFileSync(image.binary, path.join(rootfs, inImage));
    fs.chmodSync(path.join(rootfs, inImage), 0o755);
    // Fixed owner and times, so the same binary gives the same layer digest.
    const layerTar = execFileSync("tar", ["-C", rootfs, "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "-cf", "-", "."], { maxBuffer: 1 << 30 });
    const layer = blob(layout, layerTar);
    const config = blob(
      layout,
      Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Entrypoint: [`/${inImage}`], User: image.user }, rootfs: { type: "layers", diff_ids: [layer.digest] } })),
    );
    const manifest = blob(
      layout,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
        }),
      ),
    );
    const annotations = { "io.containerd.image.name": image.name, "org.opencontainers.image.ref.name": image.name.split(":").pop() };
    fs.writeFileSync(path.join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(path.join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations }] }));
    execFileSync("tar", ["-C", layout, "-cf", out, "."]);
    return manifest.digest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

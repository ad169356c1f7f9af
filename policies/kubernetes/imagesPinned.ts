import * as docker from "@pulumi/docker";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { onPods } from "../readers/pods";

/** A tag other than "latest" (in any case), or a digest. */
export function pinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.split("/").pop() ?? "";
  const tag = last.includes(":") ? (last.split(":").pop() ?? "") : "";
  return tag !== "" && tag.toLowerCase() !== "latest";
}

const message = (image: string) => `image "${image}" is not pinned: a missing tag or "latest" changes under you on the next pull. Pin a version tag or a digest (name@sha256:...).`;

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description: "Every image is pinned to a tag other than latest, or to a digest.",
  enforcementLevel: "mandatory",
  validateResource: [
    ...onPods((pod, report) => {
      for (const c of [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]) if (!pinned(String(c.image))) report(message(String(c.image)));
    }),
    validateResourceOfType(docker.RemoteImage, (img, _a, report) => {
      if (!pinned(img.name)) report(message(img.name));
    }),
  ],
};

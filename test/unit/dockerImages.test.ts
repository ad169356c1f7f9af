/** The stand-in images' names and versions (lab/docker/images.ts), from Debian's version strings. */
import test from "ava";
import { STAND_INS, localImageRefs, parseCandidates, upstreamVersion } from "../../lab/docker/images";
import { stageImages } from "../../lab/docker/stage";
import { stageConfig } from "../helpers";

test("a stand-in is tagged with its package's upstream version: no epoch, no Debian revision, no repack suffix", (t) => {
  t.is(upstreamVersion("5:7.0.15-1~deb12u10"), "7.0.15");
  t.is(upstreamVersion("2.42.0+ds-5+deb12u1"), "2.42.0");
  t.is(upstreamVersion("15.20-0+deb12u1"), "15.20");
  t.is(upstreamVersion("20.10.24+dfsg1-1+deb12u1+b6"), "20.10.24");
  t.is(upstreamVersion("1.0"), "1.0");
});

test("apt-cache policy output gives each package's candidate; (none) is no candidate", (t) => {
  const text = "redis-server:\n  Installed: (none)\n  Candidate: 5:7.0.15-1~deb12u10\n  Version table:\nprometheus:\n  Installed: (none)\n  Candidate: (none)\n";
  t.deepEqual(parseCandidates(text), { "redis-server": "5:7.0.15-1~deb12u10" });
});

test("every hotel:images key has a stand-in under hotel-local/, and the app's says it is a test fixture", (t) => {
  const versions = Object.fromEntries(Object.values(STAND_INS).map((s) => [s.pkg, "1:2.3.4-5"]));
  const recipes = Object.fromEntries(Object.values(STAND_INS).map((s) => [s.folder, "fedcba987654"]));
  const refs = localImageRefs(versions, recipes, "abc123");
  t.deepEqual(Object.keys(refs.images).sort(), Object.keys(stageConfig("dev").images).sort());
  for (const ref of Object.values(refs.images)) t.regex(ref, /^hotel-local\/[a-z-]+:2\.3\.4-rfedcba$/);
  t.is(refs.app, "hotel-local/stand-in-api-test-fixture:abc123");
});

test("the images a Docker stage runs are named by the key that sets them", (t) => {
  const images = stageImages(stageConfig("dev"));
  t.is(images["hotel:app.image"], "ghcr.io/hotel-reservation/api:1.8.2");
  t.is(images["hotel:images.redis"], stageConfig("dev").images.redis);
  t.is(Object.keys(images).length, 7);
});

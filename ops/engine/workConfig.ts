/** The config file the engine runs with (never the committed stage file). */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { NAMESPACE } from "../../contract/project";
import { readStageFile, stageFilePath } from "../../config/stages";
import { privateRenderDir } from "./renderFolder";
import { ADOPTED_KEY, PASSWORD_KEY, RENDER_DIR_KEY, ROTATION_KEY } from "../../contract/secrets";
import { EngineOptions, liveBackendUrl } from "./options";

/** The seed a new stack's password resource starts with (set on stdin, as a secret, only when one is needed). */
export const PASSWORD_SEED_CONFIG = `${NAMESPACE}:${PASSWORD_KEY}`;
const ROTATION_CONFIG = `${NAMESPACE}:${ROTATION_KEY}`;

/**
 * The config file the engine runs with: the stage file's config, the salt kept from
 * earlier runs, the rotation step when one runs, whether the namespace was taken over,
 * and the render directory. No password:
 * the program owns it (components/password.ts).
 */
export function writeWorkConfig(o: EngineOptions, stateDir: string, salt?: string, namespaceAdopted = false): string {
  const file = path.join(stateDir, "config", `Pulumi.${o.stage}.yaml`);
  const previous = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) ?? {}) : {};
  const config: Record<string, any> = readStageFile(o.stageFile ?? stageFilePath(o.stage, o.projectDir));
  if (o.rotation) config[ROTATION_CONFIG] = o.rotation;
  if (o.localImages) {
    const images = `${NAMESPACE}:images`;
    const app = `${NAMESPACE}:app`;
    config[images] = { ...(config[images] ?? {}), ...o.localImages.images };
    config[app] = { ...(config[app] ?? {}), image: o.localImages.app };
  }
  if (namespaceAdopted) config[`${NAMESPACE}:${ADOPTED_KEY}`] = "true";
  if (o.renderDir) config[`${NAMESPACE}:${RENDER_DIR_KEY}`] = privateRenderDir(liveBackendUrl(o), o.stage);
  const doc: Record<string, any> = {};
  // A committed salt line (a team's, docs/ENGINE.md) is what the stage file's `secure:` values were encrypted with.
  const committed = parse(fs.readFileSync(o.stageFile ?? stageFilePath(o.stage, o.projectDir), "utf8"))?.encryptionsalt;
  const keptSalt = committed ?? previous.encryptionsalt ?? salt;
  if (keptSalt) doc.encryptionsalt = keptSalt;
  doc.config = config;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

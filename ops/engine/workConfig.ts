/** The config file the engine runs with (never the committed stage file). */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { NAMESPACE } from "../../contract/project";
import { readStageFile, stageFilePath } from "../../config/stages";
import { privateRenderDir } from "./renderFolder";
import { PASSWORD_KEY, PREVIOUS_PASSWORD_KEY } from "../../contract/secrets";
import { EngineOptions, backendOf } from "./options";

export const PASSWORD_CONFIG = `${NAMESPACE}:${PASSWORD_KEY}`;
export const PREVIOUS_PASSWORD_CONFIG = `${NAMESPACE}:${PREVIOUS_PASSWORD_KEY}`;

export interface WorkConfig {
  file: string;
  hasPassword: boolean;
  /** A digest of the password the work config holds (kept beside it), so an unchanged one is not set again. */
  passwordDigest?: string;
}

/** One-way digest of a password: enough to tell it is unchanged, never enough to recover it. */
export const passwordDigest = (password: string) => crypto.createHash("sha256").update(`hotel-work-config\0${password}`).digest("hex");
const digestFile = (work: Pick<WorkConfig, "file">) => `${work.file}.digest`;

/** Notes which password the work config now holds (after `config set --secret`). */
export function recordPasswordDigest(work: WorkConfig, password: string): void {
  fs.writeFileSync(digestFile(work), passwordDigest(password), { mode: 0o600 });
}

/**
 * The config file the engine runs with: the stage file's config, plus the encrypted
 * password and the salt kept from earlier runs, plus the render directory.
 */
export function writeWorkConfig(o: EngineOptions, stateDir: string, salt?: string): WorkConfig {
  const file = path.join(stateDir, "config", `Pulumi.${o.stage}.yaml`);
  const previous = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) ?? {}) : {};
  const config: Record<string, any> = readStageFile(o.stageFile ?? stageFilePath(o.stage, o.projectDir));
  const secret = previous.config?.[PASSWORD_CONFIG];
  if (secret) config[PASSWORD_CONFIG] = secret;
  if (o.localImages) {
    const images = `${NAMESPACE}:images`;
    const app = `${NAMESPACE}:app`;
    config[images] = { ...(config[images] ?? {}), ...o.localImages.images };
    config[app] = { ...(config[app] ?? {}), image: o.localImages.app };
  }
  if (o.renderDir) {
    const k8sKey = `${NAMESPACE}:kubernetes`;
    config[k8sKey] = { ...(config[k8sKey] ?? {}), renderYamlToDirectory: privateRenderDir(backendOf(o).url, o.stage) };
  }
  const doc: Record<string, any> = {};
  const keptSalt = previous.encryptionsalt ?? salt;
  if (keptSalt) doc.encryptionsalt = keptSalt;
  doc.config = config;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, stringify(doc), { mode: 0o600 });
  const digest = secret && fs.existsSync(digestFile({ file })) ? fs.readFileSync(digestFile({ file }), "utf8").trim() : undefined;
  return { file, hasPassword: Boolean(secret), passwordDigest: digest };
}

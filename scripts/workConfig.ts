/**
 * Writes the stack config file the engine runs with (<state dir>/config/Pulumi.<stage>.yaml):
 * the stage file (Pulumi.<stage>.yaml, or $HOTEL_STAGE_FILE), plus what must not be committed (the encrypted
 * password and its salt, kept from the previous run) and, with --render <dir>, the
 * Kubernetes provider's renderYamlToDirectory. Prints the file's path.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { PROJECT_DIR } from "../lib/mockRun";

const [stage, flag, renderDir] = process.argv.slice(2);
if (!stage) throw new Error("usage: workConfig.ts <stage> [--render <dir>]");
const stageFile = process.env.HOTEL_STAGE_FILE ?? path.join(PROJECT_DIR, `Pulumi.${stage}.yaml`);
const committed = parse(fs.readFileSync(stageFile, "utf8")) ?? {};
const file = path.join(process.env.HOTEL_STATE_DIR ?? path.join(PROJECT_DIR, ".pulumi-state"), "config", `Pulumi.${stage}.yaml`);
const previous = fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) ?? {} : {};

const config: Record<string, any> = { ...(committed.config ?? {}) };
const secret = previous.config?.["hotel:postgresPassword"];
if (secret) config["hotel:postgresPassword"] = secret;
if (flag === "--render") {
  config["hotel:kubernetes"] = { ...(config["hotel:kubernetes"] ?? {}), renderYamlToDirectory: path.resolve(renderDir) };
}
const out: Record<string, any> = {};
const salt = previous.encryptionsalt ?? process.env.HOTEL_ENCRYPTION_SALT;
if (salt) out.encryptionsalt = salt;
out.config = config;
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, stringify(out));
console.log(file);

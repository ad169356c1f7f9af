/**
 * Writes every stage's rendered quick-win artifacts to rendered/<stage>/artifacts/:
 * what the program produces from the stage file (redis.conf, the reconcile script,
 * the alert rules and their routing, the app's settings), for review in pull requests. CI regenerates
 * them and fails when the committed ones are stale.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR, stageConfig } from "../config/stages";
import { STAGES } from "../contract/project";
import { parseDocument } from "yaml";
import { pulumiDeclarations } from "../config/knobs";
import { SCHEMA } from "../config/schema";
import { appContractTable } from "../render/appEnv";
import { runStage } from "../harness/mockRun";
import { RECONCILE_SQL_FILE, REDIS_CONF_FILE } from "../contract/files";
import { renderGrafanaProvisioning } from "../render/dashboard";

export async function writeArtifacts(stage: string, root = path.join(PROJECT_DIR, "rendered")): Promise<string[]> {
  const run = await runStage(stage);
  if (run.error) throw run.error;
  const o = run.outputs as Record<string, any>;
  const dir = path.join(root, stage, "artifacts");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    [REDIS_CONF_FILE]: o.redisConf,
    [RECONCILE_SQL_FILE]: o.reconcileSql,
    "alert-rules.yml": o.alertRules,
    "alertmanager.yml": o.alertmanagerConfig,
    "app.env":
      Object.entries(o.appSettings as Record<string, string>)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n") + "\n",
    "grafana-dashboard.json": o.grafanaDashboard,
    ...grafanaProvisioning(stage),
  };
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return Object.keys(files).map((f) => path.join(dir, f));
}

/** A Docker stage has no Grafana: its artifacts carry the provisioning files a local Grafana would load. */
function grafanaProvisioning(stage: string): Record<string, string> {
  const c = stageConfig(stage);
  if (c.platform !== "docker") return {};
  const p = renderGrafanaProvisioning(c);
  return { "grafana/provisioning/dashboards/hotel.yaml": p.dashboards, "grafana/provisioning/datasources/hotel.yaml": p.datasources };
}

/**
 * Pulumi.yaml with its `config:` block as the schema declares it (config/schema.ts):
 * the keys, their types, defaults and descriptions are never written by hand.
 */
export function projectFileWithSchema(text: string): string {
  const doc = parseDocument(text);
  doc.set("config", doc.createNode(pulumiDeclarations(SCHEMA)));
  return doc.toString({ lineWidth: 0 });
}

const CONTRACT = /<!-- contract:start -->[\s\S]*<!-- contract:end -->/;

/** docs/APP_CONTRACT.md with its table generated from the renderer's variable list (dev's values). */
export function contractDocWithTable(text: string): string {
  return text.replace(CONTRACT, `<!-- contract:start -->\n${appContractTable(stageConfig("dev"))}\n<!-- contract:end -->`);
}

if (require.main === module) {
  (async () => {
    const projectFile = path.join(PROJECT_DIR, "Pulumi.yaml");
    fs.writeFileSync(projectFile, projectFileWithSchema(fs.readFileSync(projectFile, "utf8")));
    console.log("Pulumi.yaml");
    const contractFile = path.join(PROJECT_DIR, "docs", "APP_CONTRACT.md");
    fs.writeFileSync(contractFile, contractDocWithTable(fs.readFileSync(contractFile, "utf8")));
    console.log("docs/APP_CONTRACT.md");
    for (const stage of STAGES) for (const f of await writeArtifacts(stage)) console.log(path.relative(PROJECT_DIR, f));
  })().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}

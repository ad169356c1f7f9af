/**
 * npm run summary -- [--base <git ref>] [--out <file>]
 * For every stage file that differs from the base ref (default HEAD), prints a short
 * markdown summary for a pull request: which quick wins changed, which resources and
 * properties change (program under mocks, base config vs working tree), and the
 * policy pack's result on the new config.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { parse } from "yaml";
import { diffResources } from "./resourceDiff";
import { setDiff, unifiedDiff } from "./textDiff";
import { QUICK_WINS } from "../../config/quickWins";
import { PROJECT_DIR } from "../../config/stages";
import { STAGES } from "../../contract/project";
import { runStage } from "../../harness/mockRun";
import { mandatory, runPack } from "../../harness/policyRunner";
import { flagValue } from "../../lib/flags";

const TITLES: Record<string, string> = Object.fromEntries(QUICK_WINS.map((q) => [q.key, `${q.n}. ${q.title}`]));

function atRef(ref: string, file: string): string | undefined {
  try {
    return execFileSync("git", ["show", `${ref}:${file}`], { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "ignore"] }).toString();
  } catch {
    return undefined;
  }
}

/** A value for a table cell: short scalars verbatim, long texts by their size. */
function show(v: unknown): string {
  if (v === undefined) return "(none)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  if (text.includes("\n")) return `(${text.split("\n").length} lines)`;
  const shortened = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `\`${shortened.replace(/\|/g, "\\|")}\``;
}

const cell = (s: string) => `\`${s.replace(/\|/g, "\\|")}\``;

/**
 * One property's change, as a reviewer reads it: a list of flags as what it gained and
 * lost (positions shift with every flag), a multi-line text as "see the diff below",
 * anything else as before → after.
 */
function describe(path: string, v: { before: unknown; after: unknown }, texts: string[]): string {
  if (Array.isArray(v.before) && Array.isArray(v.after)) {
    const d = setDiff(v.before, v.after);
    return `\`${path}\`: ${[...d.added.map((x) => `+ ${cell(x)}`), ...d.removed.map((x) => `- ${cell(x)}`)].join(" ") || "reordered"}`;
  }
  if ([v.before, v.after].some((x) => typeof x === "string" && x.includes("\n"))) {
    texts.push(`\`${path}\`\n\n\`\`\`diff\n${unifiedDiff(String(v.before ?? ""), String(v.after ?? ""))}\n\`\`\``);
    return `\`${path}\`: text changed (diff below)`;
  }
  return `\`${path}\`: ${show(v.before)} → ${show(v.after)}`;
}

/** @param readNow the stage file as it is now (the working tree, unless a test says otherwise) */
export async function summarize(base: string, readNow = (file: string) => fs.readFileSync(`${PROJECT_DIR}/${file}`, "utf8")): Promise<string> {
  const out: string[] = [];
  for (const stage of STAGES) {
    const file = `Pulumi.${stage}.yaml`;
    const before = atRef(base, file);
    const now = readNow(file);
    if (before === now) continue;
    const a = (before ? parse(before)?.config : {}) ?? {};
    const b = parse(now)?.config ?? {};
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    out.push(`### Stage \`${stage}\``, "", `Quick wins changed: ${keys.map((k) => TITLES[k] ?? `\`${k}\``).join("; ") || "none"}`, "");
    const runA = await runStage(stage, { config: a });
    const runB = await runStage(stage, { config: b });
    if (runB.error) {
      out.push("**The new config is rejected before any resource is registered:**", "", "```", runB.error.message, "```", "");
      continue;
    }
    const changes = diffResources(runA.resources, runB.resources);
    out.push("| resource | change | properties |", "|---|---|---|");
    const texts: string[] = [];
    for (const c of changes) {
      const props = c.paths.map((p, i) => (c.values ? describe(p, c.values[i], texts) : `\`${p}\``));
      out.push(`| \`${c.resource.replace("::", "` `")}\` | ${c.kind} | ${props.join("<br>")} |`);
    }
    if (changes.length === 0) out.push("| (none) | | |");
    if (texts.length) out.push("", "<details><summary>Text changes</summary>", "", ...texts, "", "</details>");
    const vs = runPack(runB.resources);
    const m = mandatory(vs);
    out.push("", `Policy pack: ${m.length === 0 ? "**pass**" : `**${m.length} mandatory violation(s)**`}, ${vs.length - m.length} advisory`);
    for (const v of vs) out.push(`- [${v.level}] \`${v.policy}\`: ${v.message}`);
    out.push("");
  }
  return out.length ? [`## Stack config changes (vs \`${base}\`)`, "", ...out].join("\n") : `No stage file differs from \`${base}\`.`;
}

if (require.main === module) {
  const arg = (flag: string) => flagValue(process.argv, flag);
  summarize(arg("--base") ?? "HEAD")
    // --out: the markdown into a file too (CI posts it as the pull request's comment).
    .then((s) => (console.log(s), arg("--out") && fs.writeFileSync(arg("--out")!, s + "\n")))
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}

/** Runs Prometheus's own promtool and amtool on rendered rules and routing. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export interface PromtoolResult {
  status: number;
  output: string;
}

/** Runs a tool in a temp folder holding `files` (name -> text), then removes the folder. */
function runTool(tool: string, files: Record<string, string>, args: string[]): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hotel-${tool}-`));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const res = spawnSync(tool, args, { cwd: dir, encoding: "utf8" });
    if (res.error) throw new Error(`${tool} could not run: ${res.error.message}`);
    return { status: res.status ?? 1, output: `${res.stdout}${res.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function checkRules(rulesYaml: string): PromtoolResult {
  return runTool("promtool", { "rules.yml": rulesYaml }, ["check", "rules", "rules.yml"]);
}

export interface Series {
  series: string;
  values: string;
}

export interface AlertExpectation {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

/** `promtool test rules` on one unit-test file whose input is `series` (1 m apart). */
export function testRules(rulesYaml: string, series: Series[], expectations: AlertExpectation[]): PromtoolResult {
  const unit = {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [{ interval: "1m", input_series: series, alert_rule_test: expectations }],
  };
  return runTool("promtool", { "rules.yml": rulesYaml, "test.yml": stringify(unit, { lineWidth: 0 }) }, ["test", "rules", "test.yml"]);
}

/** A counter's samples, one a minute, from per-minute increments. */
export function counter(increments: number[]): string {
  let total = 0;
  const values = [0];
  for (const inc of increments) values.push((total += inc));
  return values.map((v) => String(Math.round(v))).join(" ");
}

/**
 * Histogram bucket series for a request-latency distribution. `cumulative` gives, per
 * minute, the fraction of requests at or below each bucket boundary (seconds).
 */
export function histogram(
  metric: string,
  labels: string,
  boundaries: number[],
  perMinute: { requests: number; cumulative: (le: number) => number }[],
): Series[] {
  const les = [...boundaries.map(String), "+Inf"];
  return les.map((le, i) => ({
    series: `${metric}_bucket{${labels},le="${le}"}`,
    values: counter(perMinute.map((m) => m.requests * (le === "+Inf" ? 1 : m.cumulative(boundaries[i])))),
  }));
}

/**
 * `amtool check-config` and `amtool config routes test` (Debian package
 * `prometheus-alertmanager`); "{config}" in `args` stands for the config file.
 */
export function amtool(alertmanagerYaml: string, args: string[]): PromtoolResult {
  return runTool("amtool", { "alertmanager.yml": alertmanagerYaml }, args.map((a) => a.replace("{config}", "alertmanager.yml")));
}

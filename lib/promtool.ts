/** Runs Prometheus's own promtool (Debian package `prometheus`) on rendered rules. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

export interface PromtoolResult {
  status: number;
  output: string;
}

function run(args: string[], cwd: string): PromtoolResult {
  const res = spawnSync("promtool", args, { cwd, encoding: "utf8" });
  if (res.error) throw new Error(`promtool could not run: ${res.error.message}`);
  return { status: res.status ?? 1, output: `${res.stdout}${res.stderr}` };
}

export function checkRules(rulesYaml: string): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-promtool-"));
  try {
    fs.writeFileSync(path.join(dir, "rules.yml"), rulesYaml);
    return run(["check", "rules", "rules.yml"], dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-promtool-"));
  try {
    fs.writeFileSync(path.join(dir, "rules.yml"), rulesYaml);
    const unit = {
      rule_files: ["rules.yml"],
      evaluation_interval: "1m",
      tests: [{ interval: "1m", input_series: series, alert_rule_test: expectations }],
    };
    fs.writeFileSync(path.join(dir, "test.yml"), stringify(unit, { lineWidth: 0 }));
    return run(["test", "rules", "test.yml"], dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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

/** `amtool check-config` and `amtool config routes test` (Debian package `prometheus-alertmanager`). */
export function amtool(alertmanagerYaml: string, args: string[]): PromtoolResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-amtool-"));
  try {
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), alertmanagerYaml);
    const res = spawnSync("amtool", args.map((a) => a.replace("{config}", "alertmanager.yml")), { cwd: dir, encoding: "utf8" });
    if (res.error) throw new Error(`amtool could not run: ${res.error.message}`);
    return { status: res.status ?? 1, output: `${res.stdout}${res.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

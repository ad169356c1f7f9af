/** Alert rules as the pack reads them: from a PrometheusRule, or a rules file in a ConfigMap or container. */
import { ResourceValidation, validateResourceOfType } from "@pulumi/policy";
import { parse } from "yaml";
import { Check, Files, onFiles } from "./files";
import { PrometheusRule } from "./types";

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

type Groups = { rules?: AlertRule[] }[];

/**
 * The alerts of rule groups, each with its expression expanded: a recorded series it
 * reads is replaced by the recording's own expression, so the checks see what the
 * alert really computes (a quantile without `sum by (le)` hidden in a recording too).
 */
function alertsIn(groups: Groups | undefined): AlertRule[] {
  const rules = (groups ?? []).flatMap((g) => g.rules ?? []);
  const recorded = rules.filter((r) => r.record).map((r) => [r.record!, r.expr] as const);
  const expand = (expr: string) => recorded.reduce((e, [name, def]) => e.split(name).join(`(${def})`), expr);
  return rules.filter((r) => r.alert).map((r) => ({ ...r, expr: expand(r.expr) }));
}

function rulesFiles(files: Files): AlertRule[] {
  return Object.entries(files)
    .filter(([name]) => /\.rules\.ya?ml$/.test(name))
    .flatMap(([, text]) => alertsIn((parse(text) ?? {}).groups));
}

/** Runs `check` on every alerting rule the resource carries. */
export function onAlertRules(check: Check<AlertRule>): ResourceValidation[] {
  return [
    validateResourceOfType(PrometheusRule, (r, args, report) => {
      for (const rule of alertsIn((r.spec as { groups?: Groups } | undefined)?.groups)) check(rule, report, args);
    }),
    ...onFiles((files, report, args) => {
      for (const rule of rulesFiles(files)) check(rule, report, args);
    }),
  ];
}

/**
 * The number after an alert expression's first comparison ("... > 0.05"); a guard that
 * follows it (`and on() <request rate> > 0.5`) is not the threshold.
 */
export function threshold(expr: string): number | undefined {
  const m = /\s[><]=?\s*([0-9.eE+-]+)(\s|$)/.exec(expr.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * The few netfilter moves the lab makes on the host: a chain of our own, jumped to first
 * from a built-in or Docker chain, with a counting drop as its last rule, and removed
 * again when what needed it stops. Used by the real node and the project's dockerd.
 */
import { spawnSync } from "child_process";

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[]): Run {
  const res = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: res.status ?? -1, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}

export function must(cmd: string, args: string[]): string {
  const res = run(cmd, args);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${res.stderr.trim()}`);
  return res.stdout;
}

const chainExists = (chain: string) => run("iptables", ["-w", "-S", chain]).status === 0;

/** Creates `chain` with `rules` when missing, and makes the jump to it the first rule of `from`. */
export function ensureFirstJump(chain: string, from: string, rules: string[][]): void {
  if (!chainExists(chain)) {
    must("iptables", ["-w", "-N", chain]);
    for (const rule of rules) must("iptables", ["-w", "-A", chain, ...rule]);
  }
  const first = run("iptables", ["-w", "-S", from, "1"]).stdout.trim();
  if (first !== `-A ${from} -j ${chain}`) {
    run("iptables", ["-w", "-D", from, "-j", chain]);
    must("iptables", ["-w", "-I", from, "1", "-j", chain]);
  }
}

/** Removes every jump from `from` to `chain`, then the chain; false when it did not exist. */
export function removeChain(chain: string, from: string): boolean {
  if (!chainExists(chain)) return false;
  while (run("iptables", ["-w", "-D", from, "-j", chain]).status === 0) {
    /* every jump */
  }
  run("iptables", ["-w", "-F", chain]);
  run("iptables", ["-w", "-X", chain]);
  return true;
}

/** The packets the DROP rules of `chain` have counted (0 when nothing tried to leave). */
export function dropCount(chain: string): number {
  const out = must("iptables", ["-w", "-L", chain, "-v", "-n", "-x"]);
  const drops = out.split("\n").filter((l) => /\bDROP\b/.test(l));
  if (!drops.length) throw new Error(`no DROP rule in ${chain}:\n${out}`);
  return drops.reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0]), 0);
}

/** The rule `iptables -S` prints first in `chain`. */
export const firstRule = (chain: string) => run("iptables", ["-w", "-S", chain, "1"]).stdout.trim();

/** The words of an `iptables -S` rule, with its double-quoted comments kept whole. */
export const ruleWords = (rule: string): string[] => [...rule.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);

/**
 * What Docker adds to the host when our dockerd starts and leaves there when it stops:
 * the docker0 bridge and one bridge per network (br-<id>), its iptables chains (DOCKER,
 * DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2) in the filter and nat tables with the rules
 * elsewhere that jump to them or name its bridges (FORWARD's accepts, POSTROUTING's
 * masquerades), and the FORWARD policy it turns to DROP. What was there before our
 * dockerd started is recorded beside its data and kept; the rest goes once it stops,
 * unless another dockerd runs (it would share all of it). net.ipv4.ip_forward is left:
 * the real node needs it too and sets it itself.
 */
import * as fs from "fs";
import { must, ruleWords, run } from "../netfilter";

const TABLES = ["filter", "nat"] as const;
type Table = (typeof TABLES)[number];

/** Docker's link names: its default bridge, and br- with the first 12 hex digits of a network's ID. */
const DOCKER_LINK = /^(docker0|br-[0-9a-f]{12})$/;
const DOCKER_CHAIN = /^DOCKER/;

export interface HostNetwork {
  links: string[];
  /** `iptables -t <table> -S`, line by line. */
  rules: Record<Table, string[]>;
}

function readHostNetwork(): HostNetwork {
  const links = [...run("ip", ["-o", "link", "show"]).stdout.matchAll(/^\d+: ([^@:]+)/gm)].map((m) => m[1]);
  const rules = Object.fromEntries(TABLES.map((t) => [t, must("iptables", ["-w", "-t", t, "-S"]).split("\n").filter(Boolean)])) as Record<Table, string[]>;
  return { links, rules };
}

const chainsOf = (rules: string[]) => rules.filter((l) => l.startsWith("-N ")).map((l) => l.slice(3));
const policyOf = (rules: string[], chain: string) => rules.find((l) => l.startsWith(`-P ${chain} `))?.split(" ")[2];

/**
 * The commands that take the host back to `before` as far as Docker changed it: rules
 * that name a chain or a bridge Docker added (outside its chains), then its chains
 * (flushed, then deleted), the FORWARD policy, then its bridges. Pure: `now` is read by
 * the caller.
 */
export function footprintRemoval(before: HostNetwork, now: HostNetwork): string[][] {
  const links = now.links.filter((l) => DOCKER_LINK.test(l) && !before.links.includes(l));
  const commands: string[][] = [];
  for (const table of TABLES) {
    const added = chainsOf(now.rules[table]).filter((c) => DOCKER_CHAIN.test(c) && !chainsOf(before.rules[table]).includes(c));
    const names = (rule: string) => {
      const w = ruleWords(rule);
      return w.some((word, i) => (word === "-j" && added.includes(w[i + 1])) || ((word === "-i" || word === "-o") && links.includes(w[i + 1])));
    };
    const outside = now.rules[table].filter((l) => l.startsWith("-A ") && !added.includes(l.split(" ")[1]) && names(l) && !before.rules[table].includes(l));
    commands.push(...outside.map((l) => ["iptables", "-w", "-t", table, "-D", ...ruleWords(l.slice(3))]));
    commands.push(...added.map((c) => ["iptables", "-w", "-t", table, "-F", c]));
    commands.push(...added.map((c) => ["iptables", "-w", "-t", table, "-X", c]));
  }
  const policy = policyOf(before.rules.filter, "FORWARD");
  if (policy && policy !== policyOf(now.rules.filter, "FORWARD")) commands.push(["iptables", "-w", "-P", "FORWARD", policy]);
  commands.push(...links.map((l) => ["ip", "link", "del", l]));
  return commands;
}

/** Records the host's network before our dockerd first starts (kept if a dockerd killed earlier left one). */
export function recordBeforeDocker(file: string): void {
  if (!fs.existsSync(file)) fs.writeFileSync(file, JSON.stringify(readHostNetwork()));
}

/** Takes away what Docker added since the record, once no dockerd runs; returns what it removed. */
export function removeDockerFootprint(file: string): string[] {
  if (!fs.existsSync(file) || run("pgrep", ["-x", "dockerd"]).status === 0) return [];
  const commands = footprintRemoval(JSON.parse(fs.readFileSync(file, "utf8")), readHostNetwork());
  const done = commands.filter(([cmd, ...args]) => run(cmd, args).status === 0).map((c) => c.join(" "));
  fs.rmSync(file);
  return done;
}

/**
 * Where a test run's CPU went, by kind of process, from the kernel's process accounting
 * (scripts/test-cpu.sh records it; `dump-acct` prints it). The run is CPU-bound on
 * 2 cores (docs/BUDGET.md), so this, not the wall clock per file, says what to cut.
 *
 * The record of a process holds its 15-character name, its parent's PID and its CPU
 * time, not its arguments: Node.js processes are told apart by the nearest ancestor that
 * is not Node.js or a shell (a language host runs the program and the policy pack, a
 * `pulumi-resource-*` script the dynamic provider, the test runner everything else).
 * A record holds the parent of the moment the process ended: the CLI closes a language
 * host by killing its process group, so the program or pack it ran dies with it, is
 * handed to PID 1 and has no parent in the record; it is told by its end, with its host's.
 *
 * Usage: node --require ./lib/transpileHook.js bench/testCpu.ts <dump-acct output>
 */
import * as fs from "fs";

interface Proc {
  name: string;
  cpu: number;
  start: number;
  end: number;
  pid: number;
  ppid: number;
}

/** The kernel counts in ticks of 1/100 s (AHZ); dump-acct prints the start to the second. */
const TICK = 0.01;

function parseLine(line: string): Proc | undefined {
  const f = line.split("|").map((s) => s.trim());
  if (f.length < 15) return undefined;
  const start = Date.parse(f[14]) / 1000;
  const cpu = (Number(f[2]) + Number(f[3])) * TICK;
  return { name: f[0], cpu, start, end: start + Number(f[4]) * TICK, pid: Number(f[9]), ppid: Number(f[10]) };
}

/** The parent record: same PID, alive when the child started (PIDs wrap at 32768 in a long run). */
function parentFinder(procs: Proc[]): (p: Proc) => Proc | undefined {
  const byPid = new Map<number, Proc[]>();
  for (const p of procs) byPid.set(p.pid, [...(byPid.get(p.pid) ?? []), p]);
  return (child) => byPid.get(child.ppid)?.find((q) => q !== child && q.start <= child.start + 1 && q.end + 1 >= child.start);
}

const PASSTHROUGH = new Set(["node", "sh", "bash", "npm exec", "npx"]);
const LANGUAGE_HOST = "pulumi-language";
const PROGRAM_OR_PACK = "node: program or policy pack";

/** A Node.js process handed to PID 1 that ended when a language host it could belong to ended (the records' times are to the second). */
function killedWithHost(p: Proc, hosts: Proc[]): boolean {
  return p.ppid === 1 && hosts.some((h) => h.start <= p.start + 1 && Math.abs(h.end - p.end) <= 1.5);
}

/** What a process is, for the table: its name, or for Node.js the role its ancestors give it. */
function classify(p: Proc, parentOf: (p: Proc) => Proc | undefined, hosts: Proc[]): string {
  if (p.name !== "node") return p.name;
  if (killedWithHost(p, hosts)) return PROGRAM_OR_PACK;
  for (let q = parentOf(p), hops = 0; q && hops < 20; q = parentOf(q), hops++) {
    if (PASSTHROUGH.has(q.name)) continue;
    if (q.name.startsWith(LANGUAGE_HOST)) return PROGRAM_OR_PACK;
    if (q.name.startsWith("pulumi-resource")) return "node: dynamic provider";
    if (q.name.startsWith("pulumi-analyzer")) return "node: policy pack";
    return `node under ${q.name}`;
  }
  return "node: test runner, commands";
}

function main(file: string): void {
  const procs = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map(parseLine)
    .filter((p): p is Proc => p !== undefined);
  const parentOf = parentFinder(procs);
  const hosts = procs.filter((p) => p.name.startsWith(LANGUAGE_HOST));
  const rows = new Map<string, { cpu: number; count: number }>();
  for (const p of procs) {
    const key = classify(p, parentOf, hosts);
    const row = rows.get(key) ?? { cpu: 0, count: 0 };
    row.cpu += p.cpu;
    row.count += 1;
    rows.set(key, row);
  }
  const total = [...rows.values()].reduce((s, r) => s + r.cpu, 0);
  console.log(`${"process".padEnd(36)} ${"CPU s".padStart(8)} ${"share".padStart(6)} ${"count".padStart(7)}`);
  for (const [key, r] of [...rows].sort((a, b) => b[1].cpu - a[1].cpu).slice(0, 40)) {
    console.log(`${key.padEnd(36)} ${r.cpu.toFixed(1).padStart(8)} ${`${((100 * r.cpu) / total).toFixed(1)}%`.padStart(6)} ${String(r.count).padStart(7)}`);
  }
  console.log(`${"total".padEnd(36)} ${total.toFixed(1).padStart(8)}`);
}

main(process.argv[2] ?? "/dev/stdin");

/**
 * Real servers for tests and benchmarks: redis-server and PostgreSQL 15 from Debian,
 * started as child processes on free loopback ports with data in a temp folder, and
 * stopped afterwards. A server that cannot start throws (tests fail, never skip).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import Redis from "ioredis";
import { Client } from "pg";

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, proc: ChildProcess, log: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${log()}`);
    try {
      if (await check()) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGKILL");
  throw new Error(`${what} did not become ready in ${timeoutMs} ms:\n${log()}`);
}

function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(signal);
  });
}

export interface RedisServer {
  port: number;
  dir: string;
  client(): Redis;
  stop(): Promise<void>;
}

/**
 * Starts redis-server with `conf` as its config file, unchanged; only the port and the
 * working directory are given on the command line (they override the file's).
 */
export async function startRedis(conf: string): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-redis-"));
  const confPath = path.join(dir, "redis.conf");
  fs.writeFileSync(confPath, conf);
  const port = await freePort();
  let log = "";
  const proc = spawn("redis-server", [confPath, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout!.on("data", (d) => (log += d));
  proc.stderr!.on("data", (d) => (log += d));
  proc.on("error", (e) => (log += `spawn error: ${e.message}`));
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis({ port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  await waitFor("redis-server", async () => {
    if (probe.status !== "ready") await probe.connect().catch(() => undefined);
    return (await probe.ping()) === "PONG";
  }, proc, () => log);
  probe.disconnect();
  return {
    port,
    dir,
    client,
    async stop() {
      for (const c of clients) c.disconnect();
      await stopProcess(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PostgresServer {
  port: number;
  dir: string;
  url: string;
  connect(): Promise<Client>;
  /**
   * Runs a script with psql from a file, the way the stack does (autocommit,
   * ON_ERROR_STOP); resolves with its output. Throws when psql fails.
   */
  psqlScript(sql: string, extraArgs?: string[]): Promise<string>;
  /** What the server has logged so far (stderr). */
  serverLog(): string;
  stop(): Promise<void>;
}

function asPostgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  // initdb refuses to run as root: run the server as Debian's postgres user.
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}

/** initdb + postgres, with `conf` (rendered postgresql.conf lines) included by postgresql.conf. */
export async function startPostgres(conf: string): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-pg-"));
  const data = path.join(dir, "data");
  const ids = asPostgresUser();
  if (ids.uid !== undefined) fs.chownSync(dir, ids.uid, ids.gid!);
  execFileSync(`${PG_BIN}/initdb`, ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], { ...ids, stdio: "pipe" });
  const confFile = path.join(data, "hotel.conf");
  fs.writeFileSync(confFile, conf);
  if (ids.uid !== undefined) fs.chownSync(confFile, ids.uid, ids.gid!);
  fs.appendFileSync(path.join(data, "postgresql.conf"), "\ninclude 'hotel.conf'\n");
  const port = await freePort();
  let log = "";
  const proc = spawn(
    `${PG_BIN}/postgres`,
    ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`, "-c", "fsync=off"],
    { ...ids, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout!.on("data", (d) => (log += d));
  proc.stderr!.on("data", (d) => (log += d));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const clients: Client[] = [];
  const connect = async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return c;
  };
  await waitFor("postgres", async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.end();
    return true;
  }, proc, () => log);
  return {
    port,
    dir,
    url,
    connect,
    psqlScript(sql, extraArgs = []) {
      const file = path.join(dir, `script-${Date.now()}-${Math.random().toString(36).slice(2)}.sql`);
      fs.writeFileSync(file, sql);
      const args = ["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", ...extraArgs, "-f", file];
      return new Promise((resolve, reject) => {
        const child = spawn(`${PG_BIN}/psql`, args, { env: { ...process.env, PGAPPNAME: "hotel-stack-reconcile" } });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("error", (e) => reject(new Error(`psql could not run: ${e.message}`)));
        child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`psql failed (${code}):\n${output}`))));
      });
    },
    serverLog: () => log,
    async stop() {
      for (const c of clients) await c.end().catch(() => undefined);
      await stopProcess(proc, "SIGINT");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Quick win 3 on a real redis-server started from the stack's rendered redis.conf.
 * The eviction tests use the same renderer with a small maxmemory, so that a few
 * tens of MB of traffic put the server under pressure.
 */
import test from "ava";
import Redis from "ioredis";
import { RawConfig } from "../../config/stages";
import { startRedis } from "../../lab/servers";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "../../lab/servers";
import { REDIS_AUTH_DIR, REDIS_CONF_DIR, redisServerArgs, renderRedisAuth, renderRedisConf } from "../../render/redisConf";
import { stageConfig } from "../helpers";

const VALUE = "v".repeat(1024);

function confFor(stage: string, redis: Record<string, unknown> = {}): string {
  return renderRedisConf(stageConfig(stage, (c: RawConfig) => (c["hotel:redis"] = { ...(c["hotel:redis"] ?? {}), ...redis })).redis);
}

async function configGet(c: Redis, key: string): Promise<string> {
  const [, value] = (await c.config("GET", key)) as string[];
  return value;
}

/** Writes `count` never-read cache keys (with a TTL) in pipelined batches. */
async function flood(c: Redis, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(count, i + 1000); j++) p.set(`${prefix}:${j}`, VALUE, "EX", 300);
    await p.exec();
  }
}

async function survivors(c: Redis, keys: string[]): Promise<number> {
  const p = c.pipeline();
  // EXISTS does not touch the LRU clock or LFU counter.
  for (const k of keys) p.exists(k);
  const res = (await p.exec())!;
  return res.filter(([, v]) => v === 1).length;
}

test.serial("the server reports the rendered maxmemory, policy and LFU knobs", async (t) => {
  const srv = await startRedis(confFor("dev"));
  try {
    const c = srv.client();
    t.is(await configGet(c, "maxmemory"), String(1024 ** 3));
    t.is(await configGet(c, "maxmemory-policy"), "allkeys-lfu");
    t.is(await configGet(c, "lfu-log-factor"), "10");
    t.is(await configGet(c, "lfu-decay-time"), "1");
    t.is(await configGet(c, "maxmemory-samples"), "5");
    await c.set("availability:2026-12-01:2026-12-05", "{}", "EX", 300);
    for (let i = 0; i < 50; i++) await c.get("availability:2026-12-01:2026-12-05");
    const freq = (await c.object("FREQ", "availability:2026-12-01:2026-12-05")) as number;
    t.true(freq > 0, `OBJECT FREQ = ${freq}`);
  } finally {
    await srv.stop();
  }
});

test.serial("OBJECT FREQ is refused under the before (LRU) config", async (t) => {
  const srv = await startRedis(confFor("prod"));
  try {
    const c = srv.client();
    t.is(await configGet(c, "maxmemory-policy"), "allkeys-lru");
    await c.set("k", "v");
    await t.throwsAsync(() => c.object("FREQ", "k"), { message: /LFU maxmemory policy is not selected/ });
  } finally {
    await srv.stop();
  }
});

test.serial("CONFIG SET (the roadmap's step) is lost on restart; the rendered file is not", async (t) => {
  const conf = confFor("prod");
  const first = await startRedis(conf);
  await first.client().config("SET", "maxmemory-policy", "allkeys-lfu");
  t.is(await configGet(first.client(), "maxmemory-policy"), "allkeys-lfu");
  await first.stop();
  const restarted = await startRedis(conf);
  try {
    t.is(await configGet(restarted.client(), "maxmemory-policy"), "allkeys-lru");
  } finally {
    await restarted.stop();
  }
});

async function hotSurvival(policy: string): Promise<number> {
  const srv = await startRedis(confFor("dev", { maxmemory: "16mb", maxmemoryPolicy: policy }));
  try {
    const c = srv.client();
    const hot = Array.from({ length: 500 }, (_, i) => `room_details:${i}`);
    for (const k of hot) await c.set(k, VALUE, "EX", 3600);
    for (let round = 0; round < 30; round++) {
      const p = c.pipeline();
      for (const k of hot) p.get(k);
      await p.exec();
    }
    await flood(c, "availability:scan", 60_000);
    return (await survivors(c, hot)) / hot.length;
  } finally {
    await srv.stop();
  }
}

test.serial("under pressure, frequently read keys survive a one-off scan with LFU, not with LRU", async (t) => {
  const lfu = await hotSurvival("allkeys-lfu");
  const lru = await hotSurvival("allkeys-lru");
  t.log(`hot keys surviving a 60 MB scan through a 16 MB cache: allkeys-lfu ${(lfu * 100).toFixed(1)} %, allkeys-lru ${(lru * 100).toFixed(1)} %`);
  t.true(lfu >= 0.9, `LFU kept ${lfu}`);
  t.true(lfu - lru >= 0.5, `LFU ${lfu} vs LRU ${lru}`);
});

async function locksSurviving(policy: string): Promise<number> {
  const srv = await startRedis(confFor("dev", { maxmemory: "16mb", maxmemoryPolicy: policy, keyspace: "shared" }));
  try {
    const c = srv.client();
    const keep = [...Array.from({ length: 200 }, (_, i) => `lock:room:${i}`), ...Array.from({ length: 200 }, (_, i) => `session:${i}`)];
    // Locks and sessions are written once, without a TTL, and not read again here.
    for (const k of keep) await c.set(k, VALUE);
    await flood(c, "availability", 60_000);
    return await survivors(c, keep);
  } finally {
    await srv.stop();
  }
}

test.serial("keys without a TTL (locks, sessions) are never evicted under volatile-lfu; allkeys-lfu evicts them", async (t) => {
  const volatile = await locksSurviving("volatile-lfu");
  const allkeys = await locksSurviving("allkeys-lfu");
  t.log(`locks+sessions surviving (of 400): volatile-lfu ${volatile}, allkeys-lfu ${allkeys}`);
  t.is(volatile, 400);
  t.true(allkeys < 400, `allkeys-lfu kept ${allkeys} of 400`);
});

test.serial("the server started as the stack starts it (redis.conf, then --include the password file) refuses clients without the password", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hotel-redis-auth-"));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, "redis.conf"), confFor("dev"));
  fs.writeFileSync(path.join(dir, "auth.conf"), renderRedisAuth("redis-pw-4e6f8a"));
  // The stack's own arguments, with the container's folders mapped to the test's (the longer, redis-auth, first).
  const args = redisServerArgs().map((a) => a.replace(REDIS_AUTH_DIR, dir).replace(REDIS_CONF_DIR, dir));
  const server = spawn("redis-server", [...args, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir], { stdio: "ignore" });
  const cli = (auth: string | undefined, ...args: string[]) => {
    const env = { ...process.env };
    delete env.REDISCLI_AUTH;
    if (auth !== undefined) env.REDISCLI_AUTH = auth;
    return spawnSync("redis-cli", ["-p", String(port), ...args], { encoding: "utf8", env }).stdout.trim();
  };
  try {
    for (let i = 0; i < 100 && cli("redis-pw-4e6f8a", "PING") !== "PONG"; i++) await new Promise((r) => setTimeout(r, 100));
    t.is(cli("redis-pw-4e6f8a", "PING"), "PONG");
    t.regex(cli(undefined, "PING"), /^NOAUTH Authentication required/);
    t.regex(cli("wrong-password", "PING"), /^NOAUTH Authentication required/);
    t.deepEqual(cli("redis-pw-4e6f8a", "CONFIG", "GET", "maxmemory-policy").split("\n"), ["maxmemory-policy", "allkeys-lfu"], "redis.conf's settings still apply");
    t.notRegex(fs.readFileSync(path.join(dir, "redis.conf"), "utf8"), /requirepass/);
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

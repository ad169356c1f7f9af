/**
 * Turns the raw values of a stage's `hotel:*` config into a typed StackConfig, or
 * throws one ConfigError that lists every problem. Only well-formedness is decided
 * here (types, units, ranges, known names, values that agree with each other);
 * whether a well-formed value is *safe* for a stage (connection budget, allkeys-* on a
 * shared keyspace, thresholds against the baseline) is the policy pack's call, so that
 * both the engine and CI report it.
 */
import { Problems, show } from "./fields";
import { SCHEMA } from "./schema";
import { STAGE_SECTIONS, StackConfig } from "./types";
import { formatDurationMs } from "./units";
import { NAMESPACE } from "../contract/project";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` + `no resource was registered:\n` + problems.map((x) => `  - ${x}`).join("\n"));
    this.name = "ConfigError";
  }
}

const at = (key: string) => `${NAMESPACE}:${key}`;

function readSections(stage: string, raw: Record<string, unknown>, p: Problems): StackConfig {
  const known = Object.keys(SCHEMA);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) p.add(at(key), raw[key], `unknown key; known keys: ${known.join(", ")}`);
  }
  const config: Record<string, unknown> = { stage };
  for (const name of STAGE_SECTIONS) {
    const s = SCHEMA[name];
    const value = raw[name] === undefined ? (typeof s.default === "function" ? s.default(stage) : s.default) : raw[name];
    config[name] = s.read(value, at(name), p);
  }
  return config as StackConfig;
}

/**
 * Namespaces a stage never takes: the cluster's own (a destroy would delete what the
 * cluster runs on) and the scraper's (the monitoring stack's). Any other namespace that
 * exists is refused at run time, against the cluster (ops/engine/ownership.ts).
 */
const CLUSTER_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

function namespaceChecks(c: StackConfig, raw: Record<string, any>, p: Problems): void {
  const ns = c.kubernetes.namespace;
  if (CLUSTER_NAMESPACES.includes(ns)) p.add(at("kubernetes.namespace"), ns, `expected a namespace of the stage's own, not one of the cluster's (${CLUSTER_NAMESPACES.join(", ")})`);
  else if (ns === c.kubernetes.scraper.namespace) p.add(at("kubernetes.namespace"), ns, "expected a namespace of the stage's own, not kubernetes.scraper.namespace (the monitoring stack's)");
}

/** Values that are well-formed alone but must agree with each other. */
function crossChecks(c: StackConfig, raw: Record<string, any>, p: Problems): void {
  namespaceChecks(c, raw, p);
  const buckets = c.alerts.latencyBuckets;
  if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) {
    p.add(at("alerts.latencyBuckets"), raw.alerts?.latencyBuckets, "expected strictly increasing bucket boundaries");
  }
  if (!buckets.includes(c.alerts.p95Latency)) {
    p.add(
      at("alerts.p95Latency"),
      raw.alerts?.p95Latency ?? SCHEMA.alerts.knobs.p95Latency.default,
      `expected one of alerts.latencyBuckets (${buckets.map(formatDurationMs).join(", ")}): the threshold must be a histogram bucket boundary, or histogram_quantile interpolates inside a wide bucket`,
    );
  }
  if (c.alerts.rateWindow < 4 * c.alerts.evaluationInterval) {
    p.add(
      at("alerts.rateWindow"),
      raw.alerts?.rateWindow ?? SCHEMA.alerts.knobs.rateWindow.default,
      `expected at least 4 x alerts.evaluationInterval (${formatDurationMs(4 * c.alerts.evaluationInterval)}): rate() needs four samples in its window`,
    );
  }
  const seen = new Set<string>();
  c.postgres.indexes.forEach((ix, i) => {
    if (seen.has(ix.name)) p.add(at(`postgres.indexes[${i}]`), ix.name, "expected each index name once");
    seen.add(ix.name);
  });
  if (c.postgres.superuserReservedConnections >= c.postgres.maxConnections) {
    p.add(at("postgres.superuserReservedConnections"), c.postgres.superuserReservedConnections, "expected fewer than postgres.maxConnections");
  }
  // Prometheus refuses a config with two scrape jobs of one name (found by the property test, test/real/configProperty.test.ts).
  const { appJob, redisJob, postgresJob } = c.alerts.metrics;
  distinct("alerts.metrics", { appJob, redisJob, postgresJob }, p, (first, v) => `expected a job name different from alerts.metrics.${first} (${show(v)}): each scrape job needs its own name`);
  distinct("docker", c.docker, p, (first, v) => `expected a host port different from docker.${first} (${show(v)})`);
}

/** Keys of one block that must each hold a different value: a repeat is reported naming the key that had it first. */
function distinct(block: string, values: Record<string, unknown>, p: Problems, allowed: (firstKey: string, value: unknown) => string): void {
  const entries = Object.entries(values);
  entries.forEach(([name, value], i) => {
    const first = entries.findIndex(([, other]) => other === value);
    if (first < i) p.add(at(`${block}.${name}`), value, allowed(entries[first][0], value));
  });
}

export function validateStackConfig(stage: string, raw: Record<string, unknown>): StackConfig {
  const p = new Problems(stage);
  const config = readSections(stage, raw, p);
  crossChecks(config, raw as Record<string, any>, p);
  if (p.list.length > 0) throw new ConfigError(p.list);
  return config;
}

/** Runs index.ts for every shipped stage under Pulumi's mocks and checks what it registers. */
import test from "ava";
import { parse } from "yaml";
import { MOCK_DRAWN_PASSWORDS, MOCK_NEXT_PASSWORD, MOCK_PASSWORD, countByType, runStage } from "../../harness/mockRun";
import { DOCKER, K8S, POSTGRESQL, find, stageConfig } from "../helpers";

test.serial("Kubernetes: the provider is handed an empty kubeconfig (it reads KUBECONFIG itself), not KUBECONFIG's path", async (t) => {
  // The SDK's default is KUBECONFIG's path: recorded in the state, and copied with its credentials into the temp folder on every run.
  const saved = process.env.KUBECONFIG;
  process.env.KUBECONFIG = "/home/operator/.kube/staging";
  try {
    const r = (await runStage("staging")).resources;
    t.is(find(r, "pulumi:providers:kubernetes", "k8s").inputs.kubeconfig, "");
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
});

test.serial("staging registers the Kubernetes stack with quick wins 1-3", async (t) => {
  const run = await runStage("staging");
  t.is(run.error, undefined);
  const r = run.resources;
  t.like(countByType(r), {
    [K8S.statefulSet]: 2,
    [K8S.deployment]: 1,
    [K8S.service]: 3,
    [K8S.networkPolicy]: 2,
    [K8S.prometheusRule]: 1,
    [K8S.alertmanagerConfig]: 1,
    [K8S.job]: 2,
    [K8S.secret]: 5,
  });
  t.false(
    r.some((x) => x.type === K8S.cronJob),
    "cache warming is not on in staging",
  );
  const routing = find(r, K8S.alertmanagerConfig).inputs.spec;
  t.deepEqual(routing.route.routes[0].matchers, [{ name: "severity", value: "critical", matchType: "=" }]);
  // The URLs live in a Secret; the routing names the Secret and key.
  t.deepEqual(routing.receivers[0].webhookConfigs[0], { urlSecret: { name: "alert-rules-webhooks", key: "pager" }, sendResolved: true });
  t.is(find(r, K8S.secret, "alert-rules-webhooks").inputs.stringData.pager, "https://alerts.hotel.internal/hooks/pager");
  t.notRegex(JSON.stringify(routing), /hooks\/pager/);
  const rule = find(r, K8S.prometheusRule);
  const latencyAlert = rule.inputs.spec.groups[0].rules.find((x: { alert?: string }) => x.alert === "HotelApiP95LatencyHigh");
  t.is(latencyAlert.expr, "hotel_api:request_duration_seconds:p95_5m > 0.05");
  t.regex(rule.inputs.spec.groups[0].rules[0].expr, /^histogram_quantile\(0\.95, sum by \(le\)/);
  const settings = find(r, K8S.configMap, "hotel-api-settings").inputs.data;
  t.like(settings, { DB_POOL_SIZE: "25", DB_MAX_OVERFLOW: "5", CACHE_TTL_RESERVATIONS_SECONDS: "900", CACHE_WARM_ON_STARTUP: "false" });
  t.regex(find(r, K8S.configMap, "redis-conf").inputs.data["redis.conf"], /^maxmemory-policy allkeys-lfu$/m);
  const pgArgs: string[] = find(r, K8S.statefulSet, "postgres").inputs.spec.template.spec.containers[0].args;
  t.true(pgArgs.includes("shared_preload_libraries="), "pg_stat_statements is not on in staging");
});

test.serial("prod shows the before state of every quick win", async (t) => {
  const run = await runStage("prod");
  t.is(run.error, undefined);
  const r = run.resources;
  const rules = find(r, K8S.prometheusRule).inputs.spec.groups[0].rules;
  t.regex(rules.find((x: { alert?: string }) => x.alert === "HotelApiP95LatencyHigh").expr, / > 0\.1$/);
  t.like(find(r, K8S.configMap, "hotel-api-settings").inputs.data, { DB_POOL_SIZE: "20", DB_MAX_OVERFLOW: "0", CACHE_TTL_RESERVATIONS_SECONDS: "1800" });
  t.regex(find(r, K8S.configMap, "redis-conf").inputs.data["redis.conf"], /^maxmemory-policy allkeys-lru$/m);
  const script = find(r, K8S.configMap, "postgres-reconcile");
  t.regex(script.inputs.metadata.name, /^postgres-reconcile-[0-9a-f]{16}$/);
  t.notRegex(script.inputs.data["reconcile.sql"], /CREATE INDEX/);
  t.false(r.some((x) => x.type === K8S.cronJob));
});

test.serial("dev runs on Docker with all five quick wins, through @pulumi/postgresql", async (t) => {
  const run = await runStage("dev");
  t.is(run.error, undefined);
  const r = run.resources;
  t.false(r.some((x) => x.type.startsWith("kubernetes:")));
  t.like(countByType(r), { [DOCKER.network]: 1, [DOCKER.container]: 10, [POSTGRESQL.extension]: 1 });
  t.is(find(r, POSTGRESQL.extension).inputs.name, "pg_stat_statements");
  const redis = find(r, DOCKER.container, "redis");
  t.regex(redis.inputs.uploads[0].content, /^maxmemory-policy allkeys-lfu$/m);
  const pg = find(r, DOCKER.container, "postgres");
  t.true(pg.inputs.command.includes("shared_preload_libraries=pg_stat_statements"));
  const reconcile = r.find((x) => x.type === DOCKER.container && x.name.startsWith("postgres-reconcile-"))!;
  t.is((reconcile.inputs.uploads[0].content.match(/CREATE INDEX CONCURRENTLY/g) ?? []).length, 4);
  t.notRegex(reconcile.inputs.uploads[0].content, /CREATE EXTENSION/, "the extension is a @pulumi/postgresql resource on Docker");
  t.true(reconcile.inputs.attach, "the update waits for psql");
  const prom = find(r, DOCKER.container, "alert-rules-prometheus");
  const rules = parse(prom.inputs.uploads[1].content);
  t.is(rules.groups[0].rules.filter((x: { alert?: string }) => x.alert).length, 6);
  t.truthy(find(r, DOCKER.container, "cache-warmer"));
  t.regex(find(r, DOCKER.container, "alert-rules-alertmanager").inputs.uploads[0].content, /receiver: pager/);
  t.regex(prom.inputs.uploads[0].content, /targets:\n\s+- alertmanager:9093/);
});

test.serial("Kubernetes workloads: pinned images, requests and limits, non-root", async (t) => {
  for (const stage of ["staging", "prod"]) {
    const r = (await runStage(stage)).resources;
    const pods = r.flatMap((x) => {
      if (x.type === K8S.statefulSet || x.type === K8S.deployment || x.type === K8S.job) return [x.inputs.spec.template.spec];
      if (x.type === K8S.cronJob) return [x.inputs.spec.jobTemplate.spec.template.spec];
      return [];
    });
    t.true(pods.length >= 4);
    for (const pod of pods) {
      t.true(pod.securityContext.runAsNonRoot);
      for (const c of pod.containers) {
        t.regex(c.image, /:[\w.-]+$|@sha256:/);
        t.notRegex(c.image, /:latest$/);
        t.truthy(c.resources.requests.cpu && c.resources.limits.memory, `${stage}/${c.name}`);
        t.false(c.securityContext.allowPrivilegeEscalation);
      }
    }
  }
});

test.serial("only the app (and its jobs) may reach Redis and PostgreSQL", async (t) => {
  const r = (await runStage("staging")).resources;
  const policies = r.filter((x) => x.type === K8S.networkPolicy);
  t.deepEqual(policies.map((p) => p.inputs.spec.podSelector.matchLabels["app.kubernetes.io/name"]).sort(), ["postgres", "redis"]);
  for (const p of policies) {
    t.deepEqual(p.inputs.spec.policyTypes, ["Ingress"]);
    t.deepEqual(p.inputs.spec.ingress[0].from, [{ podSelector: { matchLabels: { "hotel-reservation/data-access": "true" } } }]);
  }
  const api = find(r, K8S.deployment);
  t.is(api.inputs.spec.template.metadata.labels["hotel-reservation/data-access"], "true");
  const redisLabels = find(r, K8S.statefulSet, "redis").inputs.spec.template.metadata.labels;
  t.is(redisLabels["hotel-reservation/data-access"], undefined);
});

test.serial("stateful sets and their namespace are protected and retained in prod, not in staging", async (t) => {
  const holdsData = (x: { type: string }) => x.type === K8S.statefulSet || x.type === K8S.namespace;
  const prod = (await runStage("prod")).resources.filter(holdsData);
  t.is(prod.length, 3);
  for (const s of prod) {
    t.true(s.protect, s.name);
    t.true(s.retainOnDelete, s.name);
  }
  const staging = (await runStage("staging")).resources.filter(holdsData);
  t.is(staging.length, 3);
  for (const s of staging) t.false(s.protect || s.retainOnDelete, s.name);
});

test.serial("the database password is a secret and stays out of plain inputs", async (t) => {
  const r = (await runStage("staging")).resources;
  const secret = find(r, K8S.secret, "postgres-credentials");
  t.is(secret.inputs.stringData.password, MOCK_PASSWORD);
  t.deepEqual(secret.secretPaths, ["stringData"]);
  const elsewhere = r.filter((x) => x !== secret && JSON.stringify(x.inputs).includes(MOCK_PASSWORD));
  // Only the password resource holds it besides the Secret: its seed, a secret input.
  t.deepEqual(
    elsewhere.map((x) => x.name),
    ["postgres-password"],
  );
  t.deepEqual(elsewhere[0].secretPaths, ["seed"]);
});

test.serial("a bad config stops the program before any resource is registered", async (t) => {
  const run = await runStage("staging", {
    patch: (c) => {
      c["hotel:redis"].maxmemoryPolicy = "allkeys-lfuu";
      c["hotel:dbPool"].maxOverflow = -1;
    },
  });
  t.truthy(run.error);
  t.regex(run.error!.message, /hotel:redis\.maxmemoryPolicy: "allkeys-lfuu" is not allowed; allowed values: noeviction, allkeys-lru, allkeys-lfu/);
  t.regex(run.error!.message, /hotel:dbPool\.maxOverflow: -1 is not allowed; expected an integer from 0 to 500/);
  t.is(run.resources.length, 0);
});

test.serial("no password in any config: the program's own resource holds it (the stock CLI runs with the stage file alone)", async (t) => {
  const run = await runStage("prod", { password: null });
  t.is(run.error, undefined);
  const stored = find(run.resources, "pulumi-nodejs:dynamic:Resource", "postgres-password");
  t.false("seed" in stored.inputs && stored.inputs.seed !== undefined, "no seed");
  t.is(find(run.resources, K8S.secret, "postgres-credentials").inputs.stringData.password, MOCK_PASSWORD, "the mocked resource's drawn password");
  t.is(run.outputs.postgresPassword, MOCK_PASSWORD, "the stack output shows the same password");
});

test.serial("webhook URLs (often with a token) reach only a Secret or a secret upload: the routing output shows them redacted", async (t) => {
  for (const stage of ["dev", "staging"]) {
    const run = await runStage(stage);
    const urls = Object.values(stageConfig(stage).alerts.receivers);
    t.is(urls.length, 2);
    const routing = String(run.outputs.alertmanagerConfig);
    t.is(routing.match(/url: "\[secret\]"/g)?.length, 2, `${stage}: both receivers redacted`);
    for (const url of urls) t.false(routing.includes(url), `${stage}: ${url} not in the output`);
  }
  const dev = await runStage("dev");
  t.deepEqual(find(dev.resources, DOCKER.container, "alert-rules-alertmanager").secretPaths, ["uploads"], "the Docker upload is a secret (Pulumi marks the whole property)");
  const staging = await runStage("staging");
  t.is(find(staging.resources, K8S.secret, "alert-rules-webhooks").inputs.stringData.pager, stageConfig("staging").alerts.receivers.critical, "the Secret holds the URL");
});

test.serial(
  "a rotation in progress: the Job (named by the next password's digest) moves the owner first; the credentials Secret takes the next password only after it; the app (its own role) does not roll",
  async (t) => {
    const plain = (await runStage("staging")).resources;
    // No starting password: the driver gives one only to a resource being created, never during a rotation.
    const rotating = (await runStage("staging", { password: null, rotation: "begin" })).resources;
    const job = find(rotating, K8S.job, "postgres-rotate-password");
    t.regex(job.inputs.metadata.name, /^postgres-rotate-[0-9a-f]{10}$/);
    t.deepEqual(job.inputs.spec.template.spec.containers[0].command, ["sh", "/rotation/rotate.sh"]);
    t.is(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
    const jobSecret = find(rotating, K8S.secret, "postgres-rotate-password");
    t.is(jobSecret.inputs.stringData.CURRENT_PASSWORD, MOCK_PASSWORD);
    t.is(jobSecret.inputs.stringData.NEXT_PASSWORD, MOCK_NEXT_PASSWORD);
    t.regex(jobSecret.inputs.stringData.NEXT_PASSWORD_VERIFIER, /^SCRAM-SHA-256\$4096:/);
    const credentials = find(rotating, K8S.secret, "postgres-credentials");
    t.is(credentials.inputs.stringData.password, MOCK_NEXT_PASSWORD);
    t.true(
      credentials.dependencies.some((urn) => urn.endsWith(`$${K8S.job}::postgres-rotate-password`)),
      credentials.dependencies.join(", "),
    );
    const checksum = (r: typeof plain) => find(r, K8S.deployment).inputs.spec.template.metadata.annotations["hotel-reservation/credentials-checksum"];
    t.is(checksum(rotating), checksum(plain), "the app logs in as hotel_app: the owner's rotation is not its business");
    t.is(plain.filter((x) => x.name === "postgres-rotate-password").length, 0, "no rotation objects without a rotation");
  },
);

test.serial("a rotation step other than begin or commit names the key and the allowed steps, and registers nothing", async (t) => {
  const run = await runStage("staging", { rotation: "start" });
  t.is(run.error?.message, 'hotel:passwordRotation: "start" is not allowed; allowed: begin, commit (set by npm run rotate-password only); no resource was registered');
  t.is(run.resources.length, 0);
});

test.serial("every component is a ComponentResource with children parented to it", async (t) => {
  const r = (await runStage("staging")).resources;
  const components = r.filter((x) => x.type.startsWith("hotel:index:"));
  t.deepEqual(components.map((c) => c.type).sort(), [
    "hotel:index:AlertRules",
    "hotel:index:Dashboard",
    "hotel:index:HotelApi",
    "hotel:index:HotelStack",
    "hotel:index:PostgresDatabase",
    "hotel:index:RedisCache",
  ]);
  for (const x of r.filter((x) => x.custom)) t.regex(x.parent, /hotel:index:/, `${x.type} ${x.name} has a component parent`);
});

test.serial("monitors: each ServiceMonitor selects a Service by its labels and scrapes a port that Service names; rules and monitors carry the stage's monitoring labels", async (t) => {
  const r = (await runStage("staging")).resources;
  const monitors = r.filter((x) => x.inputs.kind === "ServiceMonitor");
  t.deepEqual(monitors.map((m) => m.inputs.metadata.name).sort(), ["hotel-api", "postgres", "redis"]);
  const services = r.filter((x) => x.type === K8S.service);
  const wanted = stageConfig("staging").kubernetes.monitoringLabels;
  t.deepEqual(wanted, { release: "kube-prometheus-stack" });
  for (const m of monitors) {
    const selector: Record<string, string> = m.inputs.spec.selector.matchLabels;
    const matched = services.filter((s) => Object.entries(selector).every(([k, v]) => s.inputs.metadata.labels[k] === v));
    t.is(matched.length, 1, m.name);
    const portNames = matched[0].inputs.spec.ports.map((p: { name: string }) => p.name);
    t.true(portNames.includes(m.inputs.spec.endpoints[0].port), `${m.name}: ${m.inputs.spec.endpoints[0].port} not in ${portNames}`);
    t.like(m.inputs.metadata.labels, wanted);
    // Scraped as often as the rules evaluate (staging: the default 15 s), so a rate window of 4 x it always has samples.
    t.is(m.inputs.spec.endpoints[0].interval, "15s", m.name);
  }
  t.like(find(r, K8S.prometheusRule).inputs.metadata.labels, wanted);
  const short = (await runStage("staging", { patch: (c) => (c["hotel:alerts"] = { ...c["hotel:alerts"], evaluationInterval: "2s", rateWindow: "8s" }) })).resources;
  t.deepEqual([...new Set(short.filter((x) => x.inputs.kind === "ServiceMonitor").map((m) => m.inputs.spec.endpoints[0].interval))], ["2s"]);
});

test.serial("the exporters' metrics ports admit only the configured scraper pods, in the scraper's namespace", async (t) => {
  const r = (await runStage("staging", { patch: (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], scraper: { namespace: "observability", podLabels: { app: "prom" } } }) })).resources;
  for (const name of ["redis-ingress", "postgres-ingress"]) {
    const metricsRule = find(r, K8S.networkPolicy, name).inputs.spec.ingress[1];
    t.deepEqual(metricsRule.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { app: "prom" } } }], name);
  }
});

test.serial("the reconcile Job's deadline and Pulumi's wait come from one setting, the wait a minute longer", async (t) => {
  for (const [timeout, seconds, wait] of [
    ["30m", 1800, "31m"],
    ["2h", 7200, "121m"],
  ] as const) {
    const r = (await runStage("staging", { patch: (c) => (c["hotel:postgres"] = { ...(c["hotel:postgres"] ?? {}), reconcileTimeout: timeout }) })).resources;
    const job = find(r, K8S.job, "postgres-reconcile");
    t.is(job.inputs.spec.activeDeadlineSeconds, seconds, timeout);
    // A failed Job is replaced by the next up, never awaited again; the server stops each statement at the same deadline.
    t.is(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
    t.true(find(r, K8S.configMap, "postgres-reconcile").inputs.data["reconcile.sql"].includes(`SET statement_timeout = '${seconds * 1000}ms';`), timeout);
    t.deepEqual(job.customTimeouts, { create: wait, update: wait }, timeout);
  }
});

/** What each shipped stage registers, pinned: a resource added or lost shows here first. */
const REGISTERED: Record<string, [number, Record<string, number>]> = {
  dev: [
    34,
    {
      "docker:index/container:Container": 10,
      "docker:index/network:Network": 1,
      "docker:index/remoteImage:RemoteImage": 8,
      "docker:index/volume:Volume": 2,
      "hotel:index:AlertRules": 1,
      "hotel:index:CacheWarming": 1,
      "hotel:index:Dashboard": 1,
      "hotel:index:HotelApi": 1,
      "hotel:index:HotelStack": 1,
      "hotel:index:PostgresDatabase": 1,
      "hotel:index:RedisCache": 1,
      "postgresql:index/extension:Extension": 1,
      "pulumi-nodejs:dynamic:Resource": 3,
      "pulumi:providers:postgresql": 1,
      "pulumi:providers:pulumi-nodejs": 1,
    },
  ],
  ...Object.fromEntries(
    ["staging", "prod"].map((stage) => [
      stage,
      [
        39,
        {
          "hotel:index:AlertRules": 1,
          "hotel:index:Dashboard": 1,
          "hotel:index:HotelApi": 1,
          "hotel:index:HotelStack": 1,
          "hotel:index:PostgresDatabase": 1,
          "hotel:index:RedisCache": 1,
          "kubernetes:apps/v1:Deployment": 1,
          "kubernetes:apps/v1:StatefulSet": 2,
          "kubernetes:batch/v1:Job": 2,
          "kubernetes:core/v1:ConfigMap": 5,
          "kubernetes:core/v1:Namespace": 1,
          "kubernetes:core/v1:PersistentVolumeClaimPatch": 2,
          "kubernetes:core/v1:Secret": 5,
          "kubernetes:core/v1:Service": 3,
          "kubernetes:monitoring.coreos.com/v1:PrometheusRule": 1,
          "kubernetes:monitoring.coreos.com/v1:ServiceMonitor": 3,
          "kubernetes:monitoring.coreos.com/v1alpha1:AlertmanagerConfig": 1,
          "kubernetes:networking.k8s.io/v1:NetworkPolicy": 2,
          "pulumi-nodejs:dynamic:Resource": 3,
          "pulumi:providers:kubernetes": 1,
          "pulumi:providers:pulumi-nodejs": 1,
        },
      ],
    ]),
  ),
};

for (const [stage, [total, byType]] of Object.entries(REGISTERED)) {
  test.serial(`${stage} registers exactly ${total} resources, by type`, async (t) => {
    const run = await runStage(stage);
    t.is(run.error, undefined);
    t.is(run.resources.length, total);
    t.deepEqual(countByType(run.resources), byType);
  });
}

const APP_PASSWORD = MOCK_DRAWN_PASSWORDS["postgres-app-password"];
const REDIS_PASSWORD = MOCK_DRAWN_PASSWORDS["redis-password"];
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
const envOf = (container: { env: EnvVar[] }) => Object.fromEntries(container.env.map((e) => [e.name, e.value ?? `${e.valueFrom!.secretKeyRef.name}/${e.valueFrom!.secretKeyRef.key}`]));

test.serial("Kubernetes: the app and the warmer log in as hotel_app, whose Secret gets its password only after the app role Job gave it to the role", async (t) => {
  const r = (await runStage("staging", { patch: (c) => (c["hotel:cacheWarming"] = { ...c["hotel:cacheWarming"], enabled: true }) })).resources;
  const job = find(r, K8S.job, "postgres-app-role");
  t.is(job.inputs.metadata.name, "postgres-app-role");
  t.is(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
  t.like(envOf(job.inputs.spec.template.spec.containers[0]), {
    PGUSER: "postgres-credentials/username",
    PGPASSWORD: "postgres-credentials/password",
    APP_PASSWORD_VERIFIER: "postgres-app-role/APP_PASSWORD_VERIFIER",
  });
  const sql = find(r, K8S.configMap, "postgres-app-role").inputs.data["app-role.sql"];
  t.regex(sql, /^ALTER ROLE "hotel_app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_verifier';$/m);
  const verifier = find(r, K8S.secret, "postgres-app-role").inputs.stringData.APP_PASSWORD_VERIFIER;
  t.regex(verifier, /^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  t.false(verifier.includes(APP_PASSWORD), "only the verifier goes to the Job");
  const credentials = find(r, K8S.secret, "postgres-app-credentials");
  t.deepEqual(credentials.inputs.stringData, { username: "hotel_app", password: APP_PASSWORD });
  t.true(
    credentials.dependencies.some((urn) => urn.endsWith(`$${K8S.job}::postgres-app-role`)),
    "the Secret waits for the Job",
  );
  const app = envOf(find(r, K8S.deployment).inputs.spec.template.spec.containers[0]);
  const warmer = envOf(find(r, K8S.cronJob).inputs.spec.jobTemplate.spec.template.spec.containers[0]);
  for (const env of [app, warmer]) t.like(env, { DB_USER: "hotel_app", DB_PASSWORD: "postgres-app-credentials/password", REDIS_PASSWORD: "redis-auth/password" });
});

test.serial("Kubernetes: Redis takes its password from a Secret mounted beside redis.conf, which stays free of it; the exporter and redis-cli authenticate", async (t) => {
  const r = (await runStage("staging")).resources;
  const auth = find(r, K8S.secret, "redis-auth").inputs.stringData;
  t.deepEqual(auth, { password: REDIS_PASSWORD, "auth.conf": `requirepass ${REDIS_PASSWORD}\n` });
  t.notRegex(find(r, K8S.configMap, "redis-conf").inputs.data["redis.conf"], /requirepass/);
  const pod = find(r, K8S.statefulSet, "redis").inputs.spec.template;
  const [server, exporter] = pod.spec.containers;
  t.deepEqual(server.args, ["/usr/local/etc/redis/redis.conf", "--include", "/usr/local/etc/redis-auth/auth.conf"]);
  t.deepEqual(
    server.volumeMounts.find((m: { name: string }) => m.name === "auth"),
    { name: "auth", mountPath: "/usr/local/etc/redis-auth", readOnly: true },
  );
  t.deepEqual(
    pod.spec.volumes.find((v: { name: string }) => v.name === "auth"),
    { name: "auth", secret: { secretName: "redis-auth" } },
  );
  t.like(envOf(server), { REDISCLI_AUTH: "redis-auth/password" });
  t.like(envOf(exporter), { REDIS_PASSWORD: "redis-auth/password" });
  t.regex(pod.metadata.annotations["hotel-reservation/credentials-checksum"], /^[0-9a-f]{16}$/, "a new password restarts Redis");
});

test.serial("Docker: the app logs in as hotel_app with the app role's password (after the app role container ran) and gives Redis its own; the owner's password stays with the owner", async (t) => {
  const r = (await runStage("dev")).resources;
  const env = (name: string) => Object.fromEntries((find(r, DOCKER.container, name).inputs.envs as string[]).map((e) => e.split(/=(.*)/s).slice(0, 2)));
  const role = find(r, DOCKER.container, "postgres-app-role");
  t.regex(role.inputs.uploads[0].content, /^ALTER ROLE "hotel_app" WITH LOGIN NOSUPERUSER/m);
  t.true(role.inputs.attach, "the update waits for psql");
  t.like(env("postgres-app-role"), { PGUSER: "hotel", PGPASSWORD: MOCK_PASSWORD });
  t.regex(env("postgres-app-role").APP_PASSWORD_VERIFIER, /^SCRAM-SHA-256\$4096:/);
  for (const name of ["hotel-api", "cache-warmer"]) {
    t.like(env(name), { DB_USER: "hotel_app", DB_PASSWORD: APP_PASSWORD, REDIS_PASSWORD: REDIS_PASSWORD }, name);
    t.false(Object.values(env(name)).includes(MOCK_PASSWORD), `${name} never gets the owner's password`);
  }
  t.true(
    find(r, DOCKER.container, "hotel-api").dependencies.some((urn) => urn.endsWith(`$${DOCKER.container}::postgres-app-role`)),
    "the app waits for the role",
  );
  const redis = find(r, DOCKER.container, "redis");
  t.deepEqual(redis.inputs.command, ["redis-server", "/usr/local/etc/redis/redis.conf", "--include", "/usr/local/etc/redis-auth/auth.conf"]);
  t.deepEqual(redis.inputs.uploads[1], { file: "/usr/local/etc/redis-auth/auth.conf", content: `requirepass ${REDIS_PASSWORD}\n` });
  t.like(env("redis-exporter"), { REDIS_PASSWORD: REDIS_PASSWORD });
});

test.serial("Kubernetes: the dashboard is a ConfigMap carrying the stage's dashboard labels, which Grafana's sidecar loads", async (t) => {
  const r = (await runStage("staging")).resources;
  const cm = find(r, K8S.configMap, "quick-wins-dashboard");
  t.is(cm.inputs.metadata.labels.grafana_dashboard, "1");
  t.is(JSON.parse(cm.inputs.data["hotel-quick-wins.json"]).uid, "hotel-quick-wins");
  const custom = (await runStage("staging", { patch: (c) => (c["hotel:kubernetes"] = { ...c["hotel:kubernetes"], dashboardLabels: { dashboards: "hotel" } }) })).resources;
  const labelled = find(custom, K8S.configMap, "quick-wins-dashboard").inputs.metadata.labels;
  t.is(labelled.dashboards, "hotel");
  t.is(labelled.grafana_dashboard, undefined);
});

test.serial("the exporter reads the slowest statements only where pg_stat_statements is on", async (t) => {
  const exporterOf = (r: Awaited<ReturnType<typeof runStage>>["resources"]) => find(r, K8S.statefulSet, "postgres").inputs.spec.template.spec.containers[1];
  const off = (await runStage("staging")).resources;
  t.is(exporterOf(off).args, undefined);
  t.false(off.some((x) => x.name === "postgres-exporter-queries"));
  const on = (await runStage("staging", { patch: (c) => (c["hotel:postgres"] = { ...c["hotel:postgres"], pgStatStatements: true }) })).resources;
  t.deepEqual(exporterOf(on).args, ["--extend.query-path=/etc/postgres-exporter/queries.yaml"]);
  t.regex(find(on, K8S.configMap, "postgres-exporter-queries").inputs.data["queries.yaml"], /FROM pg_stat_statements s/);
  const dev = (await runStage("dev")).resources;
  t.deepEqual(find(dev, DOCKER.container, "postgres-exporter").inputs.command, ["--extend.query-path=/etc/postgres-exporter/queries.yaml"]);
});

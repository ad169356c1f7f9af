/**
 * The whole backend for one stage: picks the target (Kubernetes or Docker) and
 * places every quick win's artifacts on it through the components.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/types";
import { renderAppEnv } from "../render/appEnv";
import { ALERTMANAGER_PORT, AlertRules } from "./alertRules";
import { CacheWarming } from "./cacheWarming";
import { HotelApi } from "./hotelApi";
import { PostgresDatabase, POSTGRES_EXPORTER_PORT } from "./postgresDatabase";
import { RedisCache, REDIS_EXPORTER_PORT } from "./redisCache";
import { Target } from "./target";

export interface HotelStackArgs {
  config: StackConfig;
  postgresPassword: pulumi.Input<string>;
}

export class HotelStack extends pulumi.ComponentResource {
  public readonly namespace?: pulumi.Output<string>;
  public readonly appSettings: Record<string, string>;
  public readonly redisConf: string;
  public readonly reconcileSql: string;
  public readonly alertRulesYaml: string;
  public readonly alertmanagerYaml: string;

  constructor(name: string, args: HotelStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:HotelStack", name, {}, opts);
    const c = args.config;
    const target = this.makeTarget(c);
    if (target.kind === "kubernetes") this.namespace = pulumi.output(target.namespace);

    const redis = new RedisCache(
      "redis",
      { target, redis: c.redis, image: c.images.redis, exporterImage: c.images.redisExporter, storage: c.kubernetes.redisStorage },
      { parent: this },
    );
    const db = new PostgresDatabase(
      "postgres",
      {
        target,
        postgres: c.postgres,
        image: c.images.postgres,
        exporterImage: c.images.postgresExporter,
        password: args.postgresPassword,
        storage: c.kubernetes.postgresStorage,
        hostPort: c.docker.postgresHostPort,
      },
      { parent: this },
    );
    const appSettings = renderAppEnv(c);
    const api = new HotelApi(
      c.alerts.metrics.appJob,
      {
        target,
        image: c.app.image,
        replicas: c.app.replicas,
        port: c.app.port,
        settings: appSettings,
        redisHost: redis.host,
        redisPort: redis.port,
        postgresHost: db.host,
        postgresPort: db.port,
        database: c.postgres.database,
        user: c.postgres.user,
        password: args.postgresPassword,
        credentialsSecretName: db.credentialsSecretName,
        hostPort: c.docker.appHostPort,
      },
      { parent: this },
    );
    const rules = new AlertRules(
      "alert-rules",
      {
        target,
        alerts: c.alerts,
        prometheusImage: c.images.prometheus,
        alertmanagerImage: c.images.alertmanager,
        scrapeTargets: {
          app: `${c.alerts.metrics.appJob}:${c.app.port}`,
          redisExporter: `redis-exporter:${REDIS_EXPORTER_PORT}`,
          postgresExporter: `postgres-exporter:${POSTGRES_EXPORTER_PORT}`,
          alertmanager: `alertmanager:${ALERTMANAGER_PORT}`,
        },
        hostPort: c.docker.prometheusHostPort,
      },
      { parent: this },
    );
    if (c.cacheWarming.enabled) {
      new CacheWarming(
        "cache-warmer",
        {
          target,
          warming: c.cacheWarming,
          image: c.app.image,
          settingsConfigMapName: api.settingsConfigMapName,
          credentialsSecretName: db.credentialsSecretName,
          env: api.env,
        },
        { parent: this },
      );
    }

    this.appSettings = appSettings;
    this.redisConf = redis.conf;
    this.reconcileSql = db.reconcileSql;
    this.alertRulesYaml = rules.rulesYaml;
    this.alertmanagerYaml = rules.alertmanagerYaml;
    this.registerOutputs({
      namespace: this.namespace,
      appSettings: this.appSettings,
      redisConf: this.redisConf,
      reconcileSql: this.reconcileSql,
      alertRulesYaml: this.alertRulesYaml,
      alertmanagerYaml: this.alertmanagerYaml,
    });
  }

  private makeTarget(c: StackConfig): Target {
    if (c.platform === "docker") {
      const network = new docker.Network("hotel", { name: `hotel-${c.stage}`, internal: false }, { parent: this });
      return { kind: "docker", network };
    }
    const k = c.kubernetes;
    const provider = new k8s.Provider("k8s", { renderYamlToDirectory: k.renderYamlToDirectory }, { parent: this });
    const ns = new k8s.core.v1.Namespace(
      "namespace",
      { metadata: { name: k.namespace, labels: { "app.kubernetes.io/part-of": "hotel-reservation", stage: c.stage } } },
      { parent: this, provider },
    );
    return {
      kind: "kubernetes",
      provider,
      namespace: ns.metadata.name,
      storageClass: k.storageClass,
      prometheusOperator: k.prometheusOperator,
      protectStateful: k.protectStateful,
    };
  }
}

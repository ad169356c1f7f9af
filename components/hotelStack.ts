/**
 * The whole backend for one stage: picks the platform (Kubernetes or Docker) and
 * places every quick win's artifacts on it through the components.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/types";
import { renderAppEnv } from "../render/appEnv";
import { renderPrometheusConfig } from "../render/prometheusConfig";
import { POSTGRES_APP_ROLE, SERVICES } from "../contract/services";
import { AlertRules, AlertRulesPlacement } from "./alertRules";
import { CacheWarming, CacheWarmingPlacement } from "./cacheWarming";
import { Dashboard } from "./dashboard";
import { dockerTarget } from "./docker/containers";
import { HotelApi, HotelApiPlacement } from "./hotelApi";
import { dockerAppEnv } from "./hotelApi/docker";
import { Connection, connectionEnv } from "./hotelApi/env";
import { kubernetesTarget } from "./kubernetes/cluster";
import { Target } from "./platform";
import { PostgresDatabase } from "./postgresDatabase";
import { PASSWORD_PROVIDER_RESOURCE, RotationStep } from "../contract/secrets";
import { RedisCache } from "./redisCache";
import { DockerSecretEnv, KubeSecretEnv, SecretEnv } from "./secretEnv";
import { PasswordProvider } from "./password";

export interface HotelStackArgs {
  config: StackConfig;
  /** The password a new stack starts with; a stack that has one keeps it. */
  postgresPasswordSeed?: pulumi.Input<string>;
  /** Only while `npm run rotate-password` runs (Kubernetes). */
  passwordRotation?: RotationStep;
  /** Only under `npm run render` (Kubernetes): YAML written there instead of applied. */
  renderDirectory?: string;
  /** The namespace was taken over with `npm run adopt` (Kubernetes): a destroy retains it. */
  namespaceAdopted?: boolean;
}

/** The data stores' placement: volumes on Kubernetes, a host port for @pulumi/postgresql on Docker. */
function storePlacement(target: Target, c: StackConfig) {
  return target.platform === "kubernetes"
    ? { redis: { target, storage: c.kubernetes.redisStorage }, postgres: { target, storage: c.kubernetes.postgresStorage } }
    : { redis: { target }, postgres: { target, hostPort: c.docker.postgresHostPort } };
}

/** The platform-specific parts of the placements disagree: a bug in a component, not a config problem. */
const mismatch = (what: string) => new Error(`${what} was placed on another platform than the stack's target`);

/** The app's secrets (the app role's password, Redis's), all on one platform. */
type AppSecrets = { platform: "kubernetes"; secrets: KubeSecretEnv[] } | { platform: "docker"; secrets: DockerSecretEnv[] };

function appSecrets(target: Target, secrets: SecretEnv[]): AppSecrets {
  const kube = secrets.flatMap((s) => (s.platform === "kubernetes" ? [s] : []));
  const docker = secrets.flatMap((s) => (s.platform === "docker" ? [s] : []));
  if (target.platform === "kubernetes" && kube.length === secrets.length) return { platform: "kubernetes", secrets: kube };
  if (target.platform === "docker" && docker.length === secrets.length) return { platform: "docker", secrets: docker };
  throw mismatch("the database or Redis");
}

function apiPlacement(target: Target, c: StackConfig, secrets: AppSecrets): HotelApiPlacement {
  if (target.platform === "kubernetes" && secrets.platform === "kubernetes") return { target, secrets: secrets.secrets };
  if (target.platform === "docker" && secrets.platform === "docker") return { target, secrets: secrets.secrets, hostPort: c.docker.appHostPort };
  throw mismatch("the database or Redis");
}

/** The warmer runs the app's image with the app's settings, connection and secrets. */
function warmerPlacement(target: Target, api: HotelApi, secrets: AppSecrets, connection: Connection): CacheWarmingPlacement {
  const settings = api.settingsSource;
  if (target.platform === "kubernetes" && secrets.platform === "kubernetes" && settings.platform === "kubernetes") {
    return { target, settingsConfigMapName: settings.configMapName, connectionEnv: connectionEnv(connection), secrets: secrets.secrets };
  }
  if (target.platform === "docker" && secrets.platform === "docker") return { target, env: dockerAppEnv(api.settings, connection, secrets.secrets) };
  throw mismatch("the database or the app");
}

/** Docker runs its own Prometheus and Alertmanager, scraping the stack's containers. */
function alertingPlacement(target: Target, c: StackConfig): AlertRulesPlacement {
  if (target.platform === "kubernetes") return { target };
  const at = (s: { name: string; port: number }) => `${s.name}:${s.port}`;
  const prometheusConfig = renderPrometheusConfig(c.alerts, {
    app: `${SERVICES.app.name}:${c.app.port}`,
    redisExporter: at(SERVICES.redisExporter),
    postgresExporter: at(SERVICES.postgresExporter),
    alertmanager: at(SERVICES.alertmanager),
  });
  return { target, prometheusImage: c.images.prometheus, alertmanagerImage: c.images.alertmanager, prometheusConfig, hostPort: c.docker.prometheusHostPort };
}

export class HotelStack extends pulumi.ComponentResource {
  /** Where the stage runs: its namespace, or its Docker network (auto-named). */
  public readonly placedIn: pulumi.Output<{ namespace: string } | { dockerNetwork: string }>;
  public readonly appSettings: Record<string, string>;
  public readonly redisConf: string;
  public readonly reconcileSql: string;
  public readonly alertRulesYaml: string;
  /** The alert routing with its webhook URLs redacted (they reach only a Secret or a secret upload). */
  public readonly alertmanagerRoutingYaml: string;
  /** The quick wins' Grafana dashboard (JSON). */
  public readonly dashboardJson: string;
  /** The password every consumer has (the pending one once the role has it, during a rotation). */
  public readonly postgresPassword: pulumi.Output<string>;

  constructor(name: string, args: HotelStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hotel:index:HotelStack", name, {}, opts);
    const c = args.config;
    const target = c.platform === "kubernetes" ? kubernetesTarget(this, c, args) : dockerTarget(this, c.stage);
    this.placedIn = target.platform === "kubernetes" ? pulumi.output({ namespace: target.namespace }) : target.network.name.apply((dockerNetwork) => ({ dockerNetwork }));
    const placed = storePlacement(target, c);

    const passwords = new PasswordProvider(PASSWORD_PROVIDER_RESOURCE, { parent: this });
    const redis = new RedisCache(SERVICES.redis.name, { ...placed.redis, redis: c.redis, image: c.images.redis, exporterImage: c.images.redisExporter, passwords }, { parent: this });
    const db = new PostgresDatabase(
      SERVICES.postgres.name,
      {
        ...placed.postgres,
        postgres: c.postgres,
        image: c.images.postgres,
        exporterImage: c.images.postgresExporter,
        passwordSeed: args.postgresPasswordSeed,
        passwordRotation: args.passwordRotation,
        passwords,
      },
      { parent: this },
    );
    this.appSettings = renderAppEnv(c);
    // The app and the warmer log in as the app's role, never as the owner (a superuser).
    const connection: Connection = { redisHost: redis.host, redisPort: redis.port, postgresHost: db.host, postgresPort: db.port, database: c.postgres.database, user: POSTGRES_APP_ROLE };
    const secrets = appSecrets(target, [db.appPassword, redis.password]);
    const app = { image: c.app.image, replicas: c.app.replicas, port: c.app.port, settings: this.appSettings, connection };
    const api = new HotelApi(SERVICES.app.name, { ...app, ...apiPlacement(target, c, secrets) }, { parent: this });
    const rules = new AlertRules(SERVICES.alertRules.name, { alerts: c.alerts, ...alertingPlacement(target, c) }, { parent: this });
    if (c.cacheWarming.enabled) {
      new CacheWarming(SERVICES.cacheWarmer.name, { warming: c.cacheWarming, image: c.app.image, ...warmerPlacement(target, api, secrets, connection) }, { parent: this });
    }

    this.dashboardJson = new Dashboard(SERVICES.dashboard.name, { config: c, target }, { parent: this }).json;
    this.postgresPassword = db.password;
    this.redisConf = redis.conf;
    this.reconcileSql = db.reconcileSql;
    this.alertRulesYaml = rules.rulesYaml;
    this.alertmanagerRoutingYaml = rules.routingYaml;
    this.registerOutputs({
      placedIn: this.placedIn,
      appSettings: this.appSettings,
      redisConf: this.redisConf,
      reconcileSql: this.reconcileSql,
      alertRulesYaml: this.alertRulesYaml,
      alertmanagerRoutingYaml: this.alertmanagerRoutingYaml,
      dashboardJson: this.dashboardJson,
    });
  }
}

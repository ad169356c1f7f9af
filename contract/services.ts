/**
 * The names and ports of the backend's services: one source for the components (object
 * and container names, probes, NetworkPolicies), prometheus.yml and the app's env.
 * Resource names never follow monitoring names (a Prometheus job may be renamed freely).
 */
export const SERVICES = {
  redis: { name: "redis", port: 6379 },
  redisExporter: { name: "redis-exporter", port: 9121 },
  postgres: { name: "postgres", port: 5432 },
  postgresExporter: { name: "postgres-exporter", port: 9187 },
  app: { name: "hotel-api" },
  prometheus: { name: "prometheus", port: 9090 },
  alertmanager: { name: "alertmanager", port: 9093 },
  alertRules: { name: "alert-rules" },
  cacheWarmer: { name: "cache-warmer" },
  dashboard: { name: "quick-wins-dashboard" },
} as const;

/**
 * The role postgres_exporter logs in as on Kubernetes: pg_monitor's rights only, over the
 * pod's unix socket (trusted locally by the image), so it needs no password and a
 * rotation of the app's password never cuts the database's metrics off.
 */
export const POSTGRES_MONITOR_ROLE = "hotel_monitor";
/**
 * The role the app and the warmer log in as: no superuser, no CREATEDB or CREATEROLE;
 * CONNECT on the database, USAGE and CREATE on its schema (the app creates its tables,
 * as its migrations do) and read/write on the tables there. The image's superuser (the
 * stage's `hotel:postgres.user`) is left to the Jobs that need it: the reconcile script,
 * the app role's own Job and the password rotation.
 */
export const POSTGRES_APP_ROLE = "hotel_app";
/** Where the PostgreSQL image puts its unix socket (a volume shared with the exporter on Kubernetes). */
export const POSTGRES_SOCKET_DIR = "/var/run/postgresql";

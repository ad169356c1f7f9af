/** File names inside ConfigMaps and containers that the components write and the policies read back. */
export const REDIS_CONF_FILE = "redis.conf";
export const RECONCILE_SQL_FILE = "reconcile.sql";
/** Redis's password as a config line (`requirepass ...`), kept apart from the reviewable redis.conf. */
export const REDIS_AUTH_FILE = "auth.conf";
/** Where prom/prometheus (and its stand-in) keeps its series: its --storage.tsdb.path. */
export const PROMETHEUS_DATA_DIR = "/prometheus";

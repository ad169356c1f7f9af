/** The users the containers run as: the images' own (pods set them as runAsUser). */

/** The official redis and postgres images' user. */
export const DATASTORE_UID = 999;
/** The app's image. */
export const APP_UID = 10001;
/** redis_exporter's image. */
export const REDIS_EXPORTER_UID = 59000;
/** postgres_exporter's image (nobody). */
export const NOBODY_UID = 65534;

/** Labels the stack puts on what it creates, so a person or a test finds exactly its objects. */

/** On every Docker object of a Docker stage: the stage's name. */
export const STAGE_LABEL = "org.hotel-stack.stage";

/**
 * On the AlertmanagerConfig (and its webhooks Secret): what an Alertmanager's
 * alertmanagerConfigSelector matches to take the stack's routing.
 */
export const ROUTING_LABELS = { role: "alert-routing" } as const;

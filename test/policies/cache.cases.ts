/** The cache policies' mutation table: each row must be rejected by exactly its policy, with its message. */
import { MutationRow } from "./policyCases";

export const cacheRows: MutationRow[] = [
  [
    "availability cached for 1 h",
    "cache-ttls",
    { stage: "staging", patch: (c) => (c["hotel:redis"].ttl = { availability: "1h" }) },
    /CACHE_TTL_AVAILABILITY_SECONDS=3600: availability cached longer than 300 s.*double bookings/,
  ],
];

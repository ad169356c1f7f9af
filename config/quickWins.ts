/** The roadmap's five quick wins: each one block of a stage file. */
export const QUICK_WINS = [
  { n: 1, key: "hotel:alerts", title: "alert thresholds" },
  { n: 2, key: "hotel:dbPool", title: "connection pool" },
  { n: 3, key: "hotel:redis", title: "Redis eviction and TTLs" },
  { n: 4, key: "hotel:postgres", title: "pg_stat_statements, slow-query log, indexes" },
  { n: 5, key: "hotel:cacheWarming", title: "cache warming" },
] as const;

export type QuickWin = (typeof QUICK_WINS)[number];

export function quickWin(n: number): QuickWin | undefined {
  return QUICK_WINS.find((q) => q.n === n);
}

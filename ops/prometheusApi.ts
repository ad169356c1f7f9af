/** Queries against a Prometheus HTTP API: what the daily check, promotion and the rehearsal read. */

export class PrometheusApi {
  private readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/$/, "");
  }

  /** The result vector of `expr`, evaluated now or at `atMs`. */
  async query(expr: string, atMs?: number): Promise<any[]> {
    const url = `${this.base}/api/v1/query?query=${encodeURIComponent(expr)}${atMs === undefined ? "" : `&time=${atMs / 1000}`}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return (await res.json()).data.result;
  }

  /** The first series of `expr` over [start, end], one sample per `stepMs`, NaN samples left out. */
  async range(expr: string, startMs: number, endMs: number, stepMs: number): Promise<[number, number][]> {
    const url = `${this.base}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${startMs / 1000}&end=${endMs / 1000}&step=${stepMs / 1000}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const values = ((await res.json()).data.result[0]?.values ?? []) as [number, string][];
    return values.filter(([, v]) => v !== "NaN").map(([t, v]) => [t * 1000, Number(v)]);
  }

  /** The first sample's value, or undefined when there is none (or it is NaN). */
  async scalar(expr: string, atMs?: number): Promise<number | undefined> {
    const v = (await this.query(expr, atMs))[0]?.value?.[1];
    return v === undefined || v === "NaN" ? undefined : Number(v);
  }

  /** The stack's own firing alerts (all carry quickwin="alert-thresholds"), not every alert of a shared Prometheus. */
  async firingStackAlerts(): Promise<string[]> {
    const series = await this.query(`ALERTS{alertstate="firing",quickwin="alert-thresholds"}`);
    return [...new Set(series.map((s) => String(s.metric.alertname)))].sort();
  }
}

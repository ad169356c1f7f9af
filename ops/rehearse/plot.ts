/**
 * One series over the rehearsal as a small standalone SVG: the line, a y axis from 0,
 * minutes on x, and a dashed marker where each step's load began, labelled with it.
 */
import { Series } from "./readings";

export interface Marker {
  atMs: number;
  label: string;
  planted: boolean;
}

const W = 760;
const H = 260;
const M = { left: 64, right: 16, top: 28, bottom: 36 };

const GAP_MS = 20_000;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function tickText(v: number, unit: Series["unit"]): string {
  if (unit === "ratio") return `${(v * 100).toFixed(v < 0.1 ? 2 : 1)} %`;
  return unit === "ms" ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : v.toFixed(0);
}

/** A y range from 0 to a round top above the highest point. */
function yTop(series: Series): number {
  const max = Math.max(...series.points.map(([, v]) => v), series.unit === "ratio" ? 0.01 : 1);
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  return Math.ceil((max * 1.1) / step) * step;
}

export function plotSvg(series: Series, startMs: number, endMs: number, markers: Marker[]): string {
  const top = yTop(series);
  const x = (t: number) => M.left + ((t - startMs) / Math.max(1, endMs - startMs)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / top) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="16" font-size="13" font-weight="bold">${esc(series.name)} (${series.unit})</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickText(v, series.unit)}</text>`);
  }
  const minutes = (endMs - startMs) / 60_000;
  const every = minutes > 30 ? 5 : minutes > 10 ? 2 : 1;
  for (let m = 0; m <= minutes; m += every) out.push(`<text x="${x(startMs + m * 60_000).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${m} min</text>`);
  for (const mk of markers) {
    const at = x(mk.atMs).toFixed(1);
    out.push(`<line x1="${at}" x2="${at}" y1="${M.top}" y2="${H - M.bottom}" stroke="${mk.planted ? "#c62828" : "#555"}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${(Number(at) + 3).toFixed(1)}" y="${M.top + 10}" fill="${mk.planted ? "#c62828" : "#333"}">${esc(mk.label)}</text>`);
  }
  // A gap (no load: no rate, no quantile) breaks the line rather than bridging it.
  const d = series.points.map(([t, v], i) => `${i === 0 || t - series.points[i - 1][0] > GAP_MS ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  if (d) out.push(`<path d="${d}" fill="none" stroke="#1565c0" stroke-width="1.5"/>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}

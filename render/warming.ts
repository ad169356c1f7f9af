import { CacheWarmingConfig } from "../config/types";

/** The app's warmer entry point: loads the warm set from PostgreSQL into Redis once. */
export const WARMER_COMMAND = ["python", "-m", "app.cache_warmer"];

/**
 * The declared off-peak window travels with the schedule (an annotation, a label), so
 * the off-peak policy checks the schedule against the stage's own window.
 */
export const OFF_PEAK_WINDOW_KEY = "hotel-reservation/off-peak-window";

export function offPeakWindowText(w: CacheWarmingConfig): string {
  const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return `${hh(w.offPeakWindow.startHour)}-${hh(w.offPeakWindow.endHour)}`;
}

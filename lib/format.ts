/** How commands and reports print a ratio and a duration. */

/** 0.0123 -> "1.23 %". */
export const percent = (ratio: number, digits = 2): string => `${(ratio * 100).toFixed(digits)} %`;

/** 0.0123 (seconds) -> "12.3 ms". */
export const millis = (seconds: number, digits = 1): string => `${(seconds * 1000).toFixed(digits)} ms`;

// @ts-check
// Durations as k6 options and params write them.

/**
 * Milliseconds in a Go-style duration ("1500ms", "1.5s", "1m30s") or a number of ms (as in k6 params).
 * @param {string | number | undefined} value
 */
export function durationMs(value, fallback = 60_000) {
  if (value === undefined || value === null || value === "") return fallback;
  if (typeof value === "number") return value;
  /** @type {Record<string, number>} */
  const unit = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = value.trim();
  if (rest === "0") return 0;
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`invalid duration "${value}"`);
    total += Number(m[1]) * (unit[m[2] ?? "ms"] ?? 1);
    rest = rest.slice(m[0].length);
  }
  return total;
}

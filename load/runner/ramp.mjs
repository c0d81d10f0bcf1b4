// @ts-check
// When each VU joins: the ramp of score.js's vusAt (1 → max, linear,
// rounded), turned into one start time per VU so no ticker is needed.
import { vusAt } from "../lib/score.js";

/**
 * Start time in seconds of VU k (index k − 1): the first moment
 * vusAt(max, t, duration) reaches k. VU 1 starts at 0.
 * @param {number} maxVUs @param {number} durationSeconds @returns {number[]}
 */
export function vuStartTimes(maxVUs, durationSeconds) {
  /** @type {number[]} */
  const starts = [];
  for (let k = 1; k <= maxVUs; k++) {
    if (k === 1 || maxVUs === 1) {
      starts.push(0);
      continue;
    }
    // round(1 + (max − 1)·t/d) ≥ k  ⇔  t ≥ (k − 1.5)·d/(max − 1); nudge past float error.
    let t = Math.max(0, ((k - 1.5) * durationSeconds) / (maxVUs - 1));
    while (vusAt(maxVUs, t, durationSeconds) < k) t += 1e-9 * Math.max(1, durationSeconds);
    starts.push(t);
  }
  return starts;
}

/**
 * How many VUs have started by `seconds`, given sorted start times.
 * @param {number[]} starts @param {number} seconds
 */
export function startedBy(starts, seconds) {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (/** @type {number} */ (starts[mid]) <= seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// @ts-check
// Latency bookkeeping: one HDR histogram for the whole run (microseconds,
// 3 significant digits) and per-second buckets for the report.
import { build } from "hdr-histogram-js";

/** @typedef {{ p50: number, p90: number, p99: number, max: number, count: number }} LatencySummary count: requests recorded */

/** @param {number} x */
export const round2 = (x) => Math.round(x * 100) / 100;

/** Every latency of a run, in an HDR histogram (pure-JS build, no WASM). */
export class LatencyRecorder {
  constructor() {
    this.histogram = build({
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000, // 60 s in µs; autoResize covers the rest
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
    /** Exact, since HDR reports a bucket's upper edge. */
    this.maxMs = 0;
  }

  /** @param {number} ms */
  record(ms) {
    this.histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count() {
    return this.histogram.totalCount;
  }

  /** @param {number} p percentile, 0–100 @returns {number} ms, 2 decimals */
  percentile(p) {
    if (this.histogram.totalCount === 0) return 0;
    return round2(Math.min(this.histogram.getValueAtPercentile(p) / 1000, this.maxMs));
  }

  /** @returns {LatencySummary} */
  summary() {
    return { p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), max: round2(this.maxMs), count: this.count };
  }
}

/**
 * Nearest-rank percentile of a few hundred values (one second's worth).
 * @param {number[]} values @param {number} p 0–100 @returns {number | null}
 */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return /** @type {number} */ (sorted[rank - 1]);
}

/**
 * @typedef {{ requests: number, accepted: number, failed: number, latencies: number[] }} Bucket
 * @typedef {{ requests: number, accepted: number, failed: number, p99: number | null }} SecondSummary
 */

/** Requests grouped by the whole second (since the run began) in which they completed. */
export class SecondBuckets {
  constructor() {
    /** @type {Bucket[]} */
    this.buckets = [];
  }

  /** @param {number} second @returns {Bucket} */
  bucket(second) {
    const i = Math.max(0, Math.floor(second));
    for (let j = this.buckets.length; j <= i; j++) this.buckets.push({ requests: 0, accepted: 0, failed: 0, latencies: [] });
    return /** @type {Bucket} */ (this.buckets[i]);
  }

  /** @param {number} elapsedSeconds when the request completed @param {number} ms @param {boolean} ok */
  add(elapsedSeconds, ms, ok) {
    const b = this.bucket(elapsedSeconds);
    b.requests++;
    if (ok) b.accepted++;
    else b.failed++;
    b.latencies.push(ms);
  }

  /** @param {number} second @returns {SecondSummary} */
  summarize(second) {
    const b = this.buckets[second];
    if (!b) return { requests: 0, accepted: 0, failed: 0, p99: null };
    const p99 = percentile(b.latencies, 99);
    return { requests: b.requests, accepted: b.accepted, failed: b.failed, p99: p99 === null ? null : round2(p99) };
  }
}

// @ts-check
// How the contest measures a run (docs/contract.md §4), written once for the k6 script and
// the Node runner alike: which requests the scored p99 covers, and the windows
// of the audits and of the final read. Plain ES module with no imports.

/**
 * The p99 that goes into the score: k6's duration of every HTTP request the test makes that got an
 * expected response (the POSTs, the audits' calls to the service and to the processors' admin API,
 * setup's and teardown's calls), not only the service's POSTs.
 */
export const CONTEST_LATENCY_METRIC = "http_req_duration{expected_response:true}";

/**
 * The service's figure beside it: POST /payments to the service with an expected response. The k6
 * script tags those requests with target:service and this name.
 */
export const SERVICE_POST_NAME = "POST /payments";
export const SERVICE_LATENCY_METRIC = `http_req_duration{target:service,name:${SERVICE_POST_NAME},expected_response:true}`;

/** The final read covers [now − 360 s, now], taken the moment the load stops. */
export const FINAL_READ_WINDOW_MS = 360_000;
/** Audits compare [now − 15 s, now − end offset]; the final round's offset is 2 s (the preview's was 1.5 s). */
export const AUDIT_WINDOW_START_MS = 15_000;
export const AUDIT_END_OFFSET_MS = 2_000;

/**
 * k6's default expected statuses (http.setResponseCallback unset): 200–399. A request with no
 * answer (status 0: timeout, refused) is not expected either.
 * @param {number} status
 */
export function isExpectedStatus(status) {
  return status >= 200 && status < 400;
}

/**
 * The final read's window, as the contest's teardown takes it.
 * @param {number} nowMs @returns {{ from: number, to: number }}
 */
export function finalReadWindow(nowMs) {
  return { from: nowMs - FINAL_READ_WINDOW_MS, to: nowMs };
}

/**
 * An audit's window: [now − 15 s, now − endOffsetMs].
 * @param {number} nowMs @param {number} [endOffsetMs] @returns {{ from: number, to: number }}
 */
export function auditWindow(nowMs, endOffsetMs = AUDIT_END_OFFSET_MS) {
  if (!(endOffsetMs >= 0 && endOffsetMs < AUDIT_WINDOW_START_MS)) {
    throw new Error(`the audit window's end offset must be in [0, ${AUDIT_WINDOW_START_MS}) ms, got ${endOffsetMs}`);
  }
  return { from: nowMs - AUDIT_WINDOW_START_MS, to: nowMs - endOffsetMs };
}

/**
 * The audit end offset in ms: an explicit setting in seconds (env) first, then the scenario's, then 2 s.
 * @param {{ auditEndOffsetSeconds?: number }} scenario @param {string | undefined} [setting]
 */
export function auditEndOffsetMs(scenario, setting) {
  const raw = setting === undefined || setting === "" ? scenario.auditEndOffsetSeconds : Number(setting);
  if (raw === undefined) return AUDIT_END_OFFSET_MS;
  const ms = raw * 1000;
  if (!(ms >= 0 && ms < AUDIT_WINDOW_START_MS)) {
    throw new Error(`the audit end offset must be a number of seconds in [0, ${AUDIT_WINDOW_START_MS / 1000}), got "${setting ?? raw}"`);
  }
  return ms;
}

/** `?from=…&to=…` in ISO-8601, as the summaries take it. @param {{ from: number, to: number }} window */
export function windowQuery(window) {
  return `?from=${new Date(window.from).toISOString()}&to=${new Date(window.to).toISOString()}`;
}

/**
 * @typedef {{ p50: number, p90: number, p99: number, max: number, count: number }} LatencyFigures
 *   ms, 3 decimals; count: the requests the figures are over
 */

/**
 * A trend from k6's end-of-test summary data as LatencyFigures (zeros when k6 did not keep it).
 * @param {Record<string, { values: Record<string, number> } | undefined>} metrics @param {string} name
 * @returns {LatencyFigures}
 */
export function trendFigures(metrics, name) {
  const values = metrics[name]?.values ?? {};
  /** @param {string} stat */
  const at = (stat) => Math.round((values[stat] ?? 0) * 1000) / 1000;
  return { p50: at("med"), p90: at("p(90)"), p99: at("p(99)"), max: at("max"), count: values.count ?? 0 };
}

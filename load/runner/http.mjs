// @ts-check
// HTTP for the runner, on undici directly: one keep-alive pool for the
// service sized so every VU holds its own connection (no queueing in the
// client), and a small agent for the admin, audit and polling calls.
import { Agent, Pool } from "undici";
import { isExpectedStatus } from "../lib/measure.js";

/** The client gives up on POST /payments after this long (docs/contract.md §4). */
export const PAYMENT_TIMEOUT_MS = 1500;

/**
 * @typedef {{ status: number, ms: number, ok: boolean, timedOut: boolean, error?: string }} PaymentOutcome
 *   status 0 when no answer came (timeout, connection error)
 */

/** Keep-alive pool to the service for the VUs. */
export class ServiceClient {
  /** @param {string} baseUrl @param {{ connections: number }} options */
  constructor(baseUrl, { connections }) {
    this.pool = new Pool(baseUrl, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: PAYMENT_TIMEOUT_MS, noDelay: true },
    });
  }

  /**
   * One POST /payments, timed from the call to the last byte of the answer.
   * A timeout counts as a failure lasting exactly the timeout.
   * @param {string} json @returns {Promise<PaymentOutcome>}
   */
  async postPayment(json) {
    const t0 = performance.now();
    const signal = AbortSignal.timeout(PAYMENT_TIMEOUT_MS);
    try {
      const { statusCode, body } = await this.pool.request({
        path: "/payments",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: json,
        signal,
      });
      await body.dump({ limit: 64 * 1024, signal });
      const ms = performance.now() - t0;
      if (signal.aborted) return { status: statusCode, ms: PAYMENT_TIMEOUT_MS, ok: false, timedOut: true };
      return { status: statusCode, ms, ok: statusCode >= 200 && statusCode < 300, timedOut: false };
    } catch (error) {
      const ms = performance.now() - t0;
      if (signal.aborted || ms >= PAYMENT_TIMEOUT_MS) {
        return { status: 0, ms: PAYMENT_TIMEOUT_MS, ok: false, timedOut: true };
      }
      return { status: 0, ms, ok: false, timedOut: false, error: describe(error) };
    }
  }

  close() {
    return this.pool.destroy();
  }
}

/** @param {unknown} error */
export function describe(error) {
  if (error instanceof Error) {
    const code = /** @type {{ code?: unknown }} */ (error).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * @typedef {{ method?: string, headers?: Record<string, string>, json?: unknown, timeoutMs?: number, measured?: boolean }} CallOptions
 *   measured: false keeps the call out of the latency (the runner's own polling, which the contest's test does not make)
 */

/**
 * Admin calls, audits and once-a-second polls: few connections per origin.
 * Each call with an expected response (k6's: 200–399) is timed into `latency`, if given.
 */
export class ControlClient {
  /** @param {{ latency?: { record(ms: number): void } }} [options] */
  constructor(options = {}) {
    this.agent = new Agent({ connections: 8, pipelining: 1, keepAliveTimeout: 30_000 });
    this.latency = options.latency;
  }

  /**
   * @param {string} url
   * @param {CallOptions} [options]
   * @returns {Promise<{ status: number, body: unknown }>} body is parsed JSON, or null
   */
  async call(url, options = {}) {
    const { method = "GET", headers = {}, json, timeoutMs = 5000, measured = true } = options;
    const t0 = performance.now();
    const target = new URL(url);
    const signal = AbortSignal.timeout(timeoutMs);
    const { statusCode, body } = await this.agent.request({
      origin: target.origin,
      path: target.pathname + target.search,
      method: /** @type {import("undici").Dispatcher.HttpMethod} */ (method),
      headers: json === undefined ? headers : { ...headers, "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal,
    });
    const text = await body.text();
    if (measured && this.latency && isExpectedStatus(statusCode)) this.latency.record(performance.now() - t0);
    /** @type {unknown} */
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: statusCode, body: parsed };
  }

  /**
   * Like call(), but any non-2xx is an error.
   * @param {string} url @param {CallOptions} [options]
   */
  async expectOk(url, options = {}) {
    const result = await this.call(url, options);
    if (result.status < 200 || result.status > 299) {
      throw new Error(`${options.method ?? "GET"} ${url} -> ${result.status} ${JSON.stringify(result.body)}`);
    }
    return result.body;
  }

  close() {
    return this.agent.destroy();
  }
}

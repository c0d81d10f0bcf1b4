// @ts-check
// The shim's `k6/http` module: blocking requests (the main thread does the
// I/O and records http_reqs, http_req_duration and http_req_failed).
// Supported params: headers, timeout (ms or a duration string), tags,
// responseType ("text" | "none"). No cookies, redirects policy, TLS options,
// batch or async requests.
import { durationMs } from "./duration.js";
import { httpCall, systemTags } from "./runtime.js";

/**
 * @typedef {{ headers?: Record<string, string>, timeout?: string | number, tags?: Record<string, string>,
 *   responseType?: "text" | "none" | "binary" }} Params
 * @typedef {string | null | undefined | Record<string, string | number | boolean>} Body
 */

class Response {
  /** @param {import("./runtime.js").HttpAnswer} answer @param {{ method: string, url: string, body: string | null }} request */
  constructor(answer, request) {
    this.status = answer.status;
    this.body = answer.body;
    this.headers = answer.headers;
    this.error = answer.error;
    this.error_code = answer.error_code;
    this.url = answer.url;
    this.proto = answer.proto;
    this.request = request;
    // Only the total is measured; k6 also splits it into phases.
    this.timings = { duration: answer.duration, blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: answer.duration, receiving: 0 };
  }

  /** @param {string} [selector] */
  json(selector) {
    if (selector !== undefined) throw new Error("k6 shim: Response.json(selector) is not supported");
    if (typeof this.body !== "string") throw new Error("the body is null so we can't transform it to JSON");
    return JSON.parse(this.body);
  }
}

/** @param {string} method @param {string} url @param {Body} [body] @param {Params | null} [params] */
export function request(method, url, body, params) {
  const p = params ?? {};
  /** @type {Record<string, string>} */
  const headers = { "User-Agent": "k6-shim (https://grafana.com/docs/k6/)", ...p.headers };
  /** @type {string | null} */
  let payload = null;
  if (typeof body === "string") payload = body;
  else if (body && typeof body === "object") {
    // k6 form-encodes a plain object body.
    payload = new URLSearchParams(Object.entries(body).map(([k, v]) => /** @type {[string, string]} */ ([k, String(v)]))).toString();
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
  }
  const upper = method.toUpperCase();
  const answer = httpCall({
    method: upper,
    url,
    body: payload,
    headers,
    timeoutMs: durationMs(p.timeout),
    responseType: p.responseType ?? "text",
    tags: { ...systemTags(), ...p.tags },
  });
  return new Response(answer, { method: upper, url, body: payload });
}

/** @param {string} url @param {Params | null} [params] */
export const get = (url, params) => request("GET", url, null, params);
/** @param {string} url @param {Params | null} [params] */
export const head = (url, params) => request("HEAD", url, null, params);
/** @param {string} url @param {Body} [body] @param {Params | null} [params] */
export const post = (url, body, params) => request("POST", url, body, params);
/** @param {string} url @param {Body} [body] @param {Params | null} [params] */
export const put = (url, body, params) => request("PUT", url, body, params);
/** @param {string} url @param {Body} [body] @param {Params | null} [params] */
export const patch = (url, body, params) => request("PATCH", url, body, params);
/** @param {string} url @param {Body} [body] @param {Params | null} [params] */
export const del = (url, body, params) => request("DELETE", url, body, params);
/** @param {string} url @param {Body} [body] @param {Params | null} [params] */
export const options = (url, body, params) => request("OPTIONS", url, body, params);

export default { request, get, head, post, put, patch, del, options };

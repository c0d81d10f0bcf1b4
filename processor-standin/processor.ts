// Local stand-in for the Rinha 2025 payment processor (docs/contract.md §3), built on
// node:http only, so the intermediary can be tested without Docker.
// Stand-in extras, absent from the real processor: `GET /admin/payments`
// (every stored payment, for tests) and the tuning options below.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type ProcessorOptions = {
  fee: number;
  token?: string; // initial X-Rinha-Token, "123" like the real one
  name?: string;
  healthWindowMs?: number; // service-health rate-limit window, 5000
  maxActive?: number; // requests handled at once, 800
  maxQueued?: number; // requests waiting for a slot, 500
  maxBodyBytes?: number; // 64 KiB
};

export type Processor = {
  name: string;
  server: http.Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
};

type Req = http.IncomingMessage;
type Res = http.ServerResponse;
type Handler = (req: Req, res: Res, url: URL) => void | Promise<void>;
type Payment = { correlationId: string; cents: number; requestedAt: string; at: number };

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const bad = (message: string): never => {
  throw new HttpError(400, message);
};

export function createProcessor(options: ProcessorOptions): Processor {
  const { fee, name = "processor", healthWindowMs = 5000 } = options;
  const { maxActive = 800, maxQueued = 500, maxBodyBytes = 64 * 1024 } = options;
  const state = { token: options.token ?? "123", delay: 0, failure: false };
  const payments = new Map<string, Payment>();
  // Aborted by close(), so sleeping requests and held health calls end with it.
  const closing = new AbortController();

  async function createPayment(req: Req, res: Res) {
    const payment = parsePayment(await readJson(req, maxBodyBytes));
    // Read once: a delay changed mid-sleep must not affect requests already in.
    const delay = state.delay;
    if (delay > 0) await sleep(delay, undefined, { signal: closing.signal });
    // Failure is read after the sleep, as the real processor's filters do.
    if (state.failure) return send(res, 500, { message: "simulated failure" });
    if (payments.has(payment.correlationId)) {
      return send(res, 422, {
        message: `Payment could not be processed. CorrelationId already exists: ${payment.correlationId}.`,
      });
    }
    payments.set(payment.correlationId, payment);
    send(res, 200, { message: "payment processed successfully" });
  }

  // One call per window for all callers; up to two early callers are held
  // (each for its own later window), the rest are refused.
  let healthFreeAt = 0;
  let healthHeld = 0;
  async function serviceHealth(_req: Req, res: Res) {
    const now = Date.now();
    if (now >= healthFreeAt) {
      healthFreeAt = now + healthWindowMs;
    } else if (healthHeld >= 2) {
      return send(
        res,
        429,
        { message: "Try again later." },
        {
          "retry-after": String(Math.ceil(healthWindowMs / 1000)),
        },
      );
    } else {
      const wait = healthFreeAt - now;
      healthFreeAt += healthWindowMs;
      healthHeld++;
      try {
        await sleep(wait, undefined, { signal: closing.signal });
      } finally {
        healthHeld--;
      }
    }
    send(res, 200, { failing: state.failure, minResponseTime: state.delay });
  }

  function getPayment(_req: Req, res: Res, url: URL) {
    const id = uuid(url.pathname.split("/")[2]);
    if (!id) return bad("id must be a UUID");
    const p = payments.get(id);
    if (!p) return send(res, 404, { message: "payment not found" });
    send(res, 200, { correlationId: p.correlationId, amount: p.cents / 100, requestedAt: p.requestedAt });
  }

  function summary(_req: Req, res: Res, url: URL) {
    const from = bound(url, "from");
    const to = bound(url, "to");
    let totalRequests = 0;
    let cents = 0;
    for (const p of payments.values()) {
      if ((from === undefined || p.at >= from) && (to === undefined || p.at <= to)) {
        totalRequests++;
        cents += p.cents;
      }
    }
    // Integer micro-units keep cents * fee exact, so halves round predictably.
    const feeCents = roundHalfAway((cents * Math.round(fee * 1e6)) / 1e6);
    send(res, 200, { totalRequests, totalAmount: cents / 100, totalFee: feeCents / 100, feePerTransaction: fee });
  }

  function listPayments(_req: Req, res: Res) {
    send(
      res,
      200,
      [...payments.values()].map((p) => ({
        correlationId: p.correlationId,
        amount: p.cents / 100,
        requestedAt: p.requestedAt,
      })),
    );
  }

  async function setToken(req: Req, res: Res) {
    const { token } = await readObject(req, maxBodyBytes);
    if (typeof token !== "string" || token === "") return bad("token must be a non-empty string");
    state.token = token;
    send(res, 204);
  }

  async function setDelay(req: Req, res: Res) {
    const { delay } = await readObject(req, maxBodyBytes);
    // The real one holds an int; timers cap at 2^31 - 1 ms anyway.
    if (typeof delay !== "number" || !Number.isInteger(delay) || delay < 0 || delay > 2 ** 31 - 1) {
      return bad("delay must be a non-negative integer (ms)");
    }
    send(res, 200, { config: "delay", was: state.delay, is: delay });
    state.delay = delay;
  }

  async function setFailure(req: Req, res: Res) {
    const { failure } = await readObject(req, maxBodyBytes);
    if (typeof failure !== "boolean") return bad("failure must be a boolean");
    send(res, 200, { config: "failure", was: state.failure, is: failure });
    state.failure = failure;
  }

  function purge(_req: Req, res: Res) {
    payments.clear();
    send(res, 200, { message: "All payments purged." });
  }

  const routes = new Map<string, Handler>([
    ["POST /payments", createPayment],
    ["GET /payments/service-health", serviceHealth],
    ["GET /payments/:id", getPayment],
    ["GET /admin/payments-summary", summary],
    ["GET /admin/payments", listPayments],
    ["PUT /admin/configurations/token", setToken],
    ["PUT /admin/configurations/delay", setDelay],
    ["PUT /admin/configurations/failure", setFailure],
    ["POST /admin/purge-payments", purge],
  ]);

  // Admission: a slot is handed straight from a finishing request to the
  // oldest waiter, so `active` only drops when nobody waits.
  let active = 0;
  const waiting: Array<() => void> = [];
  function admit(res: Res): Promise<boolean> {
    if (active < maxActive) {
      active++;
      return Promise.resolve(true);
    }
    if (waiting.length >= maxQueued) return Promise.resolve(false);
    return new Promise((resolve) => {
      const enter = () => {
        res.off("close", leave);
        resolve(true);
      };
      // A caller that hangs up while waiting gives its place back.
      const leave = () => {
        const i = waiting.indexOf(enter);
        if (i >= 0) waiting.splice(i, 1);
        resolve(false);
      };
      waiting.push(enter);
      res.once("close", leave);
    });
  }
  function release() {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  async function handle(req: Req, res: Res) {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://standin");
    } catch {
      return send(res, 400, { message: "bad request target" });
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const routePath = /^\/payments\/[^/]+$/.test(path) && path !== "/payments/service-health" ? "/payments/:id" : path;
    const handler = routes.get(`${req.method} ${routePath}`);
    if (!handler) {
      const methods = [...routes.keys()].filter((k) => k.endsWith(` ${routePath}`)).map((k) => k.split(" ")[0]);
      if (methods.length) return send(res, 405, { message: "method not allowed" }, { allow: methods.join(", ") });
      return send(res, 404, { message: "not found" });
    }
    // Admin calls skip admission so a load test can always steer a saturated processor.
    const isAdmin = path.startsWith("/admin/");
    if (isAdmin && req.headers["x-rinha-token"] !== state.token) {
      return send(res, 401, { message: "invalid or missing X-Rinha-Token" });
    }
    if (!isAdmin && !(await admit(res))) return send(res, 429, { message: "too many requests" });
    try {
      await handler(req, res, url);
    } catch (err) {
      if (err instanceof HttpError) {
        send(res, err.status, { message: err.message }, err.status === 413 ? { connection: "close" } : {});
      } else if (!closing.signal.aborted && !res.destroyed) {
        console.error(`[${name}]`, err);
        send(res, 500, { message: "internal error" });
      }
    } finally {
      if (!isAdmin) release();
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => console.error(`[${name}]`, err));
  });
  // Kestrel keeps idle connections 130 s; Node's 5 s default makes pooled
  // clients race the server's close and see spurious ECONNRESETs.
  server.keepAliveTimeout = 130_000;

  return {
    name,
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      closing.abort();
      waiting.length = 0;
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function send(res: Res, status: number, body?: unknown, headers: http.OutgoingHttpHeaders = {}) {
  // The caller may have hung up; the work still counts, the answer has nowhere to go.
  if (res.headersSent || res.destroyed) return;
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(text ? { "content-type": "application/json; charset=utf-8" } : {}),
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: Req, maxBytes: number): Promise<unknown> {
  // ASP.NET minimal APIs refuse a JSON body sent under another media type.
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
    throw new HttpError(415, "Content-Type must be application/json");
  }
  if (Number(req.headers["content-length"] ?? 0) > maxBytes) throw new HttpError(413, "body too large");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, "body too large");
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return bad("body is not valid JSON");
  }
}

async function readObject(req: Req, maxBytes: number): Promise<Record<string, unknown>> {
  const body = await readJson(req, maxBytes);
  if (typeof body !== "object" || body === null || Array.isArray(body)) return bad("body must be a JSON object");
  return body as Record<string, unknown>;
}

function parsePayment(body: unknown): Payment {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return bad("body must be a JSON object");
  const { correlationId, amount, requestedAt } = body as Record<string, unknown>;
  const id = uuid(correlationId);
  if (!id) return bad("correlationId must be a UUID");
  const cents = toCents(amount);
  if (cents === undefined) return bad("amount must be a number");
  const at = instant(requestedAt);
  if (at === undefined) return bad("requestedAt must be an ISO-8601 timestamp");
  return { correlationId: id, cents, requestedAt: requestedAt as string, at };
}

// The real processor keys on a Guid, so letter case does not make a new id.
function uuid(v: unknown): string | undefined {
  if (typeof v !== "string" || !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(v)) return undefined;
  return v.toLowerCase();
}

// Rounds on the decimal text rather than v * 100 (1.005 * 100 is 100.49999…),
// half away from zero like a Postgres numeric column.
function toCents(v: unknown): number | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(v));
  let cents: number;
  if (m) {
    const frac = m[3] ?? "";
    const abs = Number(m[2]) * 100 + Number(frac.padEnd(2, "0").slice(0, 2)) + ((frac[2] ?? "0") >= "5" ? 1 : 0);
    cents = m[1] ? -abs : abs;
  } else {
    cents = roundHalfAway(v * 100); // exponent notation: tiny or huge values
  }
  return Number.isSafeInteger(cents) ? cents || 0 : undefined;
}

function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

// Millisecond timestamp; a time without a zone is taken as UTC, and
// impossible dates (Feb 30, 24:00) are refused instead of rolled over.
function instant(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const m = ISO_8601.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, zone] = m;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d) || Number(h ?? 0) > 23) return undefined;
  const ms = Date.parse(h !== undefined && !zone ? `${v}Z` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

function bound(url: URL, key: string): number | undefined {
  const v = url.searchParams.get(key);
  if (v === null || v === "") return undefined;
  const ms = instant(v);
  return ms === undefined ? bad(`${key} must be an ISO-8601 timestamp`) : ms;
}

// The only place that speaks HTTP to the payment processors. Every call
// answers a typed outcome and never throws, so the dispatcher's bookkeeping
// reads as a plain `switch`.
import { toCents } from "../lib/money.ts";
import { parseIsoTimestamp, toIso } from "../lib/time.ts";
import type { Health } from "./routing.ts";

export type SendOutcome =
  /** 200: the processor stored it with the requestedAt we sent. */
  | { kind: "paid" }
  /** 422: the processor already holds this correlationId (an earlier attempt got through). */
  | { kind: "duplicate" }
  /** 5xx, 429 or another 4xx: this attempt was definitely not stored. */
  | { kind: "rejected"; status: number }
  /** Timeout or broken connection: the processor may still store it. */
  | { kind: "unknown"; reason: string };

/** The processors answer one health call per 5 s for all callers together; stay just outside that. */
export const HEALTH_INTERVAL_MS = 5_100;
/** A health call can be held by the processor for ~10 s before it answers. */
export const HEALTH_TIMEOUT_MS = 12_000;

export type LookupOutcome = { kind: "found"; requestedAtMs: number; cents: number } | { kind: "absent" } | { kind: "error"; reason: string };

export async function sendPayment(
  baseUrl: string,
  payment: { correlationId: string; cents: number; requestedAtMs: number },
  timeoutMs: number,
): Promise<SendOutcome> {
  const body = JSON.stringify({
    correlationId: payment.correlationId,
    amount: payment.cents / 100,
    requestedAt: toIso(payment.requestedAtMs),
  });
  let status: number;
  try {
    status = await withTimeout(timeoutMs, async (signal) => {
      const response = await fetch(`${baseUrl}/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal,
      });
      await response.arrayBuffer(); // drain it so the connection goes back to the pool
      return response.status;
    });
  } catch (error) {
    return { kind: "unknown", reason: describe(error) };
  }
  if (status >= 200 && status < 300) return { kind: "paid" };
  if (status === 422) return { kind: "duplicate" };
  return { kind: "rejected", status };
}

/** `GET /payments/{id}`: the way to learn what became of an attempt whose answer never came. */
export async function lookupPayment(baseUrl: string, correlationId: string, timeoutMs: number): Promise<LookupOutcome> {
  let answer: { status: number; stored: Record<string, unknown> | null };
  try {
    answer = await withTimeout(timeoutMs, async (signal) => {
      const response = await fetch(`${baseUrl}/payments/${correlationId}`, { signal });
      if (response.status !== 200) {
        await response.arrayBuffer();
        return { status: response.status, stored: null };
      }
      return { status: 200, stored: (await response.json()) as Record<string, unknown> | null };
    });
  } catch (error) {
    return { kind: "error", reason: describe(error) };
  }
  if (answer.status === 404) return { kind: "absent" };
  const { requestedAt, amount } = answer.stored ?? {};
  const requestedAtMs = typeof requestedAt === "string" ? parseIsoTimestamp(requestedAt) : null;
  const cents = typeof amount === "number" ? toCents(amount) : null;
  if (requestedAtMs === null || cents === null) return { kind: "error", reason: `status ${answer.status}, unreadable record` };
  return { kind: "found", requestedAtMs, cents };
}

/** `GET /payments/service-health`, or null when it did not answer usefully (429 included). */
export async function pollHealth(baseUrl: string, timeoutMs: number): Promise<Health | null> {
  try {
    const health = await withTimeout(timeoutMs, async (signal) => {
      const response = await fetch(`${baseUrl}/payments/service-health`, { signal });
      return response.status === 200 ? ((await response.json()) as Partial<Health>) : (await response.arrayBuffer(), null);
    });
    if (health === null) return null;
    if (typeof health.failing !== "boolean" || typeof health.minResponseTime !== "number") return null;
    return { failing: health.failing, minResponseTime: health.minResponseTime };
  } catch {
    return null; // health is advice; routing works without it
  }
}

/**
 * Runs `call` with a signal that aborts after `ms`, and clears the timer the
 * moment the call is over: a pending timer keeps a Durable Object busy.
 */
async function withTimeout<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

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

export type LookupOutcome =
  | { kind: "found"; requestedAtMs: number; cents: number }
  | { kind: "absent" }
  | { kind: "error"; reason: string };

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
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { kind: "unknown", reason: describe(error) };
  }
  // Drain the body so the connection goes back to the pool.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { kind: "paid" };
  if (response.status === 422) return { kind: "duplicate" };
  return { kind: "rejected", status: response.status };
}

/** `GET /payments/{id}`: the way to learn what became of an attempt whose answer never came. */
export async function lookupPayment(baseUrl: string, correlationId: string, timeoutMs: number): Promise<LookupOutcome> {
  try {
    const response = await fetch(`${baseUrl}/payments/${correlationId}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status === 404) {
      await response.arrayBuffer();
      return { kind: "absent" };
    }
    if (response.status !== 200) {
      await response.arrayBuffer();
      return { kind: "error", reason: `status ${response.status}` };
    }
    const stored = (await response.json()) as { requestedAt?: unknown; amount?: unknown };
    const requestedAtMs = typeof stored.requestedAt === "string" ? parseIsoTimestamp(stored.requestedAt) : null;
    const cents = typeof stored.amount === "number" ? toCents(stored.amount) : null;
    if (requestedAtMs === null || cents === null) return { kind: "error", reason: "unreadable payment record" };
    return { kind: "found", requestedAtMs, cents };
  } catch (error) {
    return { kind: "error", reason: describe(error) };
  }
}

/** `GET /payments/service-health`, or null when it did not answer usefully (429 included). */
export async function pollHealth(baseUrl: string, timeoutMs: number): Promise<Health | null> {
  try {
    const response = await fetch(`${baseUrl}/payments/service-health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) {
      await response.arrayBuffer();
      return null;
    }
    const health = (await response.json()) as Partial<Health>;
    if (typeof health.failing !== "boolean" || typeof health.minResponseTime !== "number") return null;
    return { failing: health.failing, minResponseTime: health.minResponseTime };
  } catch {
    return null; // health is advice; routing works without it
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

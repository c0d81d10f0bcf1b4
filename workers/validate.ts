// What the API accepts, decided without touching anything: every function here
// is pure and answers either the clean value or a short reason for a 4xx.
import { MAX_AMOUNT_CENTS, toCents } from "../lib/money.ts";
import { parseIsoTimestamp } from "../lib/time.ts";

export type Invalid = { error: string };
export type PaymentRequest = { correlationId: string; cents: number };
export type SummaryWindow = { fromMs: number; toMs: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isInvalid<T extends object>(value: T | Invalid): value is Invalid {
  return "error" in value;
}

/** Validates a parsed `POST /payments` body. */
export function parsePayment(body: unknown): PaymentRequest | Invalid {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { error: "body must be a JSON object" };
  }
  const { correlationId, amount } = body as Record<string, unknown>;
  if (typeof correlationId !== "string" || !UUID.test(correlationId)) {
    return { error: "correlationId must be a UUID string" };
  }
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount <= 0) {
    return { error: "amount must be a number greater than 0" };
  }
  const cents = toCents(amount);
  if (cents === null) return { error: "amount must have at most 2 decimals" };
  if (cents > MAX_AMOUNT_CENTS) return { error: `amount must be at most ${MAX_AMOUNT_CENTS / 100}` };
  // One UUID, one payment: the same id in another letter case is the same payment.
  return { correlationId: correlationId.toLowerCase(), cents };
}

/** Validates the optional `from` and `to` of `GET /payments-summary`; a missing bound is open. */
export function parseWindow(from: string | undefined, to: string | undefined): SummaryWindow | Invalid {
  const fromMs = from === undefined ? Number.MIN_SAFE_INTEGER : parseIsoTimestamp(from);
  if (fromMs === null) return { error: "from must be an ISO-8601 timestamp like 2025-07-10T12:34:56.000Z" };
  const toMs = to === undefined ? Number.MAX_SAFE_INTEGER : parseIsoTimestamp(to);
  if (toMs === null) return { error: "to must be an ISO-8601 timestamp like 2025-07-10T12:34:56.000Z" };
  if (fromMs > toMs) return { error: "from must not be after to" };
  return { fromMs, toMs };
}

// What the processors confirmed: the rows with status 'paid'.
import type { CentsTotals, SummaryCents } from "../lib/combine.ts";
import { toAmount } from "../lib/money.ts";
import type { ProcessorName } from "./routing.ts";

export type ProcessorTotals = { totalRequests: number; totalAmount: number };
export type Summary = Record<ProcessorName, ProcessorTotals>;

/**
 * Books a payment as paid by `processor` with the requestedAt and amount the
 * processor holds. One UPDATE: the payment leaves the queue and enters the
 * books at once. Booking is idempotent: a payment already paid stays as it is.
 */
export function markPaid(sql: SqlStorage, correlationId: string, processor: ProcessorName, requestedAt: number, cents: number): void {
  sql.exec(
    `UPDATE payments SET status = 'paid', processor = ?, requested_at = ?, amount_cents = ?
     WHERE correlation_id = ? AND status != 'paid'`,
    processor,
    requestedAt,
    cents,
    correlationId,
  );
}

/** Totals per processor of the payments whose requestedAt lies in [fromMs, toMs]. */
export function summarize(sql: SqlStorage, fromMs: number, toMs: number): Summary {
  const cents = summarizeCents(sql, fromMs, toMs);
  const view = (t: CentsTotals): ProcessorTotals => ({ totalRequests: t.totalRequests, totalAmount: toAmount(t.totalCents) });
  return { default: view(cents.default), fallback: view(cents.fallback) };
}

/**
 * The same totals in integer cents: what a sharded deployment adds up
 * across shards (lib/combine.ts), so no float is ever summed.
 */
export function summarizeCents(sql: SqlStorage, fromMs: number, toMs: number): SummaryCents {
  const summary: SummaryCents = {
    default: { totalRequests: 0, totalCents: 0 },
    fallback: { totalRequests: 0, totalCents: 0 },
  };
  const rows = sql.exec<{ processor: ProcessorName; n: number; cents: number }>(
    `SELECT processor, COUNT(*) AS n, SUM(amount_cents) AS cents FROM payments
     WHERE status = 'paid' AND requested_at BETWEEN ? AND ? GROUP BY processor`,
    fromMs,
    toMs,
  );
  for (const row of rows) {
    summary[row.processor] = { totalRequests: row.n, totalCents: row.cents };
  }
  return summary;
}

export function forgetEverything(sql: SqlStorage): void {
  sql.exec("DELETE FROM payments");
}

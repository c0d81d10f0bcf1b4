// The payments waiting to be paid: accept, claim for an attempt, release after it.
import type { ProcessorName } from "./routing.ts";

export type AcceptResult = "accepted" | "duplicate" | "conflict";
/** What the ledger makes of a forwarded payment: also "purged" (accepted before the last purge) and "invalid". */
export type LedgerAcceptResult = AcceptResult | "purged" | "invalid";

/** A payment as an API instance's outbox forwards it to the ledger. */
export type IncomingPayment = { correlationId: string; cents: number; acceptedAt: number };

/**
 * The shape every stored payment has. The API validated the request already;
 * this guards the Durable Objects' own RPC entrances.
 */
export function isPayment(correlationId: unknown, cents: unknown): boolean {
  return typeof correlationId === "string" && Number.isSafeInteger(cents) && (cents as number) > 0;
}

export type DuePayment = {
  correlationId: string;
  cents: number;
  acceptedAt: number;
  status: "queued" | "unknown";
  /** Where an earlier attempt may have landed (set when status is "unknown"). */
  processor: ProcessorName | null;
  settleAfter: number;
  attempts: number;
};

/**
 * Stores a new payment. A correlationId seen before is never queued again:
 * the same amount is a harmless retry by the client, another amount is a conflict.
 */
export function enqueue(sql: SqlStorage, correlationId: string, cents: number, acceptedAt: number): AcceptResult {
  const inserted = sql
    .exec(
      `INSERT INTO payments (correlation_id, amount_cents, accepted_at, status, due_at)
       VALUES (?, ?, ?, 'queued', ?) ON CONFLICT DO NOTHING RETURNING 1`,
      correlationId,
      cents,
      acceptedAt,
      acceptedAt,
    )
    .toArray();
  if (inserted.length > 0) return "accepted";
  const existing = sql.exec<{ amount_cents: number }>("SELECT amount_cents FROM payments WHERE correlation_id = ?", correlationId).one();
  return existing.amount_cents === cents ? "duplicate" : "conflict";
}

/** Payments whose next attempt is due, oldest first. */
export function duePayments(sql: SqlStorage, now: number, limit: number): DuePayment[] {
  return sql
    .exec<{
      correlation_id: string;
      amount_cents: number;
      accepted_at: number;
      status: "queued" | "unknown";
      processor: ProcessorName | null;
      settle_after: number | null;
      attempts: number;
    }>(
      `SELECT correlation_id, amount_cents, accepted_at, status, processor, settle_after, attempts FROM payments
       WHERE status IN ('queued', 'unknown') AND due_at <= ? ORDER BY due_at LIMIT ?`,
      now,
      limit,
    )
    .toArray()
    .map((row) => ({
      correlationId: row.correlation_id,
      cents: row.amount_cents,
      acceptedAt: row.accepted_at,
      status: row.status,
      processor: row.processor,
      settleAfter: row.settle_after ?? 0,
      attempts: row.attempts,
    }));
}

/**
 * Records an attempt before it leaves. The row then says where the payment
 * may land and with which requestedAt, so a crash mid-request leaves a
 * payment pinned to that processor instead of free to be paid twice.
 */
export function claimForSend(sql: SqlStorage, correlationId: string, processor: ProcessorName, requestedAt: number, settleAfter: number): void {
  sql.exec(
    `UPDATE payments SET status = 'sending', processor = ?, requested_at = ?, settle_after = ?, attempts = attempts + 1
     WHERE correlation_id = ?`,
    processor,
    requestedAt,
    settleAfter,
    correlationId,
  );
}

/** Moves a queued payment out of the queue's way until `until` (routing's parking). */
export function park(sql: SqlStorage, correlationId: string, until: number): void {
  sql.exec("UPDATE payments SET due_at = ? WHERE correlation_id = ? AND status = 'queued'", until, correlationId);
}

/**
 * Makes every parked payment due again, in arrival order. Queued payments
 * waiting out a retry pause come along: routing still keeps them from a
 * processor that is failing.
 */
export function unparkAll(sql: SqlStorage, now: number): void {
  // "status IN (...)" repeats the payments_waiting index's condition so that
  // SQLite uses the index; "status = 'queued'" alone scans the whole table.
  sql.exec("UPDATE payments SET due_at = accepted_at WHERE status IN ('queued', 'unknown') AND due_at > ? AND status = 'queued'", now);
}

/**
 * Queued payments not yet due: those parked, and any waiting out a retry
 * pause (unparkAll makes both due alike). What a restart starts from.
 */
export function parkedCount(sql: SqlStorage, now: number): number {
  // The repeated status condition, as in unparkAll, keeps this on the payments_waiting index.
  return sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM payments WHERE status IN ('queued', 'unknown') AND due_at > ? AND status = 'queued'", now)
    .one().n;
}

/** Marks a lookup on the wire, keeping the processor it is pinned to. */
export function claimForLookup(sql: SqlStorage, correlationId: string): void {
  sql.exec("UPDATE payments SET status = 'sending' WHERE correlation_id = ?", correlationId);
}

/**
 * Puts a payment whose attempt did not end in the books back in the queue.
 * `settleAfter`, when given, replaces the one the claim wrote: an attempt
 * that was definitely refused cannot land later, so it must not extend the
 * time the payment stays pinned.
 */
export function release(
  sql: SqlStorage,
  correlationId: string,
  status: "queued" | "unknown",
  dueAt: number,
  settleAfter: number | null = null,
): void {
  sql.exec(
    `UPDATE payments SET status = ?, due_at = ?, settle_after = COALESCE(?, settle_after),
       processor = CASE WHEN ? = 'queued' THEN NULL ELSE processor END
     WHERE correlation_id = ? AND status = 'sending'`,
    status,
    dueAt,
    settleAfter,
    status,
    correlationId,
  );
}

/**
 * After a restart nothing is on the wire any more, but what was may still
 * land: every interrupted attempt becomes "unknown", due now.
 */
export function recoverInterrupted(sql: SqlStorage, now: number): number {
  return sql.exec("UPDATE payments SET status = 'unknown', due_at = ? WHERE status = 'sending'", now).rowsWritten;
}

/** The earliest due time of anything waiting, or null when nothing waits. */
export function nextDueAt(sql: SqlStorage): number | null {
  const row = sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM payments WHERE status IN ('queued', 'unknown')").one();
  return row.due;
}

/** How many wait for an attempt (not those on the wire): a count over the `payments_waiting` index alone. */
export function waitingCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM payments WHERE status IN ('queued', 'unknown')").one().n;
}

/** Everything not yet paid, on the wire included, and the oldest of it: a scan of the whole table, for stats. */
export function queueDepth(sql: SqlStorage): { waiting: number; oldestAcceptedAt: number | null } {
  const row = sql
    .exec<{ waiting: number; oldest: number | null }>("SELECT COUNT(*) AS waiting, MIN(accepted_at) AS oldest FROM payments WHERE status != 'paid'")
    .one();
  return { waiting: row.waiting, oldestAcceptedAt: row.oldest };
}

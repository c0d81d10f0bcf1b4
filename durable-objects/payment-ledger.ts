// The Durable Object that owns every payment: it queues what the API
// instances' outboxes hand over, dispatches it to the processors, and keeps
// the books the summary is read from. This file is its face to the API
// workers (accept, summary, purge, stats) and its start; how it pays is in
// ledger-dispatch.ts, the class it extends.
import { countArrivals } from "./arrivals.ts";
import type { SummaryCents } from "../lib/combine.ts";
import { forgetEverything, summarize, summarizeCents, type Summary } from "./books.ts";
import {
  enqueue,
  isPayment,
  nextDueAt,
  parkedCount,
  queueDepth,
  recoverInterrupted,
  type AcceptResult,
  type IncomingPayment,
  type LedgerAcceptResult,
} from "./queue.ts";
import type { ProcessorName } from "./routing.ts";
import { LedgerDispatch, writeSetting } from "./ledger-dispatch.ts";
import { migrate } from "./schema.ts";

export type LedgerStats = {
  waiting: number;
  oldestAcceptedAt: number | null;
  processors: Record<ProcessorName, { inFlight: number; failures: number; latencyMs: number; reportedDelayMs: number | null }>;
};

export class PaymentLedger extends LedgerDispatch {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.transactionSync(() => migrate(this.sql));
      const now = Date.now();
      recoverInterrupted(this.sql, now);
      this.parked = parkedCount(this.sql, now);
      for (const row of this.sql.exec<{ key: string; value: number }>("SELECT key, value FROM settings")) {
        if (row.key === "purged_at") this.purgedAt = row.value;
        const name = row.key.replace("health_polled_at:", "");
        if (name === "default" || name === "fallback") this.health.polledAt[name] = row.value;
      }
      this.alarmAt = await ctx.storage.getAlarm();
      const due = nextDueAt(this.sql);
      if (due !== null) this.armAt(Math.max(due, now));
    });
  }

  /**

   * transaction. The outbox deletes its copies only after this returns, and
   * the output gate holds the answer until the commit: a payment is always
   * durable in at least one place. Idempotent, because an outbox that lost
   * our answer sends the same batch again. The answer also says when the
   * last purge was, so outboxes can forget what they saw before it.
   */
  accept(payments: IncomingPayment[]): { results: LedgerAcceptResult[]; purgedAt: number } {
    if (!Array.isArray(payments)) throw new TypeError("accept(payments: IncomingPayment[])");
    const results = this.ctx.storage.transactionSync(() =>
      payments.map((payment): LedgerAcceptResult => {
        if (!isIncomingPayment(payment)) return "invalid";
        if (payment.acceptedAt < this.purgedAt) return "purged";
        return enqueue(this.sql, payment.correlationId, payment.cents, payment.acceptedAt);
      }),
    );
    this.arrived(results.filter((r) => r === "accepted").length);
    return { results, purgedAt: this.purgedAt };
  }

  /**
   * One payment straight from the API, with no outbox in between: how a
   * POST is stored when the ledger is sharded (workers/ledger.ts). Dated by
   * this object's clock, the one its purge is dated by, so a payment sent
   * after a purge is never taken for one from before it. The output gate
   * holds the answer until the write is committed: the 202 means durable.
   */
  acceptNow(correlationId: string, cents: number): AcceptResult {
    if (!isPayment(correlationId, cents)) throw new TypeError("acceptNow(correlationId: string, cents: positive integer)");
    const result = enqueue(this.sql, correlationId, cents, Date.now());
    this.arrived(result === "accepted" ? 1 : 0);
    return result;
  }

  private arrived(accepted: number): void {
    countArrivals(this.arrivals, accepted, Date.now());
    // While the head of the queue waits, a newer payment would only wait behind it.
    if (accepted > 0 && Date.now() >= this.stalledUntil) this.safePump();
  }

  /** Totals per processor of what the processors confirmed, by requestedAt in [fromMs, toMs]. */
  summary(fromMs: number, toMs: number): Summary {
    this.bookConfirmed();
    return summarize(this.sql, fromMs, toMs);
  }

  /** The same totals in integer cents, for adding up across shards. */
  summaryCents(fromMs: number, toMs: number): SummaryCents {
    this.bookConfirmed();
    return summarizeCents(this.sql, fromMs, toMs);
  }

  /**
   * Forgets every payment, queued or paid. Requests already on the wire may
   * still be stored by a processor, but their answers are ignored: the caller
   * purges the processors too, and a payment accepted after the purge starts
   * from scratch even if it reuses a correlationId.
   */
  purge(): void {
    this.generation += 1;
    this.stalledUntil = 0;
    this.backlogCountedAt = -Infinity;
    this.purgedAt = Date.now();
    this.confirmed.length = 0;
    this.parked = 0;
    this.ctx.storage.transactionSync(() => {
      forgetEverything(this.sql);
      writeSetting(this.sql, "purged_at", this.purgedAt);
    });
  }

  stats(): LedgerStats {
    this.bookConfirmed();
    const depth = queueDepth(this.sql);
    const view = (name: ProcessorName) => ({
      inFlight: this.routing[name].inFlight,
      failures: this.routing[name].failures,
      latencyMs: Math.round(this.routing[name].latencyMs),
      reportedDelayMs: this.routing[name].reportedDelayMs,
    });
    return { ...depth, processors: { default: view("default"), fallback: view("fallback") } };
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.safePump();
  }
}

function isIncomingPayment(payment: unknown): payment is IncomingPayment {
  const p = payment as Partial<IncomingPayment> | null;
  return typeof p === "object" && p !== null && isPayment(p.correlationId, p.cents) && Number.isSafeInteger(p.acceptedAt);
}

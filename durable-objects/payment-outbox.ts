// Each API instance's own Durable Object, on that instance's own disk. A
// payment is durable here before the client hears 202; from here it travels
// to the ledger in batches. So a POST never waits for the engine process, the
// processors, or the work those cause: only for one local write.
//
// A payment leaves the outbox only after the ledger has committed it, and the
// ledger's accept is idempotent, so a crash on either side at any moment
// loses nothing and queues nothing twice.
import { DurableObject } from "cloudflare:workers";
import { ledger } from "../workers/ledger.ts";
import { retryDelayMs } from "./backoff.ts";
import { collectNativeGarbage, collector } from "./native-memory.ts";
import { isPayment, type AcceptResult, type IncomingPayment } from "./queue.ts";

// outbox: payments not yet handed to the ledger, in arrival order (rowid).
// seen:   every payment this instance accepted since the last purge it knows
//         of, so a client's retry gets its answer here and now.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  correlation_id TEXT PRIMARY KEY,
  amount_cents   INTEGER NOT NULL,
  accepted_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
  correlation_id TEXT PRIMARY KEY,
  amount_cents   INTEGER NOT NULL,
  accepted_at    INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Wait this long after a payment arrives before forwarding, so one hop
 * carries several. A hop costs both sides a call and a commit (the ledger's
 * with an fsync), then a pump: a hop costs the engine milliseconds of CPU
 * against a fraction of one a payment, so the more a hop carries, the less
 * CPU a payment costs (docs/decisions.md). A payment reaches a processor up
 * to this much later, well inside the ~1 s between a load test's last POST
 * and its final read; it is also what a power loss could take from here.
 */
const GATHER_MS = 250;
/** Payments per hop to the ledger. */
const BATCH = 256;
/** While anything waits here, the alarm fires at least this often: after a restart it is what wakes us. */
const WATCHDOG_MS = 1_000;

type Row = { rowid: number; correlation_id: string; amount_cents: number; accepted_at: number };

export class PaymentOutbox extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private forwardTimer: ReturnType<typeof setTimeout> | null = null;
  private forwarding = false;
  /** Failed hops in a row, for the backoff. */
  private failures = 0;
  /** The ledger's last purge as this instance has heard of it. */
  private purgedAt = 0;
  private alarmArmed = false;
  /**
   * A full GC every 500 ms while payments flow: see native-memory.ts. Each
   * one pauses this isolate, POSTs included. The pause has a fixed part and
   * grows with the garbage since the last, so short and frequent beats long
   * and rare for a POST's tail: every 500 ms the pauses are a few ms, about
   * half those of one every 2 s, and V8 left alone runs one every ~10 s of
   * ~20 ms with twice the peak memory (docs/decisions.md, 28a3690).
   */
  private readonly collector = collector(500);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(SCHEMA);
      this.alarmArmed = (await ctx.storage.getAlarm()) !== null;
      if (this.pending() > 0) this.forwardSoon(0);
    });
  }

  /**
   * Stores a payment; the output gate holds the answer until it is on disk.
   * A correlationId this instance has seen is not stored twice: the same
   * amount is a client's retry, another amount a conflict. (One first seen by
   * another instance is the ledger's call: it keeps the first amount and
   * pays it once.)
   *
   * Written at once, not gathered behind a setTimeout(0) for a group commit:
   * workerd already folds the writes of concurrent requests into its next
   * commit, and the timer added about a millisecond to every POST's p50
   * (docs/decisions.md).
   */
  accept(correlationId: string, cents: number): AcceptResult {
    if (!isPayment(correlationId, cents)) {
      throw new TypeError("accept(correlationId: string, cents: positive integer)");
    }
    const result = this.ctx.storage.transactionSync(() => store(this.sql, correlationId, cents, Date.now()));
    if (result !== "conflict") {
      this.armWatchdog();
      this.forwardSoon(GATHER_MS);
    }
    return result;
  }

  /** Forgets what waits here; the ledger drops anything accepted before its own purge. */
  purge(): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM outbox");
      this.sql.exec("DELETE FROM seen");
    });
  }

  /** Payments stored here and not yet handed to the ledger. */
  pending(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.forward();
    if (this.pending() > 0) this.armWatchdog();
  }

  private forwardSoon(delayMs: number): void {
    if (this.forwardTimer !== null || this.forwarding) return;
    this.forwardTimer = setTimeout(() => {
      this.forwardTimer = null;
      void this.forward();
    }, delayMs);
  }

  /**
   * Hands what waits to the ledger, a batch per hop. Full batches follow each
   * other at once; after a partial one, the next waits GATHER_MS so that
   * hops stay few. On failure, tries again with backoff.
   */
  private async forward(): Promise<void> {
    if (this.forwarding) return;
    this.forwarding = true;
    let more = false;
    try {
      for (;;) {
        const rows = this.sql
          .exec<Row>("SELECT rowid, correlation_id, amount_cents, accepted_at FROM outbox ORDER BY rowid LIMIT ?", BATCH)
          .toArray();
        if (rows.length === 0) break;
        const batch: IncomingPayment[] = rows.map((r) => ({ correlationId: r.correlation_id, cents: r.amount_cents, acceptedAt: r.accepted_at }));
        const { results, purgedAt } = await ledger(this.env).accept(batch);
        this.ctx.storage.transactionSync(() => {
          // Only the rows as sent: one refreshed meanwhile by a client's retry goes again.
          for (const r of rows) this.sql.exec("DELETE FROM outbox WHERE rowid = ? AND accepted_at = ?", r.rowid, r.accepted_at);
          // Purged through another instance: what this one saw before is no longer known to anyone.
          if (purgedAt > this.purgedAt) this.sql.exec("DELETE FROM seen WHERE accepted_at < ?", purgedAt);
        });
        this.purgedAt = Math.max(this.purgedAt, purgedAt);
        results.forEach((result, i) => {
          if (result === "conflict" || result === "invalid") {
            console.warn(`payment ${batch[i]!.correlationId} not queued by the ledger: ${result}`);
          }
        });
        this.failures = 0;
        collectNativeGarbage(this.collector, Date.now());
        if (rows.length < BATCH) {
          more = this.pending() > 0;
          break;
        }
      }
    } catch (error) {
      this.failures += 1;
      console.error(`ledger unreachable, payments wait in the outbox: ${error instanceof Error ? error.message : String(error)}`);
      this.forwarding = false;
      this.forwardSoon(retryDelayMs(this.failures));
      return;
    }
    this.forwarding = false;
    if (more) this.forwardSoon(GATHER_MS);
  }

  private armWatchdog(): void {
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    void this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
  }
}

/**
 * Stores a new payment, or recognizes one this instance has seen. A retry
 * goes to the ledger again, with a fresh acceptedAt: harmless if the ledger
 * holds it, and it revives it if a purge elsewhere made the ledger forget it
 * while this instance still remembered it.
 */
function store(sql: SqlStorage, correlationId: string, cents: number, now: number): AcceptResult {
  const seen = sql.exec<{ amount_cents: number }>("SELECT amount_cents FROM seen WHERE correlation_id = ?", correlationId).toArray()[0];
  if (seen !== undefined && seen.amount_cents !== cents) return "conflict";
  const upsert = "ON CONFLICT (correlation_id) DO UPDATE SET accepted_at = excluded.accepted_at";
  sql.exec(`INSERT INTO seen (correlation_id, amount_cents, accepted_at) VALUES (?, ?, ?) ${upsert}`, correlationId, cents, now);
  sql.exec(`INSERT INTO outbox (correlation_id, amount_cents, accepted_at) VALUES (?, ?, ?) ${upsert}`, correlationId, cents, now);
  return seen === undefined ? "accepted" : "duplicate";
}

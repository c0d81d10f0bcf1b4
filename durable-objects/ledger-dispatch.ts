// The ledger's dispatch, the half of PaymentLedger (payment-ledger.ts) that
// pays: its state in memory, the pump, one attempt to pay, settling an
// unknown outcome, health polls and the alarm.
//
// Dispatch is a pump: it claims due payments while a processor can take them
// and starts their requests without waiting for them. Each answer books or
// reschedules its payment and runs the pump again, so the wire stays busy
// without a timer in the loop. The alarm is the guarantee underneath: it is
// armed whenever anything is unfinished, so retries come due, and after a
// crash or eviction the object wakes up by itself and carries on.
import { DurableObject } from "cloudflare:workers";
import { arrivalsPerSecond, initialArrivals } from "./arrivals.ts";
import { retryDelayMs } from "./backoff.ts";
import { markPaid } from "./books.ts";
import { readConfig, type DispatchConfig } from "./config.ts";
import { collectNativeGarbage, collector, requestFinished } from "./native-memory.ts";
import { checkHealthIfDue, type HealthDeps, type HealthPolls } from "./health-polls.ts";
import { lookupPayment, sendPayment } from "./processor-client.ts";
import { claimForLookup, claimForSend, duePayments, nextDueAt, park, release, unparkAll, waitingCount, type DuePayment } from "./queue.ts";
import {
  PROCESSORS,
  QUIET_MS,
  admit,
  initialRouting,
  recordHealth,
  recordResult,
  recordSent,
  route,
  serviceTimeMs,
  unparks,
  type Backlog,
  type Choice,
  type ProcessorName,
  type RoutingState,
} from "./routing.ts";
import { sharedHealth } from "./processor-health.ts";
import { answered, requestedAtFor, sent, type Wire } from "./requested-at.ts";

/** While anything is on the wire the alarm still fires this often, so progress never hinges on a callback. */
const WATCHDOG_MS = 1_000;
/** Due payments read per query. */
const BATCH = 64;
/** How old the count of waiting payments may be when routing asks for it. */
const BACKLOG_COUNT_MS = 100;
/** Never re-arm the alarm closer than this: a payment waiting for a processor should not spin. */
const MIN_WAKE_MS = 10;

export abstract class LedgerDispatch extends DurableObject<Env> {
  protected readonly sql: SqlStorage;
  protected readonly config: DispatchConfig;
  protected readonly routing: RoutingState = initialRouting();
  /** When each payment request now on the wire left, per processor: what requestedAt is dated from. */
  protected readonly wire: Record<ProcessorName, Wire> = { default: [], fallback: [] };
  /** Bumped by purge, so answers to requests sent before it change nothing. */
  protected generation = 0;
  /** The alarm time as last set here, so the hot path need not read it back. */
  protected alarmAt: number | null = null;
  protected readonly health: HealthPolls = { polledAt: { default: 0, fallback: 0 }, askedAt: -Infinity, seenAt: { default: 0, fallback: 0 } };
  private readonly healthDeps: HealthDeps;
  protected pumpScheduled = false;
  protected backlogCount = 0;
  protected backlogCountedAt = -Infinity;
  protected readonly arrivals = initialArrivals(Date.now());
  /**
   * A full GC a second while requests are on the wire, or every 500 answers
   * when they come faster (a drain): see native-memory.ts.
   */
  protected readonly collector = collector(1_000, 500);
  /**
   * Until when the oldest due payment must wait (Infinity: until a processor
   * answers). Only time, an answer or a health poll can move it, and those
   * run the pump themselves; new payments need not.
   */
  protected stalledUntil = 0;
  /**
   * Payments a processor confirmed, not yet booked: the next pump books them.
   * Every turn of the event loop that writes ends in a commit of its own (a
   * WAL write and an fsync), and answers arrive a few at a time; booked by
   * the pump, many answers share one commit with the claims that follow.
   * A crash before then leaves them "sending", and a restart settles those.
   */
  protected readonly confirmed: Confirmed[] = [];
  /**
   * Payments parked since they last all came back (see routing's `Route`).
   * Counted from the table on start, so that parked payments still come
   * back when payments stop arriving, not only when their parking runs out.
   */
  protected parked = 0;
  /**
   * Payments accepted before this moment were purged. An outbox may still
   * forward some of them after the purge; they are dropped, not revived.
   */
  protected purgedAt = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.config = readConfig(env);
    this.healthDeps = {
      urls: this.config.urls,
      shared: sharedHealth(env),
      remember: (name, at) => writeSetting(this.sql, `health_polled_at:${name}`, at),
      record: (name, health) => {
        recordHealth(this.routing, name, health, Date.now());
        this.schedulePump();
      },
      onError: logBug,
    };
  }

  /** Never lets one bad moment stop dispatch: logs it and comes back soon. */
  protected safePump(): void {
    try {
      this.pump();
    } catch (error) {
      console.error("dispatch failed; trying again shortly", error);
      this.armAt(Date.now() + WATCHDOG_MS);
    }
  }

  /**
   * Starts due payments while the processors can take them, then arms the
   * alarm for what is left. One batch per turn of the event loop: draining a
   * backlog of thousands must not hold up the payments arriving meanwhile,
   * whose answers wait for this same thread.
   */
  protected pump(): void {
    this.bookConfirmed();
    const now = Date.now();
    if (this.inFlight() > 0) collectNativeGarbage(this.collector, now);
    const backlog: Backlog = {
      waiting: () => this.backlog(now),
      arrivalsPerSecond: arrivalsPerSecond(this.arrivals, now),
      lastArrivalAt: this.arrivals.lastAt,
    };
    if (this.parked > 0 && unparks(this.routing, now, this.config, backlog)) {
      unparkAll(this.sql, now);
      this.parked = 0;
    }
    const room = this.room();
    if (room === 0) {
      // Every slot is taken: nothing could start, and only an answer frees a
      // slot (and runs the pump). Reading the queue now would be pure cost,
      // paid once per answer while a backlog waits.
      this.stalledUntil = Infinity;
      this.pollHealthIfDue(now);
      this.rearm(now, Infinity);
      return;
    }
    let waitUntil = Infinity;
    let started = 0;
    const limit = Math.min(BATCH, room);
    const due = duePayments(this.sql, now, limit);
    this.stalledUntil = 0;
    due.forEach((payment, i) => {
      const notBefore = this.dispatch(payment, now, backlog);
      if (notBefore === null) started += 1;
      else waitUntil = Math.min(waitUntil, notBefore);
      if (i === 0 && notBefore !== null && payment.status === "queued") this.stalledUntil = notBefore;
    });
    // A full batch that all went out: more may be ready. (Not when some had to
    // wait: they would head the next batch too, and the pump would spin.)
    if (started === limit) this.schedulePump();
    if (due.length > 0 || this.inFlight() > 0) this.pollHealthIfDue(now);
    this.rearm(now, waitUntil);
  }

  /** Books what the processors confirmed since the last look. One that fails stays for the next pump. */
  protected bookConfirmed(): void {
    let booked = 0;
    try {
      for (const { correlationId, processor, requestedAt, cents } of this.confirmed) {
        markPaid(this.sql, correlationId, processor, requestedAt, cents);
        booked += 1;
      }
    } finally {
      this.confirmed.splice(0, booked);
    }
  }

  /** Free slots on the wire, both processors together. */
  protected room(): number {
    const each = PROCESSORS.reduce((sum, name) => sum + Math.max(0, this.config.maxInFlight - this.routing[name].inFlight), 0);
    return Math.min(each, Math.max(0, this.config.maxInFlightTotal - this.inFlight()));
  }

  /**
   * How many payments are not yet paid, for routing's "can default clear
   * this in time?": those waiting, and those on the wire.
   * Counting walks the waiting part of the queue, and the question is asked
   * once per pump while default is busy: with thousands waiting, counting
   * every time cost more than paying. A tenth of a second old is as good.
   */
  protected backlog(now: number): number {
    if (now - this.backlogCountedAt >= BACKLOG_COUNT_MS) {
      this.backlogCount = waitingCount(this.sql) + this.inFlight();
      this.backlogCountedAt = now;
    }
    return this.backlogCount;
  }

  /**
   * Many answers arrive in one turn of the event loop; one pump after them
   * all does the work of one pump after each.
   */
  protected schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setTimeout(() => {
      this.pumpScheduled = false;
      this.safePump();
    }, 0);
  }

  /**
   * Starts one payment's next step and answers null, or answers the earliest
   * time it is worth another look (Infinity: when an answer frees a processor).
   */
  protected dispatch(payment: DuePayment, now: number, backlog: Backlog): number | null {
    if (payment.status === "unknown" && payment.processor !== null) {
      // A lookup is not a payment attempt: it may go even to a failing processor.
      if (this.routing[payment.processor].inFlight >= this.config.maxInFlight) return Infinity;
      if (this.inFlight() >= this.config.maxInFlightTotal) return Infinity;
      this.settle(payment).catch(logBug);
      return null;
    }
    const next = route(this.routing, now, payment.acceptedAt, this.config, backlog);
    if ("waitUntil" in next) return next.waitUntil;
    if ("parkUntil" in next) {
      park(this.sql, payment.correlationId, next.parkUntil);
      this.parked += 1;
      return null;
    }
    this.send(payment, next.go, false).catch(logBug);
    return null;
  }

  /**
   * One attempt to pay. Everything up to the first await runs at once, so the
   * claim and the in-flight count are in place before the pump looks again.
   * `pinned` says an earlier attempt to the same processor may have landed.
   * The payment is dated with when the processor should store it
   * (requested-at.ts), and booked with that very date.
   */
  protected async send(payment: DuePayment, choice: Choice, pinned: boolean): Promise<void> {
    const generation = this.generation;
    const { correlationId, cents } = payment;
    const { processor } = choice;
    const sentAt = Date.now();
    const requestedAt = requestedAtFor(sentAt, serviceTimeMs(this.routing[processor]), this.wire[processor], this.config.timeoutMs);
    claimForSend(this.sql, correlationId, processor, requestedAt, sentAt + this.config.settleAfterMs);
    recordSent(this.routing, choice, sentAt);
    sent(this.wire[processor], sentAt);
    /** What this attempt says of the processor: it answered as a working one would. */
    let healthy = false;
    let latencyMs: number | undefined;
    try {
      const url = this.config.urls[processor];
      const outcome = await sendPayment(url, { correlationId, cents, requestedAtMs: requestedAt }, this.config.timeoutMs).finally(() => {
        answered(this.wire[processor], sentAt);
        requestFinished(this.collector);
      });
      if (outcome.kind !== "unknown") latencyMs = Date.now() - sentAt;
      if (generation !== this.generation) return;
      switch (outcome.kind) {
        case "paid":
          healthy = true;
          this.confirmed.push({ correlationId, processor, requestedAt, cents });
          break;
        case "duplicate":
          // It got there before, by an attempt whose answer we never saw. Pinned
          // there and due now, the next pump looks it up (settle) and books it
          // with the requestedAt the processor holds.
          healthy = true;
          release(this.sql, correlationId, "unknown", Date.now());
          break;
        case "rejected":
          // A 4xx other than 429 is about this payment, not the processor's health.
          healthy = outcome.status < 500 && outcome.status !== 429;
          this.retryLater(payment, pinned ? "unknown" : "queued", 0, payment.settleAfter);
          break;
        case "unknown":
          this.retryLater(payment, "unknown");
          break;
      }
    } catch (error) {
      this.breakOff(payment, generation);
      throw error;
    } finally {
      recordResult(this.routing, choice, healthy ? "success" : "failure", Date.now(), latencyMs);
      this.schedulePump();
    }
  }

  /**
   * Settles a payment pinned to a processor by an earlier unknown outcome:
   * look it up there; if it is not there yet, try that same processor again
   * (a 422 then proves the earlier attempt landed); once every earlier attempt
   * is surely over and it is still absent, it is free to go anywhere.
   */
  protected async settle(payment: DuePayment): Promise<void> {
    const generation = this.generation;
    const processor = payment.processor as ProcessorName;
    claimForLookup(this.sql, payment.correlationId);
    this.routing[processor].inFlight += 1;
    const found = await lookupPayment(this.config.urls[processor], payment.correlationId, this.config.timeoutMs);
    this.routing[processor].inFlight -= 1;
    if (generation !== this.generation) return this.schedulePump();
    const now = Date.now();
    try {
      if (found.kind === "found") {
        markPaid(this.sql, payment.correlationId, processor, found.requestedAtMs, found.cents);
      } else if (found.kind === "error") {
        this.retryLater(payment, "unknown");
      } else if (now >= payment.settleAfter) {
        release(this.sql, payment.correlationId, "queued", now);
      } else {
        const choice = admit(this.routing, processor, now, this.config.maxInFlight);
        if (choice !== null) return this.send(payment, choice, true);
        this.retryLater(payment, "unknown", this.routing[processor].retryAt);
      }
    } catch (error) {
      this.breakOff(payment, generation);
      throw error;
    }
    this.schedulePump();
  }

  protected retryLater(payment: DuePayment, status: "queued" | "unknown", notBefore = 0, settleAfter: number | null = null): void {
    const dueAt = Math.max(Date.now() + retryDelayMs(payment.attempts + 1), notBefore);
    release(this.sql, payment.correlationId, status, dueAt, settleAfter);
  }

  /**
   * A step that broke off midway must not leave its payment "sending": no
   * pump would look at it again before a restart.
   */
  protected breakOff(payment: DuePayment, generation: number): void {
    if (generation === this.generation) this.retryLater(payment, "unknown");
  }

  protected pollHealthIfDue(now: number): void {
    checkHealthIfDue(this.health, now, this.healthDeps);
  }

  /**
   * Arms the alarm for the next moment there may be work: a retry coming due,
   * a payment that has waited long enough for fallback, a probe, or the
   * watchdog while anything is on the wire.
   */
  protected rearm(now: number, waitUntil: number): void {
    let wake = this.inFlight() > 0 ? now + WATCHDOG_MS : Infinity;
    // Parked payments come back the moment payments stop arriving.
    if (this.parked > 0) wake = Math.min(wake, Math.max(this.arrivals.lastAt + QUIET_MS, now + MIN_WAKE_MS));
    if (Number.isFinite(waitUntil)) wake = Math.min(wake, Math.max(waitUntil, now + MIN_WAKE_MS));
    const due = nextDueAt(this.sql);
    if (due !== null) wake = Math.min(wake, due > now ? due : now + WATCHDOG_MS);
    this.armAt(wake);
  }

  protected armAt(at: number): void {
    if (!Number.isFinite(at) || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  protected inFlight(): number {
    return this.routing.default.inFlight + this.routing.fallback.inFlight;
  }
}

/** A payment a processor confirmed, with what it holds. */
type Confirmed = { correlationId: string; processor: ProcessorName; requestedAt: number; cents: number };

export function writeSetting(sql: SqlStorage, key: string, value: number): void {
  sql.exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
}

function logBug(error: unknown): void {
  console.error("unexpected error in dispatch", error);
}

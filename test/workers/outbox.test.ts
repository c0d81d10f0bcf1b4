// Each API instance's outbox: a 202 means the payment is on that instance's
// disk; from there it reaches the ledger exactly once, whatever dies when.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PaymentLedger } from "../../durable-objects/payment-ledger.ts";
import type { PaymentOutbox } from "../../durable-objects/payment-outbox.ts";
import { LEDGER_NAME } from "../../workers/ledger.ts";
import { fakeProcessors } from "./fake-processors.ts";
import { acceptOne, freshLedger, paymentId } from "./helpers.ts";

/** An outbox of its own, as another API instance would have; all of them feed the one ledger. */
function freshOutbox(name = crypto.randomUUID()): DurableObjectStub<PaymentOutbox> {
  return env.OUTBOX.get(env.OUTBOX.idFromName(name));
}

const theLedger = (): DurableObjectStub<PaymentLedger> => freshLedger(LEDGER_NAME);

/** The ledger's row for a payment: its status and amount, or undefined if the ledger never heard of it. */
async function ledgerRow(correlationId: string) {
  return runInDurableObject(
    theLedger(),
    (_, state) =>
      state.storage.sql
        .exec<{ status: string; amount_cents: number }>("SELECT status, amount_cents FROM payments WHERE correlation_id = ?", correlationId)
        .toArray()[0],
  );
}

describe("outbox", () => {
  it("hands an accepted payment to the ledger, which pays it", async () => {
    fakeProcessors();
    const outbox = freshOutbox();
    const id = paymentId();
    expect(await outbox.accept(id, 1990)).toBe("accepted");
    await expect.poll(() => ledgerRow(id)).toEqual({ status: "paid", amount_cents: 1990 });
    expect(await outbox.pending()).toBe(0);
  });

  it("forwards, after a crash, what it had stored but not yet handed over", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "hang";
    const name = crypto.randomUUID();
    const ids = [paymentId(), paymentId()];
    // The state a SIGKILL leaves between the commit and the hop: rows on disk, the watchdog armed.
    await runInDurableObject(freshOutbox(name), async (outbox, state) => {
      await outbox.pending(); // the constructor's schema is in place
      for (const id of ids) {
        state.storage.sql.exec("INSERT INTO outbox (correlation_id, amount_cents, accepted_at) VALUES (?, 100, ?)", id, Date.now());
      }
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    await abortAllDurableObjects();
    for (const id of ids) expect(await ledgerRow(id)).toBeUndefined();

    // Nobody posts to this instance again: the alarm alone must bring them out.
    expect(await runDurableObjectAlarm(freshOutbox(name))).toBe(true);
    for (const id of ids) await expect.poll(() => ledgerRow(id)).toBeDefined();
    expect(await freshOutbox(name).pending()).toBe(0);
  });

  it("answers a retry here and now, and sends it again so a purge elsewhere cannot lose it", async () => {
    fakeProcessors().default.mode = "hang";
    const outbox = freshOutbox();
    const id = paymentId();
    expect(await outbox.accept(id, 500)).toBe("accepted");
    await expect.poll(() => ledgerRow(id)).toBeDefined();

    await theLedger().purge(); // as if POST /purge-payments had reached another instance
    expect(await ledgerRow(id)).toBeUndefined();
    expect(await outbox.accept(id, 501)).toBe("conflict");
    expect(await outbox.accept(id, 500)).toBe("duplicate");
    await expect.poll(() => ledgerRow(id)).toMatchObject({ amount_cents: 500 });
  });

  it("forgets, once the ledger says it purged, what it saw before", async () => {
    fakeProcessors().default.mode = "hang";
    const outbox = freshOutbox();
    const id = paymentId();
    await outbox.accept(id, 500);
    await expect.poll(() => ledgerRow(id)).toBeDefined();
    await theLedger().purge();
    await outbox.accept(paymentId(), 100); // the next hop brings the news
    await expect.poll(() => outbox.pending()).toBe(0);
    expect(await outbox.accept(id, 700)).toBe("accepted");
  });

  it("leaves the call on an id first seen by another instance to the ledger: first amount, paid once", async () => {
    fakeProcessors();
    const id = paymentId();
    expect(await freshOutbox().accept(id, 100)).toBe("accepted");
    await expect.poll(() => ledgerRow(id)).toMatchObject({ status: "paid" });
    expect(await freshOutbox().accept(id, 200)).toBe("accepted");
    await expect.poll(async () => (await ledgerRow(id))?.amount_cents).toBe(100);
  });

  it("drops what was accepted before the ledger's last purge", async () => {
    fakeProcessors();
    const ledger = freshLedger();
    const before = Date.now() - 1;
    await ledger.purge();
    const { results } = await ledger.accept([{ correlationId: paymentId(), cents: 100, acceptedAt: before }]);
    expect(results).toEqual(["purged"]);
    expect(await acceptOne(ledger, paymentId(), 100)).toBe("accepted");
  });

  it("never lets a malformed row block the ones behind it, and stores none of them", async () => {
    fakeProcessors().default.mode = "hang";
    const ledger = freshLedger();
    const { results } = await ledger.accept([
      { correlationId: paymentId(), cents: 100, acceptedAt: Date.now() },
      { correlationId: paymentId(), cents: -5, acceptedAt: Date.now() },
      { correlationId: paymentId(), cents: 1.5, acceptedAt: Date.now() },
      { correlationId: paymentId(), cents: 100, acceptedAt: Number.NaN },
      { cents: 100, acceptedAt: Date.now() } as never,
      null as never,
    ]);
    expect(results).toEqual(["accepted", "invalid", "invalid", "invalid", "invalid", "invalid"]);
    expect((await ledger.stats()).waiting).toBe(1);
  });

  it("refuses a malformed payment and stores nothing", async () => {
    const outbox = freshOutbox();
    await runInDurableObject(outbox, (instance) => {
      expect(() => instance.accept(paymentId(), 0)).toThrow(TypeError);
      expect(() => instance.accept(paymentId(), 1.5)).toThrow(TypeError);
      expect(() => instance.accept(42 as never, 100)).toThrow(TypeError);
    });
    expect(await outbox.pending()).toBe(0);
  });
});

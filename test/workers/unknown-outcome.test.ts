// A request whose answer never came may still have been stored: it is settled
// with the processor it went to, booked once with the requestedAt that
// processor holds, and never sent to the other one meanwhile.
import { describe, expect, it } from "vitest";
import { fakeProcessors } from "./fake-processors.ts";
import { ALL_TIME, acceptOne, freshLedger, paymentId } from "./helpers.ts";

describe("unknown outcomes", () => {
  it("after a timeout, finds the payment stored by a lookup and books it as stored", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "hang";
    const ledger = freshLedger();
    const id = paymentId();
    await acceptOne(ledger, id, 700);
    await expect.poll(() => fakes.default.postsFor(id).length).toBe(1);

    // The processor stores it after the caller has given up, as the real one does.
    const storedAt = "2025-07-10T12:00:00.123Z";
    fakes.default.stored.set(id, { amount: 7, requestedAt: storedAt });
    fakes.default.mode = "fail"; // and then fails, so only a lookup can tell

    const at = Date.parse(storedAt);
    await expect.poll(() => ledger.summary(at, at)).toMatchObject({ default: { totalRequests: 1, totalAmount: 7 } });
    expect(await ledger.summary(...ALL_TIME)).toMatchObject({ fallback: { totalRequests: 0 } });
    expect(fakes.fallback.posts).toHaveLength(0);
  });

  it("treats 422 as proof an earlier attempt landed, booked with that attempt's requestedAt", async () => {
    const fakes = fakeProcessors();
    const ledger = freshLedger();
    const id = paymentId();
    const earlier = "2025-07-10T12:00:00.000Z";
    fakes.default.stored.set(id, { amount: 12.34, requestedAt: earlier });
    await acceptOne(ledger, id, 1234);
    const at = Date.parse(earlier);
    await expect.poll(() => ledger.summary(at, at)).toMatchObject({ default: { totalRequests: 1, totalAmount: 12.34 } });
    expect(fakes.fallback.posts).toHaveLength(0);
  });

  it("keeps a payment pinned to the processor it may be at, then frees it once every attempt is surely over", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "hang";
    const ledger = freshLedger();
    const id = paymentId();
    await acceptOne(ledger, id, 100);
    await expect.poll(() => fakes.default.postsFor(id).length).toBe(1);
    fakes.default.mode = "fail"; // never stores it: the attempt really was lost

    // Within SETTLE_AFTER_MS (1 s in tests) it is only retried on default, never sent to fallback.
    await expect.poll(() => fakes.default.postsFor(id).length).toBeGreaterThan(1);
    expect(fakes.fallback.postsFor(id)).toHaveLength(0);

    // After it, a lookup that finds nothing frees it, and fallback pays it once.
    await expect
      .poll(() => ledger.summary(...ALL_TIME), { timeout: 5_000 })
      .toMatchObject({
        default: { totalRequests: 0 },
        fallback: { totalRequests: 1, totalAmount: 1 },
      });
    expect(fakes.fallback.postsFor(id)).toHaveLength(1);
    expect(fakes.default.stored.has(id)).toBe(false);
  });
});

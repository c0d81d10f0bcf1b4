// The ledger keeps nothing that matters in memory. Evicted, it rebuilds from
// SQLite; killed mid-request, what was on the wire is settled with the
// processor it went to, never resent blindly to the other one.
import { abortAllDurableObjects, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fakeProcessors } from "./fake-processors.ts";
import { ALL_TIME, acceptOne, freshLedger, paymentId } from "./helpers.ts";

describe("eviction and crashes", () => {
  it("rebuilds the books and the duplicate check from storage after eviction", async () => {
    fakeProcessors();
    const ledger = freshLedger();
    const id = paymentId();
    await acceptOne(ledger, id, 100);
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 1 } });

    await evictDurableObject(ledger);
    expect(await ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 1, totalAmount: 1 } });
    expect(await acceptOne(ledger, id, 100)).toBe("duplicate");
  });

  it("settles the payment that was on the wire when the object died, once, on the processor it went to", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "hang";
    const name = crypto.randomUUID();
    let ledger = freshLedger(name);
    const onTheWire = paymentId();
    await acceptOne(ledger, onTheWire, 250);
    await expect.poll(() => fakes.default.postsFor(onTheWire).length).toBe(1);

    await abortAllDurableObjects(); // like SIGKILL: no chance to finish anything
    ledger = freshLedger(name); // a stub does not outlive the object it reached
    // Meanwhile the processor finished the request it had, and then began to fail.
    const sent = fakes.default.postsFor(onTheWire)[0]!;
    fakes.default.stored.set(onTheWire, { amount: sent.amount, requestedAt: sent.requestedAt });
    fakes.default.mode = "fail";

    const queued = paymentId();
    await acceptOne(ledger, queued, 100); // wakes the object; this one goes to fallback
    await expect
      .poll(() => ledger.summary(...ALL_TIME))
      .toEqual({
        default: { totalRequests: 1, totalAmount: 2.5 },
        fallback: { totalRequests: 1, totalAmount: 1 },
      });
    const at = Date.parse(sent.requestedAt);
    expect(await ledger.summary(at, at)).toMatchObject({ default: { totalRequests: 1 } });
    expect(fakes.fallback.postsFor(onTheWire)).toHaveLength(0);
  });
});
